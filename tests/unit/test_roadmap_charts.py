"""Roadmap figures: Gantt rows and colours, milestones, today, escaping, language; the KPI status rule."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from edp.io import imaging
from edp.roadmap import charts as rc
from edp.roadmap import status as rs
from edp.roadmap.views import ActorRef, KpiView, MeasurementView, MilestoneView
from tests.roadmap_sample import END, START, sample_process, sample_roadmap
from tests.unit.test_charts import figure_strings

TODAY = dt.date(2027, 3, 1)
D = dt.date
LONG = "Förstudie om <b>förädling</b> & lokala livsmedelskedjor i hela Jämtland och Härjedalen, med fokus på småskaliga producenter"


def role(fig, name: str) -> list:  # noqa: ANN001
    return [tr for tr in fig.data if isinstance(tr.meta, dict) and tr.meta.get("role") == name]


def rows(fig) -> list[str]:  # noqa: ANN001
    return list(fig.layout.yaxis.ticktext)


def row_y(fig, label: str) -> float:  # noqa: ANN001
    """The y of the row labelled `label` (rows sit at their centres; milestone label levels take room)."""
    return list(fig.layout.yaxis.tickvals)[rows(fig).index(label)]


def bars_by_activity(fig) -> dict[int, tuple]:  # noqa: ANN001
    """row -> (trace name, base, length in ms, colour, customdata) for every activity bar."""
    out = {}
    for tr in role(fig, "activities"):
        for y, base, x, cd in zip(tr.y, tr.base, tr.x, tr.customdata, strict=True):
            out[y] = (tr.name, base, x, tr.marker.color, list(cd))
    return out


# ---------------------------------------------------------------- Gantt


def test_rows_list_goals_with_their_activities_beneath_in_order_first_at_the_top():
    rm = sample_roadmap()
    fig = rc.gantt_figure(rm, "sv", today=TODAY)
    expected = ["<b>Milstolpar</b>"]
    for g in rm.goals:
        expected.append(f"<b>{g.title}</b>")
        expected += [rc.escape(rc.shorten(a.title)) for a in g.activities]
    assert rows(fig) == expected
    ys = list(fig.layout.yaxis.tickvals)
    assert ys == sorted(ys) and ys[0] == 0.5  # first row at the top, each below the last
    assert all(b - a >= 1 for a, b in zip(ys, ys[1:], strict=False))  # a full row each, or more (labels)
    bottom, top = fig.layout.yaxis.range
    assert top == 0 and bottom >= ys[-1] + 0.5
    # each bar sits on its own activity's row
    bars = bars_by_activity(fig)
    for a in rm.activities:
        row = row_y(fig, rc.escape(rc.shorten(a.title)))
        assert bars[row][4][0] == rc.escape(a.title)
        assert bars[row][1] == a.start.isoformat()
        assert bars[row][2] == ((a.end - a.start).days + 1) * rc.DAY_MS


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast(a: str, b: str) -> float:
    """WCAG 2.1's contrast ratio of two #RRGGBB colours, written out here rather than imported."""

    def lum(h: str) -> float:
        r, g, b_ = (_linear(int(h[i : i + 2], 16)) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_is_wcags_ratio():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast("#F0E442", "#FFFFFF") < 1.4  # Okabe–Ito's yellow, the red team's 1.32:1


def test_one_trace_per_lead_actor_each_in_its_own_colour():
    rm = sample_roadmap()
    fig = rc.gantt_figure(rm, "sv", today=TODAY)
    traces = role(fig, "activities")
    leads = sorted({a.lead.name for a in rm.activities})
    assert [tr.name for tr in traces] == leads
    assert [tr.marker.color for tr in traces] == list(rc.LEAD_COLOURS[: len(leads)])
    assert all(tr.marker.pattern.shape == "" for tr in traces)  # 8 actors or fewer: plain bars
    for tr in traces:
        assert {cd[4] for cd in tr.customdata} == {tr.name}
    assert sum(len(tr.y) for tr in traces) == len(rm.activities)
    assert fig.layout.legend.title.text == "Ansvarig aktör"


def test_every_lead_colour_stands_out_from_white_and_none_is_black_like_the_milestones():
    for colour in rc.LEAD_COLOURS:
        assert contrast(colour, "#FFFFFF") >= 3.0, colour  # WCAG 1.4.11, graphical objects
        assert colour.upper() not in {rc.MILESTONE_COLOUR, rc.TODAY_COLOUR, "#000000", "#666666"}
    assert len(set(rc.LEAD_COLOURS)) == len(rc.LEAD_COLOURS)
    assert contrast(rc.GOAL_SPAN, rc.GOAL_BAND) >= 3.0


@pytest.mark.parametrize("palette", ["STATUS_COLOURS", "ROADMAP_STATUS_COLOURS"])
def test_every_status_colour_stands_out_from_white_and_from_the_others(palette):
    colours = list(getattr(rc, palette).values())
    for colour in colours:
        assert contrast(colour, "#FFFFFF") >= 3.0, colour
        assert colour.upper() not in {rc.MILESTONE_COLOUR, rc.TODAY_COLOUR}
    assert len(set(colours)) == len(colours)
    # planned and ongoing (draft and active) are both blue: one light, one dark, told apart by lightness
    light, dark = colours[0], colours[1]
    assert contrast(light, dark) >= 2.0


@pytest.mark.parametrize("n", [9, 10, 17, 30])
def test_more_leads_than_colours_never_look_alike(n):
    rm = sample_roadmap(40)
    actors = [ActorRef(50 + i, f"Aktör {i:02d}", "business") for i in range(n)]
    goals = tuple(
        dataclasses.replace(
            g, activities=tuple(dataclasses.replace(a, lead=actors[a.position % n]) for a in g.activities)
        )
        for g in rm.goals
    )
    rm = dataclasses.replace(rm, goals=goals)
    traces = role(rc.gantt_figure(rm, "sv", today=TODAY), "activities")
    used = {a.lead.id for a in rm.activities}
    assert len(traces) == len(used) == n
    styles = [(tr.marker.color, tr.marker.pattern.shape) for tr in traces]
    assert len(set(styles)) == len(styles), styles  # colour and hatching together tell every actor apart
    assert styles[: len(rc.LEAD_COLOURS)] == [(c, "") for c in rc.LEAD_COLOURS][: len(styles)]
    assert all(tr.marker.pattern.fgcolor == "#FFFFFF" for tr in traces if tr.marker.pattern.shape)


def test_colour_by_status_has_one_trace_per_status_with_fixed_colours_and_translated_names():
    rm = sample_roadmap()
    sv = rc.gantt_figure(rm, "sv", color_by="status", today=TODAY)
    en = rc.gantt_figure(rm, "en", color_by="status", today=TODAY)
    assert [tr.name for tr in role(sv, "activities")] == ["Planerad", "Pågår", "Klar", "Försenad", "Inställd"]
    assert [tr.name for tr in role(en, "activities")] == ["Planned", "Ongoing", "Done", "Delayed", "Cancelled"]
    assert [tr.marker.color for tr in role(en, "activities")] == [rc.STATUS_COLOURS[s] for s in rc.ACTIVITY_STATUSES]
    for tr, status in zip(role(en, "activities"), rc.ACTIVITY_STATUSES, strict=True):
        assert tr.meta["group"] == status
        assert len(tr.y) == sum(a.status == status for a in rm.activities)
    assert en.layout.legend.title.text == "Status"


def test_unknown_colour_scheme_is_refused():
    with pytest.raises(ValueError, match="color_by"):
        rc.gantt_figure(sample_roadmap(), "sv", color_by="budget")


def test_milestones_are_diamonds_on_their_goal_row_or_the_top_row():
    rm = sample_roadmap()
    fig = rc.gantt_figure(rm, "en", today=TODAY)
    (ms,) = role(fig, "milestones")
    assert ms.name == "Milestone"
    assert ms.marker.symbol == "diamond"
    # sorted by date: "Pilot klar" (goal 10) 2026-11-15, then "Halvtidsutvärdering" (no goal) 2027-06-30
    assert list(ms.x) == ["2026-11-15", "2027-06-30"]
    labels = rows(fig)
    assert labels[0] == "<b>Milestones</b>"
    assert list(ms.y) == [row_y(fig, "<b>Mål 1: Ökad förädling</b>"), row_y(fig, "<b>Milestones</b>")]
    assert [cd[0] for cd in ms.customdata] == ["Pilot klar", "Halvtidsutvärdering"]
    assert rc.gantt_figure(rm, "sv", today=TODAY).data[-1].name == "Milstolpe"


def test_no_top_row_when_every_milestone_has_a_goal():
    rm = sample_roadmap()
    rm = dataclasses.replace(rm, milestones=(MilestoneView(201, 10, "Pilot klar", D(2026, 11, 15)),))
    fig = rc.gantt_figure(rm, "sv", today=TODAY)
    assert rows(fig)[0] == "<b>Mål 1: Ökad förädling</b>"
    assert list(role(fig, "milestones")[0].y) == [0.5]


def today_shapes(fig) -> list:  # noqa: ANN001
    return [s for s in fig.layout.shapes if s.name == "today"]


def test_today_line_at_the_given_date_with_a_label_in_the_language():
    fig = rc.gantt_figure(sample_roadmap(), "sv", today=TODAY)
    (line,) = today_shapes(fig)
    assert (line.type, line.x0, line.x1, line.yref, line.y0, line.y1) == (
        "line",
        "2027-03-01",
        "2027-03-01",
        "paper",
        0,
        1,
    )
    (note,) = [a for a in fig.layout.annotations if a.name == "today"]
    assert (note.text, note.x) == ("Idag", "2027-03-01")
    en = rc.gantt_figure(sample_roadmap(), "en", today=TODAY)
    assert [a.text for a in en.layout.annotations if a.name == "today"] == ["Today"]


def test_no_today_line_outside_the_period_and_today_is_the_default():
    assert today_shapes(rc.gantt_figure(sample_roadmap(), "sv", today=D(2030, 1, 1))) == []
    assert today_shapes(rc.gantt_figure(sample_roadmap(), "sv", today=START - dt.timedelta(days=1))) == []
    assert len(today_shapes(rc.gantt_figure(sample_roadmap(), "sv", today=END))) == 1
    rm = dataclasses.replace(sample_roadmap(), period_start=dt.date.today() - dt.timedelta(days=10))
    (line,) = today_shapes(rc.gantt_figure(rm, "sv"))
    assert line.x0 == dt.date.today().isoformat()


def grid(fig) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(g.x0, g.line.color) for g in fig.layout.shapes if g.name == "grid"]


def test_x_range_is_the_period_with_labelled_quarters_and_year_and_quarter_gridlines():
    fig = rc.gantt_figure(sample_roadmap(), "sv", today=TODAY)
    ax = fig.layout.xaxis
    assert ax.type == "date"
    assert list(ax.range) == [START.isoformat(), (END + dt.timedelta(days=1)).isoformat()]
    assert len(ax.ticktext) == 12  # 2026-2028 by quarter
    assert [t.split("<br>")[0] for t in ax.ticktext[:5]] == ["K1", "K2", "K3", "K4", "K1"]
    assert "2026" in ax.ticktext[0] and "2027" in ax.ticktext[4]
    en = rc.gantt_figure(sample_roadmap(), "en", today=TODAY).layout.xaxis
    assert en.ticktext[1].startswith("Q2")
    lines = grid(fig)
    assert [x for x, c in lines if c == rc.YEAR_GRID] == ["2027-01-01", "2028-01-01"]
    assert len([x for x, c in lines if c == rc.PERIOD_GRID]) == 9
    wide = rc.time_ticks(rc.Frame(START, END, 300, 2000), "sv")[2]  # room for a whole label
    assert wide[0] == "K1 2026" and wide[-1] == "K4 2028"
    assert rc.time_ticks(rc.Frame(START, END, 300, 2000), "en")[2][0] == "Q1 2026"


def test_a_short_roadmap_is_labelled_by_month():
    short = dataclasses.replace(sample_roadmap(), period_start=D(2026, 3, 1), period_end=D(2026, 10, 31))
    ax = rc.gantt_figure(short, "sv", today=TODAY).layout.xaxis
    assert [t.split("<br>")[0].split()[0] for t in ax.ticktext] == [
        "mar",
        "apr",
        "maj",
        "jun",
        "jul",
        "aug",
        "sep",
        "okt",
    ]
    en = rc.gantt_figure(short, "en", today=TODAY).layout.xaxis
    assert en.ticktext[2].split()[0].split("<br>")[0] == "May"


def test_milestones_outside_the_period_take_no_label_room():
    short = dataclasses.replace(sample_roadmap(), period_start=D(2026, 3, 1), period_end=D(2026, 10, 31))
    fig = rc.gantt_figure(short, "sv", today=TODAY)  # both sample milestones fall after October 2026
    assert labels(fig) == []
    ys = list(fig.layout.yaxis.tickvals)
    assert all(b - a == 1 for a, b in zip(ys, ys[1:], strict=False))


def test_gridlines_and_axis_text_stand_out_from_white():
    assert contrast(rc.PERIOD_GRID, "#FFFFFF") >= 1.5 * 1.4  # at least 2.1:1, was 1.30:1
    assert contrast(rc.PERIOD_GRID, rc.GOAL_BAND) >= 1.5  # still seen on a goal's band
    assert contrast(rc.YEAR_GRID, "#FFFFFF") >= 4.5
    fig = rc.gantt_figure(sample_roadmap(), "sv", today=TODAY)
    assert fig.layout.xaxis.tickfont.color == fig.layout.yaxis.tickfont.color == "#000000"


def test_readable_layout_white_background_and_large_enough_font():
    fig = rc.gantt_figure(sample_roadmap(), "sv", today=TODAY)
    assert fig.layout.paper_bgcolor == "#FFFFFF" and fig.layout.plot_bgcolor == "#FFFFFF"
    assert fig.layout.font.size >= 14 and fig.layout.legend.font.size >= 14
    assert fig.layout.title.text == "Hållbar livsmedelsproduktion"
    assert fig.layout.barmode == "overlay"


def test_height_grows_with_the_rows_for_a_big_roadmap():
    small, big = sample_roadmap(), sample_roadmap(500)
    h_small = rc.gantt_figure(small, "sv", today=TODAY).layout.height
    fig = rc.gantt_figure(big, "sv", today=TODAY)
    n_rows = len(rows(fig))
    assert n_rows == 1 + len(big.goals) + 500
    assert h_small >= rc.MIN_HEIGHT
    assert fig.layout.height >= n_rows * rc.ROW_PX > 10 * h_small
    assert fig.layout.xaxis2.side == "top" and fig.layout.xaxis2.matches == "x"  # dates above the rows too
    assert "xaxis2" not in rc.gantt_figure(small, "sv", today=TODAY).layout.to_plotly_json()


def test_500_activities_build_with_one_trace_per_colour():
    """How fast is the bench's job (`python -m edp bench`: gantt_500_ms), not a timed test's."""
    fig = rc.gantt_figure(sample_roadmap(500), "sv", today=TODAY)
    assert len(role(fig, "activities")) == 5
    assert sum(len(tr.y) for tr in role(fig, "activities")) == 500


def test_long_titles_are_shortened_on_the_axis_but_whole_in_the_hover():
    fig = rc.gantt_figure(sample_roadmap(), "sv", today=TODAY)
    (label,) = [s for s in rows(fig) if s.startswith("Förstudie")]
    assert label.endswith("…")
    assert len(rc.shorten(LONG)) == rc.LABEL_MAX
    assert label == rc.escape(rc.shorten(LONG))
    row = row_y(fig, label)
    name, _, _, _, cd = bars_by_activity(fig)[row]
    assert cd == [
        "Förstudie om &lt;b&gt;förädling&lt;/b&gt; &amp; lokala livsmedelskedjor i hela Jämtland och Härjedalen, med fokus på småskaliga producenter",
        "Mål 2: Kompetens",
        "2026-02-07",
        "2026-04-21",
        "Mittuniversitetet",
        "Pågår",
    ]
    assert name == "Mittuniversitetet"


MARKUP = "<b>x</b> & %{y}"


def marked_roadmap():  # noqa: ANN201
    """Markup in every text a user types: roadmap, goal, activity, actor, milestone, KPI."""
    rm = sample_roadmap(title=MARKUP)
    lead = ActorRef(9, MARKUP, "civil")
    goals = tuple(
        dataclasses.replace(
            g,
            title=MARKUP,
            activities=tuple(dataclasses.replace(a, title=MARKUP, lead=lead) for a in g.activities),
        )
        for g in rm.goals
    )
    milestones = tuple(dataclasses.replace(m, title=MARKUP) for m in rm.milestones)
    kpis = tuple(
        dataclasses.replace(
            k,
            name=MARKUP,
            unit=MARKUP,
            measurements=tuple(dataclasses.replace(m, note=MARKUP, recorded_by=MARKUP) for m in k.measurements),
        )
        for k in rm.kpis
    )
    return dataclasses.replace(rm, goals=goals, milestones=milestones, kpis=kpis, owner=lead)


ESCAPED = "&lt;b&gt;x&lt;/b&gt; &amp; %{y}"


@pytest.mark.parametrize(
    "build",
    [
        lambda rm: rc.gantt_figure(rm, "sv", today=TODAY),
        lambda rm: rc.gantt_figure(rm, "en", color_by="status", today=TODAY),
        lambda rm: rc.kpi_figure(rm.kpis[0], "sv"),
        lambda rm: rc.kpis_figure(rm, "en"),
        lambda rm: rc.portfolio_figure(
            dataclasses.replace(sample_process(), process_title=MARKUP, roadmaps=(rm,)), "sv", today=TODAY
        ),
    ],
)
def test_markup_a_user_typed_arrives_escaped_everywhere(build):
    fig = build(marked_roadmap())
    found = figure_strings(fig)
    assert any(ESCAPED in s for s in found)
    assert not [s for s in found if "<b>x" in s or "x</b>" in s or "& %" in s]
    for tr in fig.data:  # user text only ever travels in customdata, never in a hovertemplate
        assert "x&lt;" not in (tr.hovertemplate or "")


def test_escaped_title_lands_in_tick_labels_customdata_legend_and_title():
    fig = rc.gantt_figure(marked_roadmap(), "sv", today=TODAY)
    assert fig.layout.title.text == ESCAPED
    assert f"<b>{ESCAPED}</b>" in rows(fig)  # goal header (the <b> around it is ours)
    assert ESCAPED in rows(fig)
    (acts,) = role(fig, "activities")
    assert acts.name == ESCAPED
    assert {cd[0] for cd in acts.customdata} == {ESCAPED}
    assert role(fig, "milestones")[0].customdata[0][0] == ESCAPED


def test_swedish_and_english_labels_in_the_hover():
    sv = role(rc.gantt_figure(sample_roadmap(), "sv", today=TODAY), "activities")[0].hovertemplate
    en = role(rc.gantt_figure(sample_roadmap(), "en", today=TODAY), "activities")[0].hovertemplate
    assert "Mål:" in sv and "Ansvarig:" in sv and "Status:" in sv
    assert "Goal:" in en and "Lead:" in en


def test_an_empty_roadmap_still_draws():
    rm = dataclasses.replace(sample_roadmap(), goals=(), milestones=())
    fig = rc.gantt_figure(rm, "en", today=TODAY)
    assert rows(fig) == []
    assert "No activities yet" in [a.text for a in fig.layout.annotations]


# ---------------------------------------------------------------- KPI status


def kpi(base: float, target: float, measurements=(), *, b=None, t=None) -> KpiView:  # noqa: ANN001
    """Baseline on 2025-01-01 and target on 2030-01-01 unless given."""
    b, t = b or D(2025, 1, 1), t or D(2030, 1, 1)
    ms = tuple(MeasurementView(500 + i, d, v, "", None) for i, (d, v) in enumerate(measurements))
    return KpiView(1, None, "K", "st", "result", base, b, target, t, ActorRef(1, "A", "public"), "", "", 0, ms)


# 730 of 1826 days into the plan the expected value is 40 % of the way: 100 → 60 expects 84.01.
MID = D(2027, 1, 1)


@pytest.mark.parametrize(
    ("base", "target", "value", "status"),
    [
        (0, 100, 40, "on_track"),  # progress 1.0
        (0, 100, 36.1, "on_track"),  # 0.9
        (0, 100, 35, "at_risk"),  # 0.875
        (0, 100, 24.1, "at_risk"),  # 0.6
        (0, 100, 23, "off_track"),  # 0.575
        (0, 100, -5, "off_track"),  # went the wrong way
        (0, 100, 120, "on_track"),  # beyond the target already
        (100, 60, 85, "on_track"),  # decreasing (emissions): 0.94
        (100, 60, 88, "at_risk"),  # 0.75
        (100, 60, 92, "off_track"),  # 0.50
        (100, 60, 105, "off_track"),  # rose instead of falling
        (100, 60, 58, "on_track"),  # target already met
    ],
)
def test_kpi_status_classes_up_and_down(base, target, value, status):
    assert rs.kpi_status(kpi(base, target, [(MID, value)])) == status


def test_the_documented_worked_examples():
    k = kpi(0, 40, [(D(2026, 12, 31), 15)], b=D(2025, 12, 31), t=D(2028, 12, 31))
    assert rs._expected(k, D(2026, 12, 31)) == pytest.approx(13.32, abs=0.01)
    assert rs.kpi_status(k) == "on_track"
    assert rs._expected(kpi(100, 60), MID) == pytest.approx(84.01, abs=0.01)


def test_no_measurement_is_no_data_and_today_leaves_out_later_measurements():
    assert rs.kpi_status(kpi(0, 100)) == "no_data"
    k = kpi(0, 100, [(D(2026, 1, 1), 20), (MID, 10)])  # good first year, then a drop
    assert rs.kpi_status(k) == "off_track"
    assert rs.kpi_status(k, today=D(2026, 6, 1)) == "on_track"  # 20 against an expected 20
    assert rs.kpi_status(k, today=D(2025, 6, 1)) == "no_data"


def test_the_latest_measurement_counts_not_the_best():
    k = kpi(0, 100, [(MID, 10), (D(2026, 1, 1), 40)])  # listed out of date order
    assert rs.kpi_status(k) == "off_track"


def test_past_the_target_date_the_plan_is_the_target():
    assert rs.kpi_status(kpi(0, 100, [(D(2031, 6, 1), 95)])) == "on_track"
    assert rs.kpi_status(kpi(0, 100, [(D(2031, 6, 1), 80)])) == "at_risk"
    assert rs.kpi_status(kpi(100, 60, [(D(2031, 6, 1), 85)])) == "off_track"  # 15 of 40 down: 0.375


def test_a_measurement_on_the_baseline_date_compares_with_the_baseline():
    assert rs.kpi_status(kpi(10, 50, [(D(2025, 1, 1), 10)])) == "on_track"
    assert rs.kpi_status(kpi(10, 50, [(D(2025, 1, 1), 9)])) == "off_track"
    assert rs.kpi_status(kpi(100, 60, [(D(2025, 1, 1), 99)])) == "on_track"
    assert rs.kpi_status(kpi(100, 60, [(D(2025, 1, 1), 101)])) == "off_track"


def test_a_target_equal_to_the_baseline_means_hold_the_level():
    assert rs.kpi_status(kpi(0, 0, [(MID, 0)])) == "on_track"
    assert rs.kpi_status(kpi(5, 5, [(MID, 4)])) == "off_track"


def test_sample_kpis():
    rm = sample_roadmap()
    assert [rs.kpi_status(k) for k in rm.kpis] == ["on_track", "off_track", "no_data"]


# ---------------------------------------------------------------- KPI figures


def test_kpi_figure_has_baseline_measurements_target_and_dashed_plan():
    k = kpi(100, 60, [(D(2026, 1, 1), 95), (MID, 88)])
    fig = rc.kpi_figure(k, "sv")
    (plan,) = role(fig, "plan")
    (base,) = role(fig, "baseline")
    (meas,) = role(fig, "measurements")
    (target,) = role(fig, "target")
    assert (list(plan.x), list(plan.y), plan.line.dash) == (["2025-01-01", "2030-01-01"], [100, 60], "dash")
    assert (list(base.x), list(base.y)) == (["2025-01-01"], [100])
    assert (list(meas.x), list(meas.y), meas.mode) == (["2026-01-01", "2027-01-01"], [95, 88], "lines+markers")
    assert (list(target.x), list(target.y)) == (["2030-01-01"], [60])
    assert target.marker.symbol != base.marker.symbol and target.marker.symbol != meas.marker.symbol
    risk = rc.KPI_STATUS_COLOURS["at_risk"]
    assert fig.layout.title.text == f"K – <span style='color:{risk}'><b>■ Risk att halka efter</b></span>"
    assert fig.layout.yaxis.title.text == "st"
    assert [tr.name for tr in fig.data] == ["Plan (rak linje)", "Utgångsvärde", "Uppmätt", "Målvärde"]
    assert "<b>■ At risk</b>" in rc.kpi_figure(k, "en").layout.title.text
    assert "<b>■ No data</b>" in rc.kpi_figure(kpi(0, 1), "en").layout.title.text


def test_kpis_figure_is_small_multiples_two_wide_titled_with_name_and_status_in_colour_and_word():
    rm = sample_roadmap()
    fig = rc.kpis_figure(rm, "sv")
    titles = [a.text for a in fig.layout.annotations]
    assert [t.split("<br>")[0] for t in titles] == ["Företag som får stöd", "Deltagare i EDP", "Förädlingsvärde"]
    words = {"I fas": "on_track", "Efter plan": "off_track", "Inga mätningar": "no_data"}
    for t, word in zip(titles, words, strict=True):
        assert f"<span style='color:{rc.KPI_STATUS_COLOURS[words[word]]}'><b>■ {word}</b></span>" in t
    assert len(role(fig, "measurements")) == 3 and len(role(fig, "plan")) == 3
    # three KPIs in two columns: x, x2 on the first row, x3 on the second
    assert [tr.xaxis for tr in role(fig, "target")] == ["x", "x2", "x3"]
    assert [fig.layout[ax].title.text for ax in ("yaxis", "yaxis2", "yaxis3")] == ["antal", "antal", "MSEK"]
    assert sum(bool(tr.showlegend) for tr in fig.data) == 4  # one legend entry per role
    assert "On track" in rc.kpis_figure(rm, "en").layout.annotations[0].text


def test_kpi_status_words_are_readable_text_colours():
    for colour in rc.KPI_STATUS_COLOURS.values():
        assert contrast(colour, "#FFFFFF") >= 4.5
    assert len(set(rc.KPI_STATUS_COLOURS.values())) == len(rs.KPI_STATUSES)


def test_every_kpi_panel_shares_one_date_range():
    rm = sample_roadmap()
    k0 = rm.kpis[0]
    early = dataclasses.replace(k0, id=99, baseline_date=D(2024, 1, 1), target_date=D(2025, 6, 30), measurements=())
    fig = rc.kpis_figure(dataclasses.replace(rm, kpis=(*rm.kpis, early)), "sv")
    axes = [k for k in fig.layout.to_plotly_json() if k.startswith("xaxis")]
    assert len(axes) == 4
    ranges = {tuple(fig.layout[k].range) for k in axes}
    assert len(ranges) == 1
    ((lo, hi),) = ranges
    assert lo < "2024-01-01" and hi > max(k.target_date for k in rm.kpis).isoformat()


def test_long_kpi_names_wrap_instead_of_being_cut():
    rm = sample_roadmap()
    name = "Andel små och medelstora livsmedelsföretag i länet som deltar i minst en gemensam satsning"
    fig = rc.kpis_figure(dataclasses.replace(rm, kpis=(dataclasses.replace(rm.kpis[0], name=name),)), "sv")
    lines = fig.layout.annotations[0].text.split("<br>")[:-1]
    assert " ".join(lines) == name
    assert all(len(line) <= rc.KPI_TITLE_WRAP for line in lines)


def test_kpis_figure_without_kpis_says_so():
    fig = rc.kpis_figure(dataclasses.replace(sample_roadmap(), kpis=()), "sv")
    assert [a.text for a in fig.layout.annotations] == ["Färdplanen har inga indikatorer ännu"]


# ---------------------------------------------------------------- portfolio


def test_portfolio_has_one_bar_per_roadmap_over_its_period_coloured_by_status():
    pr = sample_process()
    draft = dataclasses.replace(
        sample_roadmap(2, roadmap_id=3, title="Utkast"),
        status="draft",
        period_start=D(2027, 1, 1),
        period_end=D(2030, 12, 31),
    )
    pr = dataclasses.replace(pr, roadmaps=(*pr.roadmaps, draft))
    fig = rc.portfolio_figure(pr, "sv", today=TODAY)
    bars = role(fig, "roadmaps")
    assert sum(len(tr.y) for tr in bars) == 3
    assert [tr.meta["status"] for tr in bars] == ["draft", "active"]
    assert {tr.meta["status"]: tr.marker.line.color for tr in bars} == {
        s: rc.ROADMAP_STATUS_COLOURS[s] for s in ("draft", "active")
    }
    assert [r.split("<br>")[0] for r in rows(fig)] == [
        "Hållbar livsmedelsproduktion", "Besöksnäring &amp; kulturarv", "Utkast"
    ]  # fmt: skip
    (d,) = [tr for tr in bars if tr.meta["status"] == "draft"]
    assert (list(d.y), list(d.base), list(d.x)) == (
        [row_y(fig, rows(fig)[2])],
        ["2027-01-01"],
        [(D(2030, 12, 31) - D(2027, 1, 1)).days * rc.DAY_MS + rc.DAY_MS],
    )
    (ms,) = role(fig, "milestones")
    assert len(ms.x) == sum(len(r.milestones) for r in pr.roadmaps)
    ys = list(fig.layout.yaxis.tickvals)
    assert sorted(ms.y) == [ys[0], ys[0], ys[1], ys[1], ys[2], ys[2]]
    assert list(fig.layout.xaxis.range) == ["2026-01-01", "2031-01-01"]
    assert [s.x0 for s in today_shapes(fig)] == ["2027-03-01"]
    assert fig.layout.title.text == "Färdplaner – S3 Jämtland Härjedalen"
    assert rc.portfolio_figure(pr, "en", today=TODAY).layout.title.text == "Roadmaps – S3 Jämtland Härjedalen"


def test_portfolio_shows_each_roadmaps_progress_as_a_filled_part_and_a_percentage():
    pr = sample_process()
    rm = pr.roadmaps[0]
    acts = [a for a in rm.activities if a.status != "cancelled"]
    share = sum(a.status == "done" for a in acts) / len(acts)
    assert 0 < share < 1
    fig = rc.portfolio_figure(pr, "sv", today=TODAY)
    filled = {y: (base, x) for tr in role(fig, "progress") for y, base, x in zip(tr.y, tr.base, tr.x, strict=True)}
    y0 = row_y(fig, rows(fig)[0])
    assert filled[y0][0] == rm.period_start.isoformat()
    assert filled[y0][1] == pytest.approx(share * ((rm.period_end - rm.period_start).days + 1) * rc.DAY_MS)
    assert rows(fig)[0].endswith(f"<br>{round(100 * share)} % klart")
    assert rc.portfolio_figure(pr, "en", today=TODAY).layout.yaxis.ticktext[0].endswith(f"{round(100 * share)} % done")
    (trace,) = [tr for tr in role(fig, "progress") if tr.meta["status"] == "active"]
    assert trace.marker.color == rc.ROADMAP_STATUS_COLOURS["active"] and trace.showlegend is not False
    empty = dataclasses.replace(pr, roadmaps=(dataclasses.replace(rm, goals=()),))
    assert rc.portfolio_figure(empty, "en", today=TODAY).layout.yaxis.ticktext[0].endswith("no activities yet")


def test_portfolio_of_a_process_without_roadmaps():
    fig = rc.portfolio_figure(dataclasses.replace(sample_process(), roadmaps=()), "en", today=TODAY)
    assert [a.text for a in fig.layout.annotations] == ["The process has no roadmaps yet"]


def labels(fig) -> list:  # noqa: ANN001
    return [a for a in fig.layout.annotations if a.name == "milestone_label"]


def test_milestone_labels_near_the_end_of_the_period_sit_left_of_their_marker():
    rm = sample_roadmap()
    late = MilestoneView(299, None, "Slutrapport", END - dt.timedelta(days=10))
    fig = rc.gantt_figure(dataclasses.replace(rm, milestones=(*rm.milestones, late)), "sv", today=START)
    placed = {a.text: a.xanchor for a in labels(fig)}
    assert placed["Slutrapport"] == "right" and placed["Halvtidsutvärdering"] == "left"


def test_milestone_labels_are_whole_wrapped_not_cut():
    rm = sample_roadmap()
    title = "Halvtidsuppföljning av minimissionen med styrgruppen och länets näringslivsråd"
    fig = rc.gantt_figure(
        dataclasses.replace(rm, milestones=(dataclasses.replace(rm.milestones[0], title=title),)), "sv"
    )
    (label,) = labels(fig)
    lines = label.text.split("<br>")
    assert " ".join(lines) == title and len(lines) > 1
    assert all(len(line) <= rc.MILESTONE_WRAP for line in lines)


def test_labels_on_one_level_never_share_room_and_crowded_ones_go_down_a_level():
    frame = rc.Frame(START, END, 300, 700)
    days = [D(2027, 3, 1), D(2027, 3, 20), D(2027, 4, 10), D(2026, 1, 10), D(2028, 12, 20)]
    texts = [
        "Förstudie klar",
        "Pilot startar i Östersund",
        "Beslut i styrgruppen",
        "Start",
        "Slutrapport till S3-gruppen",
    ]
    placed = rc.place_labels([frame.x(d) for d in days], texts, frame)
    assert len({p.level for p in placed[:3]}) == 3  # three milestones within six weeks: three levels
    assert placed[3].level == 0 and not placed[3].left
    assert placed[4].left  # the last one would run off the chart to the right
    boxes = []
    for d, p in zip(days, placed, strict=True):
        w = max(rc.text_px(line) for line in p.lines)
        x = frame.x(d)
        boxes.append((p.level, x - w if p.left else x, x if p.left else x + w))
    for i, (lv, a0, a1) in enumerate(boxes):
        for lv2, b0, b1 in boxes[i + 1 :]:
            assert lv != lv2 or a1 <= b0 or b1 <= a0


def test_the_legend_sits_below_the_plot_in_a_margin_that_grows_with_its_entries():
    few = rc.gantt_figure(sample_roadmap(3), "sv", today=START)
    many = rc.gantt_figure(sample_roadmap(60), "sv", today=START)  # same 5 lead actors, more rows
    for fig in (few, many):
        assert (fig.layout.legend.yref, fig.layout.legend.yanchor, fig.layout.legend.y) == ("container", "bottom", 0)
    base = sample_roadmap(3)
    goals = tuple(
        dataclasses.replace(
            g,
            activities=tuple(
                dataclasses.replace(a, lead=ActorRef(a.id, f"Aktör nummer {a.id} med ett långt namn", "public"))
                for a in g.activities
            ),
        )
        for g in base.goals
    )
    long_names = dataclasses.replace(base, goals=goals)
    assert len({a.lead for a in long_names.activities}) == 3
    assert rc.legend_rows(few) == 1
    assert rc.legend_rows(rc.gantt_figure(long_names, "sv", today=START)) > 1
    tall = rc.gantt_figure(long_names, "sv", today=START)
    assert tall.layout.margin.b > few.layout.margin.b  # more legend rows, a larger margin, no more


def test_title_and_row_labels_keep_clear_of_the_left_edge_and_untitled_drops_the_band():
    fig = rc.gantt_figure(sample_roadmap(), "sv", today=TODAY)
    assert fig.layout.title.pad.l >= 12 and fig.layout.margin.l >= 12 and fig.layout.title.xanchor == "left"
    h, t = fig.layout.height, fig.layout.margin.t
    rc.untitled(fig)
    assert fig.layout.title.text == "" and h - fig.layout.height == t - fig.layout.margin.t > 0


# ---------------------------------------------------------------- as drawn (Chromium measures the text)


# `page` is pytest-playwright's (Debian's chromium, tests/conftest.py): a sync_playwright() of our own
# would fail inside the event loop that the browser tests' Playwright leaves running in the session.


def text_boxes(page, fig, width: int) -> list[tuple[str, float, float, float, float]]:  # noqa: ANN001
    """(text, left, top, right, bottom) of every visible text of `fig` exported as SVG `width` px wide."""
    svg = imaging.export_figure(fig, "svg", width=width)
    page.set_content(f"<body style='margin:0'>{svg.decode()}</body>")
    return page.evaluate(
        """() => [...document.querySelectorAll('text')]
            .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0')
            .map(t => { const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })"""
    )


def overlaps(boxes: list) -> list[tuple[str, str, float]]:  # noqa: ANN001
    """Pairs of texts whose boxes overlap by more than 1 px each way, with the overlap's width."""
    out = []
    for i, (t1, l1, u1, r1, d1) in enumerate(boxes):
        for t2, l2, u2, r2, d2 in boxes[i + 1 :]:
            w, h = min(r1, r2) - max(l1, l2), min(d1, d2) - max(u1, u2)
            if w > 1 and h > 1:
                out.append((t1, t2, round(w)))
    return out


def crowded(rm):  # noqa: ANN001, ANN201
    """Three milestones within six weeks on one goal, long titles, and one at the very end of the period."""
    goal = rm.goals[0].id
    ms = (
        MilestoneView(301, goal, "Förstudien om krisberedskap och lokal livsmedelsförsörjning klar", D(2027, 3, 1)),
        MilestoneView(302, goal, "Pilotanläggningen i Östersund invigs", D(2027, 3, 20)),
        MilestoneView(303, goal, "Beslut i styrgruppen om fortsättning", D(2027, 4, 10)),
        MilestoneView(304, None, "Halvtidsuppföljning av minimissionen", D(2027, 6, 30)),
        MilestoneView(305, None, "Slutrapport till S3-gruppen", D(2028, 12, 20)),
    )
    return dataclasses.replace(rm, milestones=ms)


@pytest.mark.parametrize("width", [1000, 1366])
def test_no_two_texts_of_a_gantt_overlap_as_drawn(page, width):
    rm = crowded(sample_roadmap(12))
    fig = rc.gantt_figure(rm, "sv", today=TODAY, width=width)
    boxes = text_boxes(page, fig, width)
    assert overlaps(boxes) == []
    drawn = " ".join(b[0] for b in boxes)
    for m in rm.milestones:  # every label whole (wrapped lines run together in the SVG's text)
        assert all(word in drawn for word in m.title.split())
    assert all(b[1] >= 0 and b[3] <= width for b in boxes)  # nothing off the edges


@pytest.mark.parametrize("width", [940, 1366])
def test_a_long_legend_never_covers_the_date_labels(page, width):
    """Ten lead actors with long names wrap the legend into several rows below the dates (the app's 940 px)."""
    rm = sample_roadmap(10)
    names = [  # the demo's lead actors
        "Coompanion", "Hushållningssällskapet", "Mittuniversitetet", "Peak Innovation", "Region Jämtland Härjedalen",
        "RISE", "Storsjöbygdens Mathantverk AB", "Torsta", "Östersunds kommun",
    ]  # fmt: skip
    goals = tuple(
        dataclasses.replace(
            g,
            activities=tuple(
                dataclasses.replace(a, lead=ActorRef(a.id, names[a.id % 9], "public")) for a in g.activities
            ),
        )
        for g in rm.goals
    )
    fig = rc.gantt_figure(dataclasses.replace(rm, goals=goals), "sv", today=TODAY, width=width)
    boxes = text_boxes(page, fig, width)
    assert overlaps(boxes) == []
    years = [b for b in boxes if b[0] in {"2026", "2027", "2028"} or b[0].endswith(("2026", "2027", "2028"))]
    legend_top = min(b[2] for b in boxes if b[0] == "Ansvarig aktör")
    assert years and all(b[4] <= legend_top for b in years)  # every date label above the legend, seen


def test_no_two_texts_of_the_portfolio_overlap_as_drawn(page):
    pr = sample_process()
    pr = dataclasses.replace(pr, roadmaps=(crowded(pr.roadmaps[0]), *pr.roadmaps[1:]))
    for width in (1000, 1366):
        boxes = text_boxes(page, rc.portfolio_figure(pr, "sv", today=TODAY, width=width), width)
        assert overlaps(boxes) == []
        assert any("% klart" in b[0] for b in boxes)


def test_kpi_titles_and_status_words_are_whole_and_on_the_image_at_1366(page):
    rm = sample_roadmap()
    name = "Andel små och medelstora livsmedelsföretag i länet som deltar i minst en gemensam satsning"
    rm = dataclasses.replace(rm, kpis=(dataclasses.replace(rm.kpis[0], name=name), *rm.kpis[1:]))
    boxes = text_boxes(page, rc.kpis_figure(rm, "sv", width=1366), 1366)
    assert overlaps(boxes) == []
    assert all(b[1] >= 0 and b[3] <= 1366 for b in boxes)
    drawn = " ".join(b[0] for b in boxes)
    assert all(word in drawn for word in name.split())
    assert "I fas" in drawn and "Efter plan" in drawn


def font_sizes(node) -> list[float]:  # noqa: ANN001
    """Every font size set anywhere in a figure's JSON (layout, traces, annotations, axes)."""
    out: list[float] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("font", "tickfont", "textfont") and isinstance(value, dict) and "size" in value:
                out.append(value["size"])
            out += font_sizes(value)
    elif isinstance(node, list):
        for item in node:
            out += font_sizes(item)
    return out


def test_no_text_in_any_roadmap_chart_is_smaller_than_the_font_the_media_are_sized_for():
    """The report, deck and PDF sizes (edp.io.reports, edp.io.imaging) are worked out from 14 px text."""
    rm = crowded(sample_roadmap(12))
    figs = [
        rc.gantt_figure(rm, "sv", today=TODAY),
        rc.kpis_figure(rm, "sv"),
        rc.kpi_figure(rm.kpis[0], "sv"),
        rc.portfolio_figure(sample_process(), "sv", today=TODAY),
    ]
    for fig in figs:
        sizes = font_sizes(fig.to_plotly_json())
        assert sizes and min(sizes) >= rc.FONT_SIZE == 14
