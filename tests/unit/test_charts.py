"""The plotly figures: ranking order, one fixed colour per helix group, tie marks, escaping, language."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from edp import charts, i18n
from edp.charts import HELIX_COLOURS, ranking_figure, theme_labels
from edp.funnel import Funnel, FunnelStage
from edp.models import HELIX_GROUPS
from edp.voting import NAMES as METHODS

MARKUP = "<b>x</b>"


def theme(tid: int, rank: int, total: float, title: str | None = None, *, tied: bool = False, by_helix=None) -> dict:
    by_helix = by_helix or {"business": total, "academia": 0.0, "public": 0.0, "civil": 0.0}
    return {
        "theme_id": tid,
        "title": title or f"Tema {tid}",
        "rank": rank,
        "tied": tied,
        "total": total,
        "balanced": total,
        "voters": 1,
        "by_helix": by_helix,
        "consensus": 0.5,
    }


def dots_result(themes: list[dict]) -> dict:
    return {
        "round": 1,
        "method": "dots",
        "themes": themes,
        "criteria": [],
        "turnout": {"overall": {"participants": 4, "ballots": 3, "rate": 0.75}, "by_helix": {}},
    }


def helix_traces(fig) -> dict:  # noqa: ANN001
    return {tr.meta["helix"]: tr for tr in fig.data if isinstance(tr.meta, dict) and "helix" in tr.meta}


def totals_trace(fig):  # noqa: ANN001, ANN201
    return next(tr for tr in fig.data if isinstance(tr.meta, dict) and tr.meta.get("role") == "totals")


def strings(obj) -> list[str]:  # noqa: ANN001
    """Every string anywhere in a figure's data and layout."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings(v)]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in strings(v)]
    if hasattr(obj, "tolist"):
        return strings(obj.tolist())
    return []


def figure_strings(fig) -> list[str]:  # noqa: ANN001
    return strings(fig.to_plotly_json())


SPLIT = {"business": 3.0, "academia": 4.0, "public": 2.0, "civil": 1.0}
RESULT = dots_result(
    [
        theme(7, 1, 10.0, "Först", by_helix=SPLIT),
        theme(2, 2, 6.0, "Andra", by_helix={"business": 0.0, "academia": 0.0, "public": 6.0, "civil": 0.0}),
        theme(5, 3, 4.0, "Tredje", tied=True),
        theme(1, 3, 4.0, "Också tredje", tied=True),
        theme(9, 5, 1.0, "Sist"),
    ]
)


def test_bars_are_in_ranking_order_with_the_first_at_the_top():
    fig = ranking_figure(RESULT, "sv")
    expected = ["1. Först", "2. Andra", "3= Tredje", "3= Också tredje", "5. Sist"]
    for tr in helix_traces(fig).values():
        assert list(tr.y) == expected
    assert list(fig.layout.yaxis.categoryarray) == expected
    assert fig.layout.yaxis.autorange == "reversed"


def test_one_trace_per_helix_group_in_its_fixed_okabe_ito_colour():
    fig = ranking_figure(RESULT, "en")
    traces = helix_traces(fig)
    assert list(traces) == list(HELIX_GROUPS)
    assert {g: tr.marker.color for g, tr in traces.items()} == {g: HELIX_COLOURS[g] for g in HELIX_GROUPS}
    assert HELIX_COLOURS == {
        "business": "#E69F00", "academia": "#56B4E9", "public": "#009E73", "civil": "#CC79A7",
        "other": "#999999",  # grey: the small groups together, drawn only when the result has them
    }  # fmt: skip
    assert fig.layout.barmode == "stack"


def test_stacked_helix_bars_add_up_to_each_total():
    fig = ranking_figure(RESULT, "sv")
    traces = helix_traces(fig)
    sums = [sum(traces[g].x[i] for g in HELIX_GROUPS) for i in range(len(RESULT["themes"]))]
    assert sums == [t["total"] for t in RESULT["themes"]]
    assert list(traces["academia"].x)[0] == 4.0


def test_ties_are_marked_in_the_axis_label_and_at_the_bar_end():
    fig = ranking_figure(RESULT, "sv")
    text = list(totals_trace(fig).text)
    assert [("delad plats" in s) for s in text] == [False, False, True, True, False]
    assert text[2].strip() == "4 (delad plats)"
    assert totals_trace(fig).textfont.color[2] == charts.TIE_TEXT_LIGHT  # vermillion darkened for text on white
    assert totals_trace(fig).textfont.color[0] != charts.TIE_COLOUR
    assert "tied" in " ".join(totals_trace(ranking_figure(RESULT, "en")).text)


def test_markup_in_a_title_is_escaped_in_tick_labels_and_hover():
    result = dots_result([theme(1, 1, 3.0, MARKUP), theme(2, 2, 1.0, "A & B")])
    fig = ranking_figure(result, "sv")
    business = helix_traces(fig)["business"]
    assert business.y[0] == "1. &lt;b&gt;x&lt;/b&gt;"
    assert business.y[1] == "2. A &amp; B"
    assert business.customdata[0][0] == "&lt;b&gt;x&lt;/b&gt;"
    # The title is never part of a hovertemplate, where %{...} would be interpreted.
    assert "x</b>" not in (business.hovertemplate or "")
    assert not [s for s in figure_strings(fig) if "<b>" in s or "& B" in s]


@pytest.mark.parametrize(
    "build",
    [
        lambda r: charts.helix_breakdown_figure(r, "sv"),
        lambda r: charts.ranking_figure(r, "sv", projector=True, dark=True),
    ],
)
def test_every_figure_escapes_user_titles(build):
    fig = build(dots_result([theme(1, 1, 3.0, MARKUP)]))
    found = figure_strings(fig)
    assert any("&lt;b&gt;x&lt;/b&gt;" in s for s in found)
    assert not [s for s in found if MARKUP in s]


def test_identical_titles_at_one_rank_keep_separate_bars():
    result = dots_result([theme(1, 1, 2.0, "Samma", tied=True), theme(2, 1, 2.0, "Samma", tied=True)])
    labels = theme_labels(result["themes"])
    assert len(set(labels)) == 2


def test_long_titles_are_shortened_on_the_axis_but_whole_in_hover():
    long = "Kulturarv " * 12
    fig = ranking_figure(dots_result([theme(1, 1, 2.0, long)]), "sv")
    business = helix_traces(fig)["business"]
    assert business.y[0].endswith("…")
    assert len(business.y[0]) <= charts.LABEL_MAX + 3
    assert business.customdata[0][0] == long


LONG = "Kompetensförsörjning i vården genom distansutbildning och praktik på hemorten för unga vuxna i glesbygd"


@pytest.mark.parametrize(("width", "font"), [(1216, 19), (1824, 28)])
def test_on_the_projector_long_titles_wrap_whole_and_every_label_is_drawn(width, font):
    result = dots_result([theme(1, 1, 5.0, LONG), theme(2, 2, 3.0, "Kort <b>x</b> & y"), theme(3, 3, 1.0, "C" * 30)])
    fig = ranking_figure(result, "sv", projector=True, width=width, height=600, font=font)
    labels = list(helix_traces(fig)["business"].y)
    first = labels[0].split("<br>")
    assert len(first) in (2, 3)  # wrapped, not cut
    assert " ".join(first) == f"1. {LONG}"
    assert all(len(line) <= charts.label_chars(width, font) for line in first)
    assert labels[1] == "2. Kort &lt;b&gt;x&lt;/b&gt; &amp; y"  # escaped; the only markup is our <br>
    assert labels[2] == "3. " + "C" * 30  # a long word is never broken
    assert list(fig.layout.yaxis.tickvals) == labels and fig.layout.yaxis.tickmode == "array"
    assert fig.layout.font.size == font and fig.layout.legend.font.size == font
    assert fig.layout.height == 600
    assert not [t for t in fig.data if t.textfont and t.textfont.size and t.textfont.size < font]


def test_on_the_projector_a_title_longer_than_three_lines_is_shortened_at_the_third():
    label = charts.wrap_label("ord " * 40, 20, 3)
    lines = label.split("<br>")
    assert len(lines) == 3 and lines[-1].endswith("…") and all(len(line) <= 20 for line in lines)
    assert charts.wrap_label("a <b> " * 8, 10, 3).count("<b>") == 0  # each line escaped


def test_markup_split_across_wrapped_lines_stays_escaped():
    title = "Ett två tre fyra fem sex sju <script>alert(1)</script> åtta nio tio elva tolv"
    fig = ranking_figure(dots_result([theme(1, 1, 1.0, title)]), "sv", projector=True, width=800, font=28)
    found = figure_strings(fig)
    assert not [s for s in found if "<script" in s or "</script" in s]
    assert any("&lt;script&gt;" in s for s in found)


def contrast(a: str, b: str) -> float:
    def lum(hexa: str) -> float:
        c = [int(hexa[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("dark", [False, True])
def test_projector_chart_text_has_at_least_4_5_to_1_contrast(dark):
    bg = "#000000" if dark else "#FFFFFF"
    result = dots_result([theme(1, 1, 3.0, tied=True), theme(2, 1, 3.0, tied=True), theme(3, 3, 1.0)])
    fig = ranking_figure(result, "sv", projector=True, dark=dark)
    assert fig.layout.paper_bgcolor == bg == fig.layout.plot_bgcolor
    assert contrast(fig.layout.font.color, bg) >= 4.5
    for colour in totals_trace(fig).textfont.color:
        assert contrast(colour, bg) >= 4.5, colour
    funnel = charts.funnel_figure(Funnel(workshop_id=1, stages=()), "sv", projector=True, dark=dark)
    assert contrast(funnel.data[0].textfont.color, charts.TOTAL_COLOUR) >= 4.5  # the count inside a bar
    assert contrast(funnel.data[0].outsidetextfont.color, bg) >= 4.5


def test_a_group_without_ballots_stays_in_the_legend_and_is_marked():
    by_helix = {"business": 2.0, "academia": 1.0, "public": 0.0, "civil": None}
    fig = ranking_figure(dots_result([theme(1, 1, 3.0, by_helix=by_helix)]), "sv")
    traces = helix_traces(fig)
    assert traces["civil"].name == "Civilsamhälle (inga röster)"
    assert traces["public"].name == "Offentlig sektor"


def test_helix_names_and_axis_titles_follow_the_language():
    sv, en = ranking_figure(RESULT, "sv"), ranking_figure(RESULT, "en")
    assert [tr.name for tr in helix_traces(sv).values()] == [
        "Näringsliv",
        "Akademi",
        "Offentlig sektor",
        "Civilsamhälle",
    ]
    assert [tr.name for tr in helix_traces(en).values()] == ["Business", "Academia", "Public sector", "Civil society"]
    assert sv.layout.xaxis.title.text == "Prickar"
    assert en.layout.xaxis.title.text == "Dots"


def score_result() -> dict:
    crit = [
        {
            "id": 1,
            "name_sv": "Innovation <i>",
            "name_en": "Innovation <i>",
            "weight": 1.0,
            "scale_min": 1,
            "scale_max": 5,
        },
        {
            "id": 2,
            "name_sv": "Kritisk massa",
            "name_en": "Critical mass",
            "weight": 1.0,
            "scale_min": 1,
            "scale_max": 5,
        },
    ]
    themes = [
        {
            **theme(3, 1, 8.0, "Bäst", by_helix={"business": 9.0, "academia": 7.0, "public": None, "civil": 8.0}),
            "criteria_means": {"Innovation <i>": 4.0, "Critical mass": 4.0},
        },
        {
            **theme(4, 2, 6.0, "Näst", by_helix={"business": 5.0, "academia": 7.0, "public": None, "civil": 6.0}),
            "criteria_means": {"Innovation <i>": 2.5, "Critical mass": 3.5},
        },
    ]
    return {**dots_result(themes), "method": "score", "criteria": crit}


def test_score_rounds_show_each_groups_mean_as_a_marker_in_its_colour():
    fig = ranking_figure(score_result(), "sv")
    traces = helix_traces(fig)
    assert list(traces) == list(HELIX_GROUPS)
    assert all(tr.mode == "markers" for tr in traces.values())
    assert {g: tr.marker.color for g, tr in traces.items()} == {g: HELIX_COLOURS[g] for g in HELIX_GROUPS}
    assert list(traces["academia"].x) == [7.0, 7.0]
    total = next(tr for tr in fig.data if isinstance(tr.meta, dict) and tr.meta.get("role") == "total")
    assert list(total.x) == [8.0, 6.0]
    assert list(total.y) == ["1. Bäst", "2. Näst"]


def test_criteria_heatmap_has_criteria_in_the_language_and_themes_in_ranking_order():
    sv = charts.criteria_heatmap(score_result(), "sv")
    heat = sv.data[0]
    assert list(heat.x) == ["Innovation &lt;i&gt;", "Kritisk massa"]
    assert list(heat.y) == ["1. Bäst", "2. Näst"]
    assert [list(row) for row in heat.z] == [[4.0, 4.0], [2.5, 3.5]]
    assert list(charts.criteria_heatmap(score_result(), "en").data[0].x)[1] == "Critical mass"


def test_funnel_figure_has_one_bar_per_stage_with_translated_labels():
    funnel = Funnel(
        1,
        (
            FunnelStage("proposed", 21),
            FunnelStage("active", 20),
            FunnelStage("round", 6, round_seq=2, method="score"),
            FunnelStage("priorities", 3),
        ),
    )
    sv = charts.funnel_figure(funnel, "sv").data[0]
    assert list(sv.x) == [21, 20, 6, 3]
    assert list(sv.y) == ["Förslag", "Efter sammanslagningar", "Vidare till omgång 2", "Prioriteringar"]
    assert list(charts.funnel_figure(funnel, "en").data[0].y)[2] == "Carried into round 2"


def test_turnout_figure_shows_each_group_in_its_colour_with_counts():
    turnout = {g: {"participants": 4, "ballots": 2, "rate": 0.5} for g in HELIX_GROUPS}
    bar = charts.turnout_figure({"by_helix": turnout, "overall": {}}, "sv").data[0]
    assert list(bar.marker.color) == [HELIX_COLOURS[g] for g in HELIX_GROUPS]
    assert list(bar.y) == [50.0] * 4
    assert list(bar.text) == ["2 / 4"] * 4


def test_numbers_use_the_languages_decimal_mark():
    assert charts.number(19.7273, "sv", 1) == "19,7"
    assert charts.number(19.7273, "en", 1) == "19.7"
    assert charts.number(16.0, "sv") == "16"


def chart_keys() -> set[str]:
    """Every literal message key the chart and export modules ask for, plus the per-method ones."""
    keys: set[str] = set()
    for name in ("charts.py", "io/exports.py"):
        source = (Path(charts.__file__).parent / name).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                fn = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if fn in ("t", "_tr") and isinstance(node.args[0].value, str):
                    keys.add(node.args[0].value)
    keys |= {f"ui.res.chart.value.{m}" for m in METHODS} | {f"ui.res.chart.by_helix.{m}" for m in METHODS}
    keys |= {f"ui.res.funnel.{k}" for k in ("proposed", "active", "priorities")}
    return keys


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_chart_and_export_string_is_translated(lang):
    keys = chart_keys()
    assert "ui.res.chart.tied" in keys and len(keys) > 15
    missing = sorted(k for k in keys if k not in i18n.catalogue(lang))
    assert missing == []


def ranked(ranks: list[int]) -> list[dict]:
    tied = {r for r in ranks if ranks.count(r) > 1}
    return [theme(i + 1, r, 100.0 - r, tied=r in tied) for i, r in enumerate(ranks)]


@pytest.mark.parametrize(
    ("ranks", "top", "shown"),
    [
        ([1, 2, 3, 4, 5], 3, 3),  # a plain cut
        ([1, 2, 3, 3, 5], 3, 4),  # a tie at the cut comes along whole
        ([1, 2, 3, 3, 3, 3, 3, 8], 3, 2),  # a tie too long for the screen is left out whole
        ([1, 1, 1, 1, 1, 1], 3, 6),  # unless nothing would be left
        ([1, 2], 3, 2),
    ],
)
def test_top_themes_never_split_a_tie(ranks, top, shown):
    kept = charts.top_themes(ranked(ranks), top)
    assert len(kept) == shown
    assert kept == ranked(ranks)[:shown]


def test_projector_figure_shows_only_the_top_themes():
    fig = ranking_figure(dots_result(ranked(list(range(1, 15)))), "sv", projector=True, top=10)
    assert len(helix_traces(fig)["business"].y) == 10
