"""Results of a workshop's rounds: ranking, helix breakdown, balanced vs raw, consensus, turnout,
the funnel, and downloads. Visitors see revealed rounds only; a workshop's signed-in facilitator
also sees its closed rounds. ?round=ID links straight to a round."""

import streamlit as st
from sqlalchemy.exc import OperationalError

from edp.charts import criteria_heatmap, funnel_figure, helix_breakdown_figure, ranking_figure, turnout_figure
from edp.errors import EdpError
from edp.events import Screen
from edp.live import workshop_view
from edp.queries import overview
from edp.ui.common import engine, lang, t
from edp.ui.live import follow
from edp.ui.results import (
    CHART_CONFIG,
    balanced_label,
    balanced_tables,
    cached_funnel,
    cached_results,
    downloads,
    helix_notice,
    ranking_table,
    results_style,
    round_label,
    score_help,
    turnout_caption,
    viewer,
    visible_round_ids,
)
from edp.ui.session import facilitator_workshop
from edp.ui.text import show_error
from edp.voting.tally import results_readers

st.title(t("ui.res.title"), anchor=False)
results_style()

try:
    processes = overview(engine())
except OperationalError:
    st.error(t("ui.database_error"))
    st.stop()

workshops = {w["id"]: (p["title"], w) for p in processes for w in p["workshops"]}
if not workshops:
    st.info(t("ui.res.no_workshops"))
    st.stop()

# A deep link names a round; find its workshop without another query.
raw_round = st.query_params.get("round", "")
requested = int(raw_round) if raw_round.isdigit() else None
owner = next((wid for wid, (_, w) in workshops.items() if any(r["id"] == requested for r in w["rounds"])), None)
if raw_round and owner is None:
    st.warning(t("ui.res.round_not_visible"))

ids = list(workshops)
with_results = [wid for wid in ids if any(r["phase"] == "closed" for r in workshops[wid][1]["rounds"])]
default = owner or facilitator_workshop() or (with_results or ids)[-1]
workshop_id = st.selectbox(
    t("ui.res.pick_workshop"),
    ids,
    index=ids.index(default) if default in ids else 0,
    format_func=lambda wid: f"{workshops[wid][1]['title']} ({workshops[wid][0]})",
    placeholder=t("ui.res.pick_workshop"),
    key="res_workshop",
)

try:
    wv = workshop_view(engine(), workshop_id)
except EdpError as err:
    show_error(err)
    st.stop()

who = viewer()
visible = visible_round_ids(wv, who)
if who is not None and results_readers(engine(), who, wv.id):
    # The workshop's console and its organisers see closed rounds as they close: by push.
    live_round = wv.current is not None and wv.current.results_visible
    follow(wv.id, seen_revision=wv.revision, screen=Screen("results", wv.id, others=live_round))
if requested is not None and owner == workshop_id and requested not in visible:
    st.warning(t("ui.res.round_not_visible"))
if not visible:
    st.info(t("ui.res.no_visible_rounds"))
    st.stop()

round_id = st.selectbox(
    t("ui.res.pick_round"),
    visible,
    index=visible.index(requested) if requested in visible else len(visible) - 1,
    format_func=lambda rid: round_label(wv, rid),
    placeholder=t("ui.res.pick_round"),
    key=f"res_round_{workshop_id}",
)

try:
    result = cached_results(round_id, wv.revision, who)
    funnel = cached_funnel(wv.id, wv.revision)
except EdpError as err:
    show_error(err)
    st.stop()

L = lang()
st.caption(turnout_caption(result, L))
if not result["themes"]:
    st.info(t("ui.res.no_themes"))
    st.stop()
helix_notice(result, key="res-helix-note")

view = st.container(key="res-view")
tabs = view.tabs(
    [t("ui.res.tab.ranking"), t("ui.res.tab.helix"), t("ui.res.tab.balanced"), t("ui.res.tab.turnout")]
    + ([t("ui.res.tab.criteria")] if result["method"] == "score" else [])
)
with tabs[0]:
    st.plotly_chart(ranking_figure(result, L), key="res-ranking", theme=None, config=CHART_CONFIG)
    st.dataframe(ranking_table(result, L), hide_index=True, key="res-table")
    if explained := score_help(result, L):
        st.caption(explained)
    st.caption(t("ui.res.consensus_help"))
with tabs[1]:
    st.plotly_chart(helix_breakdown_figure(result, L), key="res-helix", theme=None, config=CHART_CONFIG)
with tabs[2]:
    st.markdown(f"**{balanced_label(L)}**")
    st.caption(t("ui.res.balanced_help"))
    raw, balanced = balanced_tables(result, L)
    left, right = st.columns(2)
    with left:
        st.subheader(t("ui.res.raw_heading"), anchor=False)
        st.dataframe(raw, hide_index=True, key="res-raw")
    with right:
        st.subheader(t("ui.res.balanced_heading"), anchor=False)
        st.dataframe(balanced, hide_index=True, key="res-balanced")
with tabs[3]:
    st.plotly_chart(turnout_figure(result["turnout"], L), key="res-turnout", theme=None, config=CHART_CONFIG)
if result["method"] == "score":
    with tabs[4]:
        st.plotly_chart(criteria_heatmap(result, L), key="res-criteria", theme=None, config=CHART_CONFIG)

st.subheader(t("ui.res.downloads_heading"), anchor=False)
downloads(round_id, L, who)

st.subheader(t("ui.res.funnel_heading"), anchor=False)
st.caption(t("ui.res.funnel_help"))
with st.container(key="res-view-funnel"):
    st.plotly_chart(funnel_figure(funnel, L), key="res-funnel", theme=None, config=CHART_CONFIG)
