"""Tally and ballot files: columns, round trips, and no spreadsheet formula ever written."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from edp import workshop as ops
from edp.access import SYSTEM
from edp.io import exports
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from tests.factory import make_setup

DANGEROUS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]


@pytest.fixture
def dangerous_round(engine):  # noqa: ANN001, ANN201
    """A closed dots round whose themes are titled like formulas, with one ballot on each."""
    setup = make_setup(engine, participants={"business": 1, "civil": 1})
    ops.set_phase(engine, setup.fac, setup.round_id, "proposing")
    ids = [ops.propose(engine, setup.tokens[0], setup.round_id, ops.ThemeInput(title=title)).id for title in DANGEROUS]
    ops.set_phase(engine, setup.fac, setup.round_id, "reviewing")
    ops.set_phase(engine, setup.fac, setup.round_id, "voting")
    submit_ballot(engine, setup.tokens[0], setup.round_id, {ids[0]: 3, ids[1]: 2})
    submit_ballot(engine, setup.tokens[1], setup.round_id, {ids[2]: 1, ids[3]: 1})
    ops.close_round(engine, setup.fac, setup.round_id)
    return engine, setup.round_id


def csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def starts_like_a_formula(cell: str) -> bool:
    return cell.startswith(exports.FORMULA_STARTS)


def test_tally_csv_writes_formula_like_titles_as_text(dangerous_round):
    engine, round_id = dangerous_round
    rows = csv_cells(exports.tally_csv(round_results(engine, SYSTEM, round_id)))
    header, body = rows[0], rows[1:]
    titles = [row[header.index("title")] for row in body]
    assert sorted(titles) == sorted("'" + d for d in DANGEROUS)
    assert not [cell for row in rows for cell in row if starts_like_a_formula(cell)]


def test_ballot_csv_writes_formula_like_titles_as_text(dangerous_round):
    engine, round_id = dangerous_round
    rows = csv_cells(exports.ballots_csv(engine, SYSTEM, round_id))
    header, body = rows[0], rows[1:]
    assert header == exports.BALLOT_COLUMNS
    assert sorted(row[header.index("theme_title")] for row in body) == sorted("'" + d for d in DANGEROUS)
    assert not [cell for row in rows for cell in row if starts_like_a_formula(cell)]


def test_tally_xlsx_holds_formula_like_titles_as_text_never_as_formulas(dangerous_round):
    engine, round_id = dangerous_round
    data = exports.tally_xlsx(round_results(engine, SYSTEM, round_id), "sv")

    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    titles = {c.value: c for c in cells if c.value in DANGEROUS}
    assert set(titles) == set(DANGEROUS)  # the text itself, unchanged, shown with a quote prefix
    assert all(c.quotePrefix and c.data_type == "s" for c in titles.values())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not [s for s in sheets if "<f>" in s or "<f " in s]


def test_guard_leaves_numbers_and_ordinary_text_alone():
    assert exports.guard_text(-2) == -2
    assert exports.guard_text("Kulturarv") == "Kulturarv"
    assert exports.guard_text("\tx") == "'\tx"
    assert exports.guard_text("\rx") == "'\rx"


def dots_result() -> dict:
    helix = {"business": 3.0, "academia": None, "public": 1.0, "civil": 0.0}
    themes = [
        {
            "theme_id": 4,
            "title": "Kulturarv",
            "rank": 1,
            "tied": False,
            "total": 4.0,
            "balanced": 5.0,
            "voters": 2,
            "share": 0.8,
            "by_helix": helix,
            "consensus": 0.7,
            "agreement_voters": 0.6,
            "agreement_helix": 0.8,
            "merged_from": [9, 11],
        },
        {
            "theme_id": 2,
            "title": "Film",
            "rank": 2,
            "tied": False,
            "total": 1.0,
            "balanced": 0.5,
            "voters": 1,
            "share": 0.2,
            "by_helix": helix,
            "consensus": 0.9,
            "agreement_voters": 0.9,
            "agreement_helix": 0.9,
            "merged_from": [],
        },
    ]
    turnout = {
        "overall": {"participants": 5, "ballots": 3, "rate": 0.6},
        "by_helix": {
            g: {"participants": 1, "ballots": 1, "rate": 1.0} for g in ("business", "academia", "public", "civil")
        },
    }
    return {
        "round": 1,
        "method": "dots",
        "participants": 5,
        "ballots": 3,
        "turnout": turnout,
        "criteria": [],
        "themes": themes,
    }


def test_tally_frame_has_stable_columns_in_ranking_order():
    frame = exports.tally_frame(dots_result())
    assert list(frame.columns) == [
        "rank",
        "tied",
        "theme_id",
        "title",
        "total",
        "balanced",
        "voters",
        "share",
        "consensus",
        "agreement_voters",
        "agreement_helix",
        "helix_business",
        "helix_academia",
        "helix_public",
        "helix_civil",
        "helix_other",
        "merged_from",
    ]
    assert list(frame["theme_id"]) == [4, 2]
    assert frame.loc[0, "merged_from"] == "9;11"
    assert pd.isna(frame.loc[0, "helix_academia"])  # a group with no ballots stays empty, not zero


def test_tally_csv_reads_back_as_the_same_table():
    back = pd.read_csv(io.BytesIO(exports.tally_csv(dots_result())), encoding="utf-8-sig")
    assert list(back["title"]) == ["Kulturarv", "Film"]
    assert list(back["total"]) == [4.0, 1.0]
    assert list(back.columns) == list(exports.tally_frame(dots_result()).columns)


def test_score_tally_has_a_mean_column_per_criterion(engine):
    from edp import demo

    summary = demo.load(engine)
    frame = exports.tally_frame(round_results(engine, SYSTEM, summary.score_round_id))
    means = [c for c in frame.columns if c.startswith("mean_")]
    assert means == [
        "mean_Innovation potential",
        "mean_Critical mass",
        "mean_Market potential",
        "mean_Fit with the region's strengths",
    ]
    assert {"n", "dispersion"} <= set(frame.columns) and "share" not in frame.columns
    assert len(frame) == 6


@pytest.mark.parametrize(
    ("lang", "sheets", "headers"),
    [
        (
            "sv",
            ["Rangordning", "Valdeltagande", "Om resultatet"],
            ["Plats", "Delad placering", "Tema-id", "Tema", "Prickar"],
        ),
        ("en", ["Ranking", "Turnout", "About"], ["Rank", "Tied", "Theme id", "Theme", "Dots"]),
    ],
)
def test_tally_xlsx_has_ranking_turnout_and_notes_in_the_language(lang, sheets, headers):
    book = openpyxl.load_workbook(io.BytesIO(exports.tally_xlsx(dots_result(), lang)))
    assert book.sheetnames == sheets
    ranking = book[sheets[0]]
    assert [c.value for c in ranking[1]][:5] == headers
    assert [c.value for c in ranking["D"]][1:] == ["Kulturarv", "Film"]
    assert [c.value for c in ranking["E"]][1:] == [4, 1]  # numbers stay numbers
    turnout = book[sheets[1]]
    assert [c.value for c in turnout[turnout.max_row]][1:] == [5, 3, 0.6]
    notes = [c.value for row in book[sheets[2]].iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith("Helix") for v in notes)
