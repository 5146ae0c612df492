"""The set-up page through AppTest: a new process and workshop sign the facilitator in; actors
are added, edited and imported from CSV (all or nothing); rounds are added with their settings."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from edp import i18n
from edp import workshop as ops
from edp.errors import ValidationError
from edp.imports import list_actors
from edp.live import facilitator_view, round_view, workshop_view
from edp.queries import overview
from tests.app.support import APP, TIMEOUT_S, ok
from tests.conftest import table_counts
from tests.factory import PASSCODE, make_setup

NEW_PASSCODE = "fjällen-2026"


def sv(key: str, **params) -> str:
    return i18n.t(key, "sv", **params)


def setup_page(s=None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    if s is not None:
        at.session_state["fac_token"] = s.fac
        at.session_state["fac_workshop"] = s.workshop_id
    return ok(at.switch_page("pages/setup.py").run())


def submit(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return ok(button.click().run())


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def fill_workshop(at: AppTest, *, passcode: str = NEW_PASSCODE, again: str | None = None, code: str = "") -> None:
    at.text_input(key="setup-w-title").input("Aktörsmöte i Östersund")
    at.date_input(key="setup-w-date").set_value(dt.date(2026, 3, 18))
    at.text_input(key="setup-w-venue").input("Jamtli")
    at.text_input(key="setup-w-pass").input(passcode)
    at.text_input(key="setup-w-pass2").input(passcode if again is None else again)
    if code:
        at.text_input(key="setup-w-code").input(code)


# ------------------------------------------------------------------ process and workshop


def test_new_process_and_workshop_are_created_and_the_facilitator_signed_in(engine):
    ops.create_strength_area(engine, "UPPL", "Upplevelser", "Experiences")
    ops.create_process(engine, "Äldre process", strength_area_codes=["UPPL"])  # makes the area visible
    at = setup_page()
    assert at.selectbox(key="setup-process").value == 0  # a new process by default
    at.text_input(key="setup-p-title").input("Upplevelser 2026")
    at.text_input(key="setup-p-financier").input("Regionfonden (ERUF)")
    at.number_input(key="setup-p-start").set_value(2026)
    at.number_input(key="setup-p-end").set_value(2027)
    at.multiselect(key="setup-p-areas").set_value(["UPPL"])
    fill_workshop(at, code="upp-26")
    at.checkbox(key="setup-w-allow").uncheck()
    at = submit(at, sv("ui.setup.create"))

    assert not errors(at)
    proc = next(p for p in overview(engine) if p["title"] == "Upplevelser 2026")
    assert (proc["financier"], proc["period_start"], proc["period_end"]) == ("Regionfonden (ERUF)", 2026, 2027)
    assert [a["code"] for a in proc["strength_areas"]] == ["UPPL"]
    [ws] = proc["workshops"]
    assert (ws["title"], ws["date"], ws["venue"], ws["join_code"]) == (
        "Aktörsmöte i Östersund",
        "2026-03-18",
        "Jamtli",
        "UPP26",
    )
    wv = workshop_view(engine, ws["id"])
    assert wv.anonymous is True and wv.allow_new_actors is False
    # Signed in: the token in the session is a working facilitator login for this workshop.
    assert at.session_state["fac_workshop"] == ws["id"]
    assert facilitator_view(engine, at.session_state["fac_token"]).id == ws["id"]
    assert sv("ui.setup.created", code="UPP26") in [s.value for s in at.success]
    assert at.get("page_link")  # the way on to the console


def test_differing_passcodes_create_nothing(engine):
    at = setup_page()
    at.text_input(key="setup-p-title").input("P")
    fill_workshop(at, again="fjällen-2027")
    at = submit(at, sv("ui.setup.create"))
    assert errors(at) == [sv("ui.setup.passcode_mismatch")]
    assert overview(engine) == []
    assert "fac_token" not in at.session_state


def test_too_short_passcode_is_refused_naming_the_limit_and_creates_nothing(engine):
    at = setup_page()
    at.text_input(key="setup-p-title").input("P")
    fill_workshop(at, passcode="kort")
    at = submit(at, sv("ui.setup.create"))
    expected = ValidationError("input.too_short", field="passcode", min=8, length=4).message("sv")
    assert errors(at) == [expected]
    assert "8" in expected
    assert overview(engine) == []


def test_a_refused_workshop_keeps_its_new_process_for_the_retry(engine):
    taken = make_setup(engine)
    at = setup_page()
    at.text_input(key="setup-p-title").input("Hållbar energi 2026")
    fill_workshop(at, code=taken.join_code)
    at = submit(at, sv("ui.setup.create"))
    # A code is what someone typed: the message quoting it is plain text under a fixed alert.
    assert errors(at) == [sv("ui.refused_quoting")]
    assert sv("workshop.join_code_taken", field="Anslutningskod", code=taken.join_code) in [t.value for t in at.text]
    assert "fac_token" not in at.session_state

    at = ok(at.run())  # the next run selects the process that was created
    energy = next(p for p in overview(engine) if p["title"] == "Hållbar energi 2026")
    assert at.selectbox(key="setup-process").value == energy["id"]
    at.text_input(key="setup-w-code").input("ENERGI1")
    at = submit(at, sv("ui.setup.create"))
    assert not errors(at)
    assert [p["title"] for p in overview(engine)].count("Hållbar energi 2026") == 1
    [ws] = next(p for p in overview(engine) if p["title"] == "Hållbar energi 2026")["workshops"]
    assert ws["join_code"] == "ENERGI1"
    assert at.session_state["fac_workshop"] == ws["id"]


# ------------------------------------------------------------------ actors


def test_actor_is_added_and_edited_keeping_its_municipality(engine):
    s = make_setup(engine)
    at = setup_page(s)
    at.text_input(key="actor-add-name-0").input("Hushållningssällskapet")
    at.selectbox(key="actor-add-helix-0").set_value("civil")
    at.text_input(key="actor-add-mun-0").input("Östersund")
    at = submit(at, sv("ui.setup.add_actor"))
    [hus] = [a for a in list_actors(engine, s.fac) if a["name"] == "Hushållningssällskapet"]
    assert (hus["helix"], hus["municipality"]) == ("civil", "Östersund")

    at.selectbox(key="actor-edit-id").set_value(hus["id"])
    at = ok(at.run())
    assert at.text_input(key=f"actor-edit-mun-{hus['id']}").value == "Östersund"
    at.selectbox(key=f"actor-edit-helix-{hus['id']}").set_value("business")
    at = submit(at, sv("ui.setup.save_actor"))
    [hus] = [a for a in list_actors(engine, s.fac) if a["id"] == hus["id"]]
    assert (hus["helix"], hus["municipality"]) == ("business", "Östersund")


def test_duplicate_actor_name_is_refused_with_the_engines_message(engine):
    s = make_setup(engine)
    at = setup_page(s)
    at.text_input(key="actor-add-name-0").input("aktör civil")
    at = submit(at, sv("ui.setup.add_actor"))
    # The message quotes what was typed, so it is shown as plain text under a fixed alert.
    assert errors(at) == [sv("ui.refused_quoting")]
    expected = sv("actor.duplicate", field="Organisationens namn", name="Aktör civil")  # names the existing actor
    assert expected in [x.value for x in at.text]
    assert len(list_actors(engine, s.fac)) == 4


def test_a_refusal_quoting_a_typed_name_never_renders_it_as_markdown(engine):
    s = make_setup(engine)
    typed = "**Fet** [länk](http://e.se) :material/home: &lt;b&gt;"
    ops_add = __import__("edp.workshop", fromlist=["add_actor"]).add_actor
    ops_add(engine, s.process_id, typed, "civil")
    at = setup_page(s)
    at.text_input(key="actor-add-name-0").input(typed)
    at = submit(at, sv("ui.setup.add_actor"))
    assert all(typed not in m.value for m in at.error)  # no Markdown element carries the typed text
    assert any(typed in x.value for x in at.text)  # it is there, literally, in an st.text
    assert len([a for a in list_actors(engine, s.fac) if a["name"] == typed]) == 1


def test_csv_import_adds_every_actor(engine):
    s = make_setup(engine)
    at = setup_page(s)
    data = "\ufeffnamn;helix;kommun\nTorsta;näringsliv;Östersund\nMittuniversitetet;akademi;\n".encode()
    at.file_uploader(key="import-file-0").upload("aktorer.csv", data, "text/csv")
    at = ok(at.run())
    at = ok(at.button(key="import-go").click().run())
    assert not errors(at)
    names = {a["name"]: a["helix"] for a in list_actors(engine, s.fac)}
    assert names["Torsta"] == "business" and names["Mittuniversitetet"] == "academia"
    assert sv("ui.setup.imported", n=2) in [m.value for m in at.success]


def test_csv_with_a_bad_helix_on_row_3_lists_the_row_and_imports_nothing(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    at = setup_page(s)
    at.text_area(key="import-paste-0").input("name,helix\nTorsta,business\nGaaltije,industri\nRISE,akademi\n")
    at = ok(at.button(key="import-go").click().run())

    assert errors(at) == [sv("import.rows_invalid", count=1)]
    [rows] = [e.value for e in at.text if e.value.startswith("Rad ")]
    assert rows.startswith("Rad 3: Helixgrupp ”industri” finns inte.")
    assert table_counts(engine) == before
    assert "Torsta" not in {a["name"] for a in list_actors(engine, s.fac)}


# ------------------------------------------------------------------ rounds


def test_score_round_with_the_five_s3_criteria_is_added(engine):
    s = make_setup(engine)
    at = setup_page(s)
    at.selectbox(key="setup-round-method").set_value("score")
    at = ok(at.run())
    at = ok(at.button(key="setup-round-s3").click().run())
    at.text_area(key="setup-round-prompt").input("Bedöm temana mot kriterierna")
    at = ok(at.button(key="setup-round-add").click().run())
    assert not errors(at)

    [_, r2] = workshop_view(engine, s.workshop_id).rounds
    rv = round_view(engine, r2.id)
    assert (rv.method, rv.prompt) == ("score", "Bedöm temana mot kriterierna")
    assert [c.name_sv for c in rv.criteria] == [
        "Innovationspotential",
        "Kritisk massa",
        "Marknadspotential",
        "Koppling till regionens styrkeområden",
        "Internationell konnektivitet",
    ]
    assert {(c.weight, c.scale_min, c.scale_max) for c in rv.criteria} == {(1.0, 1, 5)}
    assert rv.criteria[0].description.startswith("Kan temat skapa")


def test_rank_round_is_added_with_its_count(engine):
    s = make_setup(engine)
    at = setup_page(s)
    at.selectbox(key="setup-round-method").set_value("rank")
    at = ok(at.run())
    at.number_input(key="setup-round-rank").set_value(4)
    at = ok(at.button(key="setup-round-add").click().run())
    [_, r2] = workshop_view(engine, s.workshop_id).rounds
    assert (r2.method, round_view(engine, r2.id).rank_count) == ("rank", 4)


def test_score_round_without_criteria_is_refused_and_not_added(engine):
    s = make_setup(engine)
    at = setup_page(s)
    at.selectbox(key="setup-round-method").set_value("score")
    at = ok(at.run())
    at = ok(at.button(key="setup-round-add").click().run())
    assert errors(at) == [sv("round.criteria_count", field="Kriterier", min=1, max=10)]
    assert len(workshop_view(engine, s.workshop_id).rounds) == 1


def test_signed_in_setup_page_names_the_workshop_and_its_code(engine):
    s = make_setup(engine)
    at = setup_page(s)
    assert "Testworkshop – Testprocess" in [e.value for e in at.text]
    assert sv("ui.setup.join_code_is", code=s.join_code) in [c.value for c in at.caption]
    assert PASSCODE not in str([e.value for e in at.text])
