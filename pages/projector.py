"""The projector: what the room sees, read-only, no controls. ?projector=KEY[&theme=dark][&lang=en]

Before voting: how to join and the incoming proposals. While voting: turnout only (results only
if the facilitator turned on live results). After the reveal: the ranking and the funnel.
"""

import streamlit as st

from edp.charts import funnel_figure, ranking_figure, top_themes
from edp.config import LANGUAGES, is_loopback, public_url
from edp.errors import EdpError
from edp.live import workshop_view
from edp.ui.common import LANG_KEY, engine, lang, t
from edp.ui.live import follow
from edp.ui.qr import show_qr
from edp.ui.results import cached_funnel, cached_results, helix_notice, projector_style, turnout_metrics
from edp.ui.session import projector_workshop
from edp.ui.text import plain, show_error

BEFORE_VOTING = ("draft", "proposing", "reviewing")
TOP = 10  # themes on the ranking chart (ties at the cut too), so it fits a 1280×720 screen
CHART_CONFIG = {"staticPlot": True, "displayModeBar": False}
PROJECTOR_POLL = "1s"

if st.query_params.get("lang") in LANGUAGES:
    st.session_state[LANG_KEY] = st.query_params["lang"]
dark = st.query_params.get("theme") == "dark"
projector_style(dark)

workshop_id = projector_workshop()
try:
    if workshop_id is None:
        raise EdpError("workshop.not_found")
    wv = workshop_view(engine(), workshop_id)
except EdpError as err:
    st.error(t("ui.proj.unknown_workshop"))
    st.caption(err.message(lang()))
    st.stop()

# The screen the whole room watches polls every second (one session: its cost is negligible).
follow(wv.id, seen_revision=wv.revision, interval=PROJECTOR_POLL)
plain(wv.title, key="proj-ws", kind="title")
rnd = wv.current
if rnd is not None:
    st.caption(t("ui.proj.round_status", seq=rnd.seq, method=t(f"method.{rnd.method}"), phase=t(f"phase.{rnd.phase}")))


def show_join() -> None:
    if not wv.is_open:
        st.info(t("ui.proj.workshop_closed"))
        return
    base = public_url(st.get_option("server.port"))
    url = f"{base}/?join={wv.join_code}"
    qr_col, info_col = st.columns([2, 3], vertical_alignment="center")
    with qr_col, st.container(key="proj-qr"):
        show_qr(url, width=380)
    with info_col:
        st.markdown(t("ui.proj.join_at"))
        plain(url, key="proj-url")
        if is_loopback(base):
            st.caption(t("ui.proj.loopback_hint"))
        st.markdown(t("ui.proj.join_code"))
        plain(wv.join_code, key="proj-code")
        with st.container(key="proj-counts", horizontal=True):
            st.metric(t("ui.proj.participants"), wv.counts.total_participants)
            st.metric(t("ui.proj.proposals"), len(rnd.themes) if rnd else 0)


def show_proposals() -> None:
    if rnd is None or not rnd.themes:
        st.markdown(t("ui.proj.no_proposals_yet"))
        return
    st.subheader(t("ui.proj.proposals_heading"))
    # Newest first: the room looks for the proposal it just sent.
    themes = list(reversed(rnd.themes))
    with st.container(key="proj-themes"):
        cols = st.columns(3)
        for i, theme in enumerate(themes):
            with cols[i % 3]:
                plain(f"• {theme.title}", key=f"proj-theme-{theme.id}")


def show_results() -> None:
    try:
        result = cached_results(rnd.id, wv.revision)
        funnel = cached_funnel(wv.id, wv.revision)
    except EdpError as err:
        show_error(err)
        return
    if not result["themes"]:
        st.info(t("ui.proj.no_results"))
        return
    chart_col, funnel_col = st.columns([2, 1])
    with chart_col:
        shown, total = len(top_themes(result["themes"], TOP)), len(result["themes"])
        if shown < total:
            st.caption(t("ui.proj.top_shown", shown=shown, total=total))
        st.plotly_chart(
            ranking_figure(result, lang(), projector=True, dark=dark, top=TOP), theme=None, config=CHART_CONFIG,
            key="proj-ranking",
        )  # fmt: skip
        helix_notice(result, key="proj-helix-note")
    with funnel_col:
        st.subheader(t("ui.proj.funnel_heading"))
        st.plotly_chart(
            funnel_figure(funnel, lang(), projector=True, dark=dark), theme=None, config=CHART_CONFIG,
            key="proj-funnel",
        )  # fmt: skip


if rnd is None or rnd.phase in BEFORE_VOTING:
    show_join()
    show_proposals()
elif rnd.results_visible:
    if rnd.phase == "voting":
        st.subheader(t("ui.proj.live_results"))
        turnout_metrics(wv.counts.participants, wv.counts.ballots, key="proj-turnout")
    show_results()
elif rnd.phase == "voting":
    st.subheader(t("ui.proj.voting_open"))
    turnout_metrics(wv.counts.participants, wv.counts.ballots, key="proj-turnout")
else:
    st.subheader(t("ui.proj.voting_closed"))
    turnout_metrics(wv.counts.participants, wv.counts.ballots, key="proj-turnout")
