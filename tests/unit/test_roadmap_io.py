"""Roadmap files: the workbook (read back independently, and round-tripped through parse_xlsx),
the CSV zip, the calendar, and every way an uploaded workbook can be refused."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import zipfile

import openpyxl
import pytest
from icalendar import Calendar

from edp.errors import ValidationError
from edp.roadmap import io as roadmap_io
from edp.roadmap.io import SHEETS, parse_xlsx, to_csv_zip, to_ics, to_xlsx
from edp.roadmap.views import ActivityView, ActorRef, GoalView, KpiView, MeasurementView, MilestoneView, RoadmapView
from tests.roadmap_sample import ACTORS, sample_process, sample_roadmap

DANGEROUS = ["=SUM(A1)", '=HYPERLINK("http://x","klick")', "+46 70 123", "-2", "@SUM(A1)", "#N/A"]
EMOJI = "Fiske 🐟 & <b>fet</b> <script>alert(1)</script>"


def tricky_roadmap() -> RoadmapView:
    """Formula-looking text everywhere, emoji, HTML, several partners, budgets 0 and None, no owner."""
    lead, partner2 = ACTORS[0], ActorRef(9, "=cmd|' /C calc'!A0", "business")
    acts = tuple(
        ActivityView(
            id=500 + i,
            goal_id=50,
            title=title,
            description=f"Rad 1\nRad 2 {title}",
            start=dt.date(2026, 2, 1),
            end=dt.date(2026, 2, 28),
            status="planned",
            lead=lead,
            partners=(ACTORS[1], partner2),
            budget_sek=(0, None, 1_000_000)[i % 3],
            funding_source=title,
            position=i,
        )  # fmt: skip
        for i, title in enumerate([*DANGEROUS, EMOJI])
    )
    goal = GoalView(50, "=1+1 mål", "-beskrivning", 0, acts)
    kpi = KpiView(
        60, 50, "@antal", "-", "result", -5.5, dt.date(2025, 1, 1), 12.25, dt.date(2027, 1, 1), ACTORS[2], "+SCB",
        "RCR01", 0, (MeasurementView(70, dt.date(2026, 1, 1), -1.5, "=A1", None),),
    )  # fmt: skip
    base = sample_roadmap()
    return dataclasses.replace(
        base, title="=Färdplan " + EMOJI, vision="+vision", owner=None, goals=(goal,),
        milestones=(MilestoneView(80, 50, "-milstolpe 🚩", dt.date(2026, 6, 1)),), kpis=(kpi,),
    )  # fmt: skip


def expected(rm: RoadmapView) -> dict[str, list[dict[str, object]]]:
    """What the file should hold for a view, written out independently of roadmap_io."""

    def txt(s: str | None) -> str | None:
        return s.strip() or None if s is not None else None

    goal = {g.id: g.title for g in rm.goals}
    return {
        "roadmap": [
            dict(
                title=txt(rm.title),
                vision=txt(rm.vision),
                period_start=rm.period_start,
                period_end=rm.period_end,
                owner=rm.owner.name if rm.owner else None,
                status=rm.status,
            )
        ],  # fmt: skip
        "goals": [dict(title=txt(g.title), description=txt(g.description)) for g in rm.goals],
        "activities": [
            dict(
                goal=goal[a.goal_id],
                title=txt(a.title),
                description=txt(a.description),
                start=a.start,
                end=a.end,
                status=a.status,
                lead_actor=a.lead.name,
                partners=txt("; ".join(p.name for p in a.partners)),
                budget_sek=a.budget_sek,
                funding_source=txt(a.funding_source),
            )
            for g in rm.goals
            for a in g.activities
        ],  # fmt: skip
        "milestones": [dict(goal=goal.get(m.goal_id), title=m.title, date=m.date) for m in rm.milestones],
        "kpis": [
            dict(
                goal=goal.get(k.goal_id),
                name=k.name,
                unit=txt(k.unit),
                kind=k.kind,
                baseline_value=k.baseline_value,
                baseline_date=k.baseline_date,
                target_value=k.target_value,
                target_date=k.target_date,
                lead_actor=k.lead.name,
                source=txt(k.source),
                eu_code=txt(k.eu_code),
            )
            for k in rm.kpis
        ],  # fmt: skip
        "measurements": [
            dict(kpi=k.name, date=m.date, value=m.value, note=txt(m.note)) for k in rm.kpis for m in k.measurements
        ],
    }


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_dicts(ws) -> list[dict[str, object]]:  # noqa: ANN001
    rows = list(ws.iter_rows(values_only=True))
    return [
        {h: v.date() if isinstance(v, dt.datetime) else v for h, v in zip(rows[0], row, strict=True)}
        for row in rows[1:]
    ]


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook written directly with openpyxl, as a user's spreadsheet program might."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def layout(**overrides: list[list[object]]) -> dict[str, list[list[object]]]:
    """A minimal valid workbook (headers, one roadmap row), with some sheets replaced."""
    sheets: dict[str, list[list[object]]] = {name: [list(cols)] for name, cols in SHEETS.items()}
    sheets["roadmap"].append(["Titel", "", dt.date(2026, 1, 1), dt.date(2027, 1, 1), "Region", "draft"])
    sheets.update(overrides)
    return sheets


def refused(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        parse_xlsx(data)
    assert exc.value.field == "file"
    return exc.value


# ---------------------------------------------------------------- the workbook, read back with openpyxl


def test_layout_is_the_documented_one():
    assert list(SHEETS) == ["roadmap", "goals", "activities", "milestones", "kpis", "measurements"]
    assert SHEETS["activities"][:2] == ("goal", "title") and SHEETS["measurements"] == ("kpi", "date", "value", "note")


def test_workbook_has_the_sheets_headers_and_the_views_data():
    rm = sample_roadmap()
    wb = load(to_xlsx(rm))
    assert wb.sheetnames == list(SHEETS)
    want = expected(rm)
    for name, cols in SHEETS.items():
        ws = wb[name]
        assert tuple(c.value for c in ws[1]) == cols
        assert all(c.font.bold for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert sheet_dicts(ws) == want[name], name
    assert len(want["roadmap"]) == 1 and len(want["activities"]) == 6 and len(want["measurements"]) == 2


def test_workbook_dates_are_dates_and_numbers_numbers():
    ws = load(to_xlsx(sample_roadmap()))["activities"]
    start, budget = ws["D2"], ws["I2"]
    assert isinstance(start.value, dt.datetime) and start.data_type == "d" and start.number_format == "yyyy-mm-dd"
    assert budget.value == 250_000 and budget.data_type == "n"
    assert ws["I3"].value is None or isinstance(ws["I3"].value, int)
    kpis = load(to_xlsx(sample_roadmap()))["kpis"]
    assert kpis["E4"].value == 120 and kpis["E4"].data_type == "n"
    assert isinstance(kpis["F4"].value, dt.datetime) and kpis["F4"].number_format == "yyyy-mm-dd"


def test_long_text_gets_a_wider_column_within_bounds():
    ws = load(to_xlsx(sample_roadmap()))["activities"]
    assert ws.column_dimensions["B"].width == roadmap_io.MAX_WIDTH  # the long title, capped
    assert 10 <= ws.column_dimensions["D"].width <= 14  # a date column


def test_formula_looking_text_is_a_string_cell_holding_exactly_the_text():
    data = to_xlsx(tricky_roadmap())
    wb = load(data)
    ws = wb["activities"]
    titles = [ws.cell(row=r, column=2) for r in range(2, ws.max_row + 1)]
    assert [c.value for c in titles] == [*DANGEROUS, EMOJI]
    assert all(c.data_type == "s" for c in titles)
    assert ws["B2"].quotePrefix  # Excel shows "=SUM(A1)" as typed
    assert ws["H2"].value == "Mittuniversitetet; =cmd|' /C calc'!A0"
    assert wb["roadmap"]["A2"].value == "=Färdplan " + EMOJI and wb["roadmap"]["A2"].data_type == "s"
    assert wb["measurements"]["D2"].value == "=A1" and wb["measurements"]["D2"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # no formula element anywhere in the file
        sheets_xml = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")]
    assert sheets_xml and not any(b"<f>" in x or b"<f " in x for x in sheets_xml)


def test_a_tab_or_cr_at_the_start_is_kept_as_text():
    rm = dataclasses.replace(sample_roadmap(), vision="\t=1+1")
    cell = load(to_xlsx(rm))["roadmap"]["B2"]
    assert cell.value == "\t=1+1" and cell.data_type == "s"


# ---------------------------------------------------------------- round trip through parse_xlsx


def values(parsed: dict[str, list[tuple[int, dict[str, object]]]]) -> dict[str, list[dict[str, object]]]:
    return {name: [row for _, row in rows] for name, rows in parsed.items()}


@pytest.mark.parametrize(
    "rm", [sample_roadmap(), sample_roadmap(300), tricky_roadmap()], ids=["small", "300", "tricky"]
)
def test_round_trip_gives_back_the_views_values(rm):
    parsed = parse_xlsx(to_xlsx(rm))
    assert list(parsed) == list(SHEETS)
    assert values(parsed) == expected(rm)
    for rows in parsed.values():  # Excel row numbers: the header is row 1
        assert [n for n, _ in rows] == list(range(2, len(rows) + 2))


def test_round_trip_keeps_types():
    parsed = values(parse_xlsx(to_xlsx(tricky_roadmap())))
    acts = parsed["activities"]
    assert [a["budget_sek"] for a in acts[:3]] == [0, None, 1_000_000]
    assert type(acts[0]["budget_sek"]) is int and type(acts[0]["start"]) is dt.date
    assert acts[-1]["title"] == EMOJI and acts[0]["title"] == "=SUM(A1)"
    assert acts[0]["description"] == "Rad 1\nRad 2 =SUM(A1)"
    assert acts[0]["partners"] == "Mittuniversitetet; =cmd|' /C calc'!A0"
    kpi = parsed["kpis"][0]
    assert kpi["baseline_value"] == -5.5 and kpi["target_value"] == 12.25 and kpi["unit"] == "-"
    assert parsed["measurements"] == [{"kpi": "@antal", "date": dt.date(2026, 1, 1), "value": -1.5, "note": "=A1"}]
    assert parsed["roadmap"][0]["owner"] is None and parsed["milestones"][0]["goal"] == "=1+1 mål"


def test_round_trip_of_300_activities_has_them_all():
    rm = sample_roadmap(300)
    parsed = parse_xlsx(to_xlsx(rm))
    assert len(parsed["activities"]) == 300 == len(rm.activities)
    assert len(parsed["goals"]) == len(rm.goals) == 12


# ---------------------------------------------------------------- parse_xlsx on files written elsewhere


def test_parse_ignores_extra_columns_and_sheets_and_reads_any_column_order():
    data = make_xlsx(
        layout(
            goals=[
                ["Extra", "DESCRIPTION ", " Title"],
                ["x", "Beskr", "Mål A"],
                [None, None, None],
                ["y", "", "Mål B"],
            ],
            notes=[["anything"]],
        )
    )
    parsed = parse_xlsx(data)
    assert parsed["goals"] == [
        (2, {"title": "Mål A", "description": "Beskr"}),
        (4, {"title": "Mål B", "description": None}),
    ]
    assert "notes" not in parsed and parsed["activities"] == []


def test_parse_finds_the_header_below_a_note_and_matches_sheet_names_loosely():
    sheets = layout()
    sheets["Goals"] = [["Mål från workshop 3"], list(SHEETS["goals"]), ["  Mål A  ", None]]
    del sheets["goals"]
    parsed = parse_xlsx(make_xlsx(sheets))
    assert parsed["goals"] == [(3, {"title": "Mål A", "description": None})]


def test_parse_reads_a_formula_as_its_text_and_never_evaluates_it():
    wb_data = make_xlsx(layout(goals=[list(SHEETS["goals"]), ["=1+1", '=HYPERLINK("http://x")']]))
    assert load(wb_data)["goals"]["A2"].data_type == "f"  # really a formula cell in the file
    assert parse_xlsx(wb_data)["goals"] == [(2, {"title": "=1+1", "description": '=HYPERLINK("http://x")'})]


def test_parse_turns_datetimes_into_dates_and_keeps_numbers():
    rows = [
        list(SHEETS["measurements"]),
        ["K", dt.datetime(2026, 3, 4, 15, 30), 2.5, 7],
        ["K", "2026-03-05", "3", None],
    ]
    parsed = parse_xlsx(make_xlsx(layout(measurements=rows)))["measurements"]
    assert parsed[0] == (2, {"kpi": "K", "date": dt.date(2026, 3, 4), "value": 2.5, "note": 7})
    assert parsed[1] == (3, {"kpi": "K", "date": "2026-03-05", "value": "3", "note": None})  # text stays text


def test_parse_accepts_exactly_the_row_limit(monkeypatch):
    monkeypatch.setattr(roadmap_io, "MAX_ROWS", 50)
    rows = [list(SHEETS["goals"]), *[[f"Mål {i}", None] for i in range(50)]]
    assert len(parse_xlsx(make_xlsx(layout(goals=rows)))["goals"]) == 50


# ---------------------------------------------------------------- parse_xlsx refusals


def assert_names(err: ValidationError, *words: str) -> None:
    for lang in ("sv", "en"):
        msg = err.message(lang)
        assert all(w in msg for w in words), (lang, msg)
        assert "{" not in msg and not msg.startswith("roadmap_import."), msg


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(2000),
        b"",
        "title,vision\nFärdplan,Mer mat\n".encode("utf-8-sig"),
        b"PK\x03\x04 truncated zip",
    ],
    ids=["random", "empty", "csv", "broken-zip"],
)
def test_not_an_xlsx_is_refused(data):
    err = refused(data)
    assert err.key == "roadmap_import.not_xlsx"
    assert "Excel" in err.message("sv") and "(.xlsx)" in err.message("en")
    assert "Filen" in err.message("sv") and "file" in err.message("en")


def test_a_zip_that_is_no_workbook_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hej")
    assert refused(buf.getvalue()).key == "roadmap_import.not_xlsx"


def test_the_csv_zip_is_not_a_workbook():
    assert refused(to_csv_zip(sample_roadmap())).key == "roadmap_import.not_xlsx"


def test_not_bytes_is_refused():
    assert refused("roadmap.xlsx").key == "roadmap_import.not_xlsx"  # type: ignore[arg-type]


def test_a_missing_sheet_is_named():
    sheets = layout()
    del sheets["milestones"]
    err = refused(make_xlsx(sheets))
    assert err.key == "roadmap_import.sheet_missing" and err.params["sheet"] == "milestones"
    assert_names(err, "milestones")


def test_every_missing_sheet_is_named():
    err = refused(make_xlsx({"Sheet1": [["a"]]}))
    assert err.params["sheet"] == ", ".join(SHEETS)
    assert_names(err, "roadmap", "measurements")


def test_a_missing_column_is_named_with_its_sheet():
    cols = [c for c in SHEETS["kpis"] if c != "target_date"]
    err = refused(make_xlsx(layout(kpis=[cols])))
    assert err.key == "roadmap_import.column_missing"
    assert err.params == {"field": "file", "sheet": "kpis", "column": "target_date"}
    assert_names(err, "kpis", "target_date")


def test_a_sheet_without_header_lacks_every_column():
    err = refused(make_xlsx(layout(goals=[])))
    assert err.params["sheet"] == "goals" and err.params["column"] == "title, description"
    assert_names(err, "goals", "title, description")


def test_too_many_rows_is_refused_naming_sheet_and_limit():
    rows = [list(SHEETS["measurements"]), *[["K", dt.date(2026, 1, 1), i, None] for i in range(5001)]]
    err = refused(make_xlsx(layout(measurements=rows)))
    assert err.key == "roadmap_import.too_many_rows" and err.params["max"] == 5000
    assert_names(err, "measurements", "5000")


def test_data_far_below_is_refused_even_after_blank_rows():
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in layout().items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb["goals"].cell(row=roadmap_io.MAX_ROW_INDEX + 1, column=1, value="långt ner")
    buf = io.BytesIO()
    wb.save(buf)
    err = refused(buf.getvalue())
    assert err.key == "roadmap_import.too_many_rows" and err.params["sheet"] == "goals"


def test_a_file_over_5_mb_is_refused_naming_the_limit():
    err = refused(b"PK" + os.urandom(5 * 1024 * 1024))
    assert err.key == "roadmap_import.too_big" and err.params["max"] == 5
    assert_names(err, "5 MB")


def test_a_zip_bomb_is_refused_before_unpacking():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", b"0" * (roadmap_io.MAX_UNPACKED_BYTES + 1))
    assert len(buf.getvalue()) < roadmap_io.MAX_BYTES
    err = refused(buf.getvalue())
    assert err.key == "roadmap_import.unpacked_too_big"
    assert_names(err, "50 MB")


def test_xml_entities_are_refused_not_expanded():
    """A "billion laughs" sheet must fail fast (defusedxml), never expand."""
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
        )
        + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    src = zipfile.ZipFile(io.BytesIO(to_xlsx(sample_roadmap())))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info, laughs if info.filename == "xl/worksheets/sheet2.xml" else src.read(info))
    err = refused(buf.getvalue())
    assert err.key == "roadmap_import.not_xlsx"
    causes = []
    while err is not None:
        causes.append(type(err).__name__)
        err = err.__cause__ or err.__context__
    assert "EntitiesForbidden" in causes  # refused by defusedxml, which openpyxl uses when installed
    assert openpyxl.DEFUSEDXML


def test_the_messages_exist_in_both_languages():
    from edp.i18n import catalogue

    keys = ["not_xlsx", "sheet_missing", "column_missing", "too_big", "unpacked_too_big", "too_many_rows"]
    for lang in ("sv", "en"):
        assert all(f"roadmap_import.{k}" in catalogue(lang) for k in keys)


# ---------------------------------------------------------------- CSV zip


def read_zip(data: bytes) -> dict[str, list[list[str]]]:
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            raw = zf.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), name  # BOM, so Excel reads UTF-8
            out[name] = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return out


def test_csv_zip_has_one_file_per_sheet_with_the_headers():
    files = read_zip(to_csv_zip(sample_roadmap()))
    assert list(files) == [f"{s}.csv" for s in SHEETS]
    for sheet, cols in SHEETS.items():
        assert tuple(files[f"{sheet}.csv"][0]) == cols
    acts = files["activities.csv"]
    assert len(acts) == 7
    assert acts[1][:6] == [
        "Mål 1: Ökad förädling",
        "Aktivitet 1",
        "Beskrivning 1",
        "2026-01-01",
        "2026-03-02",
        "planned",
    ]
    assert acts[1][8] == "250000" and acts[2][8] == "250003"
    assert files["roadmap.csv"][1] == [
        "Hållbar livsmedelsproduktion", "Mer mat förädlas i länet.", "2026-01-01", "2028-12-31",
        "Region Jämtland Härjedalen", "active",
    ]  # fmt: skip
    assert files["milestones.csv"][1] == ["", "Halvtidsutvärdering", "2027-06-30"]


def test_csv_zip_guards_formula_looking_text():
    files = read_zip(to_csv_zip(tricky_roadmap()))
    titles = [row[1] for row in files["activities.csv"][1:]]
    assert titles == ["'" + d if d[0] in "=+-@" else d for d in DANGEROUS] + [EMOJI]
    assert files["activities.csv"][1][7] == "Mittuniversitetet; =cmd|' /C calc'!A0"  # starts with M: unchanged
    assert files["measurements.csv"][1] == ["'@antal", "2026-01-01", "-1.5", "'=A1"]  # numbers stay numbers
    assert files["kpis.csv"][1][4] == "-5.5" and files["kpis.csv"][1][2] == "'-"
    every = [cell for rows in files.values() for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in every)


def test_csv_zip_reads_with_pandas():
    import pandas as pd

    with zipfile.ZipFile(io.BytesIO(to_csv_zip(sample_roadmap(300)))) as zf:
        frame = pd.read_csv(io.BytesIO(zf.read("activities.csv")), encoding="utf-8-sig")
    assert list(frame.columns) == list(SHEETS["activities"]) and len(frame) == 300


# ---------------------------------------------------------------- ICS


def events(data: bytes) -> list:
    cal = Calendar.from_ical(data)
    return [c for c in cal.walk("VEVENT")]


def test_ics_has_one_event_per_activity_and_milestone():
    rm = sample_roadmap()
    data = to_ics([rm])
    cal = Calendar.from_ical(data)
    assert str(cal["PRODID"]) == "-//edp-workshop//roadmaps//" and str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == rm.title
    evs = events(data)
    assert len(evs) == len(rm.activities) + len(rm.milestones) == 8


def test_ics_events_are_all_day_with_exclusive_end():
    rm = sample_roadmap()
    evs = {str(e["UID"]): e for e in events(to_ics([rm]))}
    for a in rm.activities:
        ev = evs[f"activity-{rm.id}-{a.id}@edp-workshop"]
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert type(start) is dt.date and start == a.start
        assert end == a.end + dt.timedelta(days=1)
        assert str(ev["SUMMARY"]) == a.title
    ms = evs["milestone-1-201@edp-workshop"]
    assert str(ms["SUMMARY"]) == "◆ Pilot klar"
    assert ms.decoded("DTSTART") == dt.date(2026, 11, 15) and ms.decoded("DTEND") == dt.date(2026, 11, 16)


def test_ics_description_and_categories():
    rm = sample_roadmap()
    a = rm.activities[0]
    ev = next(e for e in events(to_ics([rm], lang="en")) if str(e["SUMMARY"]) == a.title)
    desc = str(ev["DESCRIPTION"])
    assert "Goal: Mål 1: Ökad förädling" in desc and "Lead: Region Jämtland Härjedalen" in desc
    assert "Status: Planned" in desc and desc.endswith("Beskrivning 1")
    assert [str(c) for c in ev["CATEGORIES"].cats] == ["Mål 1: Ökad förädling"]
    sv = next(e for e in events(to_ics([rm], lang="sv")) if str(e["SUMMARY"]) == a.title)
    assert "Ansvarig: Region Jämtland Härjedalen" in str(sv["DESCRIPTION"]) and "Planerad" in str(sv["DESCRIPTION"])


def test_ics_cancelled_activity_is_marked_and_nothing_blocks_time():
    rm = sample_roadmap()
    evs = events(to_ics([rm]))
    cancelled = [e for e in evs if str(e.get("STATUS", "")) == "CANCELLED"]
    assert len(cancelled) == sum(a.status == "cancelled" for a in rm.activities) == 1
    assert all(str(e["TRANSP"]) == "TRANSPARENT" for e in evs)


def test_ics_of_several_roadmaps_has_unique_uids_and_the_process_name():
    proc = sample_process()
    data = to_ics(proc.roadmaps)
    evs = events(data)
    n = sum(len(rm.activities) + len(rm.milestones) for rm in proc.roadmaps)
    assert len(evs) == n
    uids = [str(e["UID"]) for e in evs]
    assert len(set(uids)) == n
    assert str(Calendar.from_ical(data)["X-WR-CALNAME"]) == proc.process_title


def test_ics_keeps_html_and_emoji_titles_as_text():
    rm = tricky_roadmap()
    summaries = {str(e["SUMMARY"]) for e in events(to_ics([rm]))}
    assert EMOJI in summaries and "=SUM(A1)" in summaries and "◆ -milstolpe 🚩" in summaries
    long_title = sample_roadmap().activities[2].title
    assert "<b>" in long_title and long_title in {str(e["SUMMARY"]) for e in events(to_ics([sample_roadmap()]))}


def test_ics_of_no_roadmaps_is_an_empty_calendar():
    assert events(to_ics([])) == []
