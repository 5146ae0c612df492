"""The projector: what the room sees, read-only, no controls. ?projector=KEY[&theme=dark][&lang=en][&view=funnel]

Before voting: a big QR code to join, then the incoming proposals (paged when they fill the screen)
with the code in a corner. While voting: turnout per helix group (results only if the facilitator
turned on live results). After the reveal: the ranking over the whole screen, then the funnel.
Laid out for 1280×720 and 1920×1080 alike (edp.ui.projector.Screen).
"""

import streamlit as st

from edp.charts import funnel_figure, ranking_figure, top_themes
from edp.config import LANGUAGES, is_loopback, public_url
from edp.errors import EdpError
from edp.events import Screen
from edp.live import RoundView, workshop_view
from edp.ui.common import LANG_KEY, engine, lang, t
from edp.ui.live import follow
from edp.ui.projector import PAGE_SECONDS, proposal_pages, report_viewport, reveal_view, rotating, screen
from edp.ui.qr import show_qr
from edp.ui.results import cached_funnel, cached_results, helix_notice, projector_style, turnout_metrics
from edp.ui.session import projector_workshop
from edp.ui.text import plain, show_error
from edp.voting.results import RoundResultDict

BEFORE_VOTING = ("draft", "proposing", "reviewing")
TOP = 10  # themes on the ranking chart (ties at the cut too), so it fits a 1280×720 screen
CHART_CONFIG = {"staticPlot": True, "displayModeBar": False}

if st.query_params.get("lang") in LANGUAGES:
    st.session_state[LANG_KEY] = st.query_params["lang"]
dark = st.query_params.get("theme") == "dark"
report_viewport()
projector_style(dark)
scr = screen()

workshop_id = projector_workshop()
try:
    if workshop_id is None:
        raise EdpError("workshop.not_found")
    wv = workshop_view(engine(), workshop_id)
except EdpError as err:
    st.error(t("ui.proj.unknown_workshop"))
    st.caption(err.message(lang()))
    st.stop()

# Every change in the workshop reaches the projector by push (edp.ui.push), a few times a second at most.
follow(wv.id, seen_revision=wv.revision, screen=Screen("projector", wv.id))
plain(wv.title, key="proj-ws", kind="title")
scr = scr.with_title(wv.title)
assert wv.counts is not None  # a screen's view has them (only a participant's has none)
counts = wv.counts
rnd = wv.current
if rnd is not None:
    st.caption(t("ui.proj.round_status", seq=rnd.seq, method=t(f"method.{rnd.method}"), phase=t(f"phase.{rnd.phase}")))
join_url = f"{public_url(st.get_option('server.port'))}/?join={wv.join_code}"


def join_qr(size: str) -> None:
    show_qr(join_url, alt=t("ui.proj.qr_alt", url=join_url), size=size)


def join_text() -> None:
    """The address and the code in big type, and how many have joined and proposed."""
    st.markdown(t("ui.proj.join_at"))
    plain(join_url, key="proj-url")
    if is_loopback(join_url.rsplit("/?", 1)[0]):
        st.caption(t("ui.proj.loopback_hint"))
    st.markdown(t("ui.proj.join_code"))
    plain(wv.join_code, key="proj-code")
    with st.container(key="proj-counts", horizontal=True, gap="large"):
        st.metric(t("ui.proj.participants"), counts.total_participants)
        st.metric(t("ui.proj.proposals"), len(rnd.themes) if rnd else 0)


def show_joining() -> None:
    """Before the proposals come in: the QR code as big as the screen allows (691 px at 1080p, quiet zone included)."""
    if not wv.is_open:
        st.info(t("ui.proj.workshop_closed"))
        return
    qr_col, info_col = st.columns([3, 2], vertical_alignment="center", gap="large")
    with qr_col, st.container(key="proj-qr-big"):
        join_qr("min(64vh, 54vw)")
    with info_col:
        join_text()
        st.markdown(t("ui.proj.no_proposals_yet"))


@st.fragment(run_every=f"{PAGE_SECONDS}s")
def show_proposals(rnd: RoundView) -> None:
    """Newest first (the room looks for the proposal it just sent), as many as fit; the rest on
    further pages that follow each other every PAGE_SECONDS."""
    themes = list(reversed(rnd.themes))
    pages = proposal_pages([th.title for th in themes], scr)
    page = rotating(len(pages), PAGE_SECONDS, f"_proj_pages_{rnd.id}")
    heading = t("ui.proj.proposals_heading")
    if len(pages) > 1:
        heading += " · " + t("ui.proj.page_of", page=page + 1, pages=len(pages))
    st.subheader(heading)
    with st.container(key="proj-themes"):
        for col, indices in zip(st.columns(2, gap="large"), pages[page], strict=False):
            with col:
                for i in indices:
                    plain(f"• {themes[i].title}", key=f"proj-theme-{themes[i].id}")


def show_proposing(rnd: RoundView) -> None:
    """Proposals fill the screen; the code to join stays in a corner for latecomers."""
    list_col, corner_col = st.columns([7, 3], gap="large")
    with list_col:
        show_proposals(rnd)
    with corner_col, st.container(key="proj-corner"):
        if wv.is_open:
            with st.container(key="proj-qr"):
                join_qr("min(26vh, 22vw)")
            join_text()
        else:
            st.info(t("ui.proj.workshop_closed"))


def show_ranking(rnd: RoundView, result: RoundResultDict) -> None:
    shown, total = len(top_themes(result["themes"], TOP)), len(result["themes"])
    if shown < total:
        st.caption(t("ui.proj.top_shown", shown=shown, total=total))
    width, height = scr.ranking_size
    if rnd.phase == "voting":  # live results: the turnout row above takes its share of the screen
        height -= int(scr.live_turnout)
    st.plotly_chart(
        ranking_figure(result, lang(), projector=True, dark=dark, top=TOP, width=width, height=height, font=scr.font),
        theme=None, config=CHART_CONFIG, key="proj-ranking",
    )  # fmt: skip


def show_funnel(result: RoundResultDict) -> None:
    try:
        funnel = cached_funnel(wv.id, wv.revision)
    except EdpError as err:
        show_error(err)
        return
    st.subheader(t("ui.proj.funnel_heading"))
    height = scr.funnel_height_for(len(funnel.stages))
    st.plotly_chart(
        funnel_figure(funnel, lang(), projector=True, dark=dark, height=height, font=scr.font),
        theme=None, config=CHART_CONFIG, key="proj-funnel",
    )  # fmt: skip
    helix_notice(result, key="proj-helix-note")


@st.fragment(run_every="2s")
def show_results(rnd: RoundView) -> None:
    """The ranking alone on the screen, then the funnel and the helix details (edp.ui.projector.reveal_view)."""
    try:
        result = cached_results(rnd.id, wv.revision)
    except EdpError as err:
        show_error(err)
        return
    if not result["themes"]:
        st.info(t("ui.proj.no_results"))
        return
    view = reveal_view(f"_proj_reveal_{rnd.id}")
    if view == "ranking":
        show_ranking(rnd, result)
    else:
        show_funnel(result)


if rnd is None or rnd.phase == "draft" or (rnd.phase == "proposing" and not rnd.themes):
    show_joining()
elif rnd.phase in BEFORE_VOTING:
    show_proposing(rnd)
elif rnd.results_visible:
    if rnd.phase == "voting":
        st.subheader(t("ui.proj.live_results"))
        turnout_metrics(counts.participants, counts.ballots, key="proj-live", compact=True)
    show_results(rnd)
elif rnd.phase == "voting":
    st.subheader(t("ui.proj.voting_open"))
    turnout_metrics(counts.participants, counts.ballots, key="proj-turnout")
else:
    st.subheader(t("ui.proj.voting_closed"))
    turnout_metrics(counts.participants, counts.ballots, key="proj-turnout")
