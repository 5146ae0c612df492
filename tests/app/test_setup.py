"""The set-up page through AppTest: only a signed-in organiser gets it, and sees only the processes
they lead; a new workshop opens its console; actors are added, edited and imported from CSV (all or
nothing). Rounds are added in the console (tests/app/test_facilitate.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from edp import i18n
from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import ValidationError
from edp.imports import list_actors
from edp.live import facilitator_view, workshop_view
from edp.queries import overview
from tests.app.support import APP, TIMEOUT_S, as_organiser, ok, organiser_token
from tests.conftest import table_counts
from tests.factory import PASSCODE, make_setup

NEW_PASSCODE = "fjällen-2026"


def sv(key: str, **params) -> str:
    return i18n.t(key, "sv", **params)


def setup_page(engine, s, **roles) -> AppTest:
    """The set-up page for the leader of `s`'s process (or the roles given)."""
    token = organiser_token(engine, **(roles or {"leads": s.process_id}))
    return as_organiser(token, "pages/setup.py")


def submit(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return ok(button.click().run())


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def fill_workshop(at: AppTest, *, passcode: str = NEW_PASSCODE, again: str | None = None, code: str = "") -> None:
    at.text_input(key="setup-w-title-0").input("Aktörsmöte i Östersund")
    at.date_input(key="setup-w-date-0").set_value(dt.date(2026, 3, 18))
    at.text_input(key="setup-w-venue-0").input("Jamtli")
    at.text_input(key="setup-w-pass-0").input(passcode)
    at.text_input(key="setup-w-pass2-0").input(passcode if again is None else again)
    if code:
        at.text_input(key="setup-w-code-0").input(code)


# ------------------------------------------------------------------ who gets the page


def test_a_visitor_and_a_passcode_console_do_not_get_the_set_up_page(engine):
    s = make_setup(engine)
    for state in ({}, {"fac_token": s.fac, "fac_workshop": s.workshop_id}):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        for key, value in state.items():
            at.session_state[key] = value
        ok(at.run())
        # Not in their menu; by its address, the page asks them to sign in and stops.
        at = ok(at.switch_page("pages/setup.py").run())
        assert [i.value for i in at.info] == [sv("ui.signin.needed")]
        assert not at.text_input and not at.button and not at.tabs
        assert [sb.key for sb in at.selectbox] == ["lang_select"]  # the sidebar's language, nothing else
        page = AppTest.from_file(str(APP.parent / "pages" / "setup.py"), default_timeout=TIMEOUT_S)
        for key, value in state.items():
            page.session_state[key] = value
        page = ok(page.run())  # the page itself, reached some other way
        assert [i.value for i in page.info] == [sv("ui.signin.needed")]
        assert not page.text_input


def test_an_organiser_without_a_process_is_told_so(engine):
    make_setup(engine)
    at = as_organiser(organiser_token(engine), "pages/setup.py")
    assert [i.value for i in at.info] == [sv("ui.setup.no_led_processes")]


def test_a_process_leader_sees_only_the_processes_they_lead(engine):
    s = make_setup(engine)
    ops.create_process(engine, SYSTEM, "Någon annans process")
    at = setup_page(engine, s)
    assert at.selectbox(key="setup-process").options == ["Testprocess"]


# ------------------------------------------------------------------ workshops


def test_a_new_workshop_is_created_in_the_led_process_and_its_console_opens(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    fill_workshop(at, code="uppx26")
    at.checkbox(key="setup-w-allow-0").uncheck()
    at = submit(at, sv("ui.setup.create"))

    assert not errors(at)
    ws = next(
        w for w in overview(engine, all_join_codes=True)[0]["workshops"] if w["title"] == "Aktörsmöte i Östersund"
    )
    assert (ws["date"], ws["venue"], ws["join_code"]) == ("2026-03-18", "Jamtli", "UPPX26")
    wv = workshop_view(engine, ws["id"])
    assert wv.anonymous is True and wv.allow_new_actors is False
    # The console is open: the token in the session drives this workshop.
    assert at.session_state["fac_workshop"] == ws["id"]
    assert facilitator_view(engine, at.session_state["fac_token"]).id == ws["id"]
    assert ops.login_facilitator(engine, ws["id"], NEW_PASSCODE)  # and the passcode opens it too


def test_a_workshop_may_have_no_passcode(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    at.text_input(key="setup-w-title-0").input("Utan lösenkod")
    at = submit(at, sv("ui.setup.create"))
    assert not errors(at)
    ws = next(w for w in overview(engine)[0]["workshops"] if w["title"] == "Utan lösenkod")
    assert facilitator_view(engine, at.session_state["fac_token"]).id == ws["id"]


def test_differing_passcodes_create_nothing(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    before = table_counts(engine)
    fill_workshop(at, again="fjällen-2027")
    at = submit(at, sv("ui.setup.create"))
    assert errors(at) == [sv("ui.setup.passcode_mismatch")]
    assert table_counts(engine) == before


def test_a_weak_passcode_is_refused_naming_the_field_and_creates_nothing(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    before = table_counts(engine)
    for passcode, error in (("kort", ValidationError("input.too_short", field="passcode", min=8, length=4)),
                            ("12345678", ValidationError("input.too_easy_to_guess", field="passcode"))):  # fmt: skip
        fill_workshop(at, passcode=passcode)
        at = submit(at, sv("ui.setup.create"))
        assert errors(at) == [error.message("sv")]
        assert table_counts(engine) == before


def test_a_taken_join_code_is_refused_and_the_form_keeps_what_was_typed(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    fill_workshop(at, code=s.join_code)
    at = submit(at, sv("ui.setup.create"))
    # A code is letters and digits only, which nothing renders: the alert quotes it itself (what
    # else someone typed is plain text under a fixed alert, below).
    assert errors(at) == [sv("workshop.join_code_taken", field="Anslutningskod", code=s.join_code)]
    assert at.text_input(key="setup-w-title-0").value == "Aktörsmöte i Östersund"
    assert "fac_token" not in at.session_state


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("abcd", ValidationError("input.too_short", field="join_code", min=6, length=4)),
        ("+SUM(1,1)", ValidationError("workshop.join_code_format", field="join_code")),
        ("DEMO26", ValidationError("workshop.join_code_format", field="join_code")),
    ],
)
def test_a_custom_join_code_outside_the_rule_is_refused_and_nothing_is_created(engine, code, error):
    s = make_setup(engine)
    at = setup_page(engine, s)
    assert "A–Z utom I, L och O" in at.text_input(key="setup-w-code-0").help  # the rule, before typing
    fill_workshop(at, code=code)
    before = table_counts(engine)
    at = submit(at, sv("ui.setup.create"))
    assert errors(at) == [error.message("sv")]
    assert table_counts(engine) == before
    assert "fac_token" not in at.session_state
    assert at.text_input(key="setup-w-code-0").value == code  # kept, to be corrected


def test_the_open_console_button_opens_an_existing_workshops_console(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    at = ok(at.button(key=f"setup-open-{s.workshop_id}").click().run())
    assert facilitator_view(engine, at.session_state["fac_token"]).id == s.workshop_id


# ------------------------------------------------------------------ actors


def test_actor_is_added_and_edited_keeping_its_municipality(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    at.text_input(key="actor-add-name-0").input("Hushållningssällskapet")
    at.selectbox(key="actor-add-helix-0").set_value("civil")
    at.text_input(key="actor-add-mun-0").input("Östersund")
    at = submit(at, sv("ui.setup.add_actor"))
    [hus] = [a for a in list_actors(engine, SYSTEM, s.process_id) if a["name"] == "Hushållningssällskapet"]
    assert (hus["helix"], hus["municipality"]) == ("civil", "Östersund")

    at.selectbox(key="actor-edit-id").set_value(hus["id"])
    at = ok(at.run())
    assert at.text_input(key=f"actor-edit-mun-{hus['id']}").value == "Östersund"
    at.selectbox(key=f"actor-edit-helix-{hus['id']}").set_value("business")
    at = submit(at, sv("ui.setup.save_actor"))
    [hus] = [a for a in list_actors(engine, SYSTEM, s.process_id) if a["id"] == hus["id"]]
    assert (hus["helix"], hus["municipality"]) == ("business", "Östersund")


def test_duplicate_actor_name_is_refused_with_the_engines_message(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    at.text_input(key="actor-add-name-0").input("aktör civil")
    at = submit(at, sv("ui.setup.add_actor"))
    # The message quotes what was typed, so it is shown as plain text under a fixed alert.
    assert errors(at) == [sv("ui.refused_quoting")]
    expected = sv("actor.duplicate", field="Organisationens namn", name="Aktör civil")  # names the existing actor
    assert expected in [x.value for x in at.text]
    assert len(list_actors(engine, SYSTEM, s.process_id)) == 4


def test_a_refusal_quoting_a_typed_name_never_renders_it_as_markdown(engine):
    s = make_setup(engine)
    typed = "**Fet** [länk](http://e.se) :material/home: &lt;b&gt;"
    ops.add_actor(engine, SYSTEM, s.process_id, typed, "civil")
    at = setup_page(engine, s)
    at.text_input(key="actor-add-name-0").input(typed)
    at = submit(at, sv("ui.setup.add_actor"))
    assert all(typed not in m.value for m in at.error)  # no Markdown element carries the typed text
    assert any(typed in x.value for x in at.text)  # it is there, literally, in an st.text
    assert len([a for a in list_actors(engine, SYSTEM, s.process_id) if a["name"] == typed]) == 1


def test_csv_import_adds_every_actor(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    data = "\ufeffnamn;helix;kommun\nTorsta;näringsliv;Östersund\nMittuniversitetet;akademi;\n".encode()
    at.file_uploader(key="import-file-0").upload("aktorer.csv", data, "text/csv")
    at = ok(at.run())
    at = ok(at.button(key="import-go").click().run())
    assert not errors(at)
    names = {a["name"]: a["helix"] for a in list_actors(engine, SYSTEM, s.process_id)}
    assert names["Torsta"] == "business" and names["Mittuniversitetet"] == "academia"
    assert sv("ui.setup.imported", n=2) in [m.value for m in at.success]


def test_csv_with_a_bad_helix_on_row_3_lists_the_row_and_imports_nothing(engine):
    s = make_setup(engine)
    at = setup_page(engine, s)
    before = table_counts(engine)
    at.text_area(key="import-paste-0").input("name,helix\nTorsta,business\nGaaltije,industri\nRISE,akademi\n")
    at = ok(at.button(key="import-go").click().run())

    assert errors(at) == [sv("import.rows_invalid", count=1)]
    [rows] = [e.value for e in at.text if e.value.startswith("Rad ")]
    assert rows.startswith("Rad 3: Helixgrupp ”industri” finns inte.")
    assert table_counts(engine) == before
    assert "Torsta" not in {a["name"] for a in list_actors(engine, SYSTEM, s.process_id)}


def test_an_observer_of_the_process_does_not_get_to_change_its_actors(engine):
    s = make_setup(engine)
    at = setup_page(engine, s, observes=s.process_id)
    assert [i.value for i in at.info] == [sv("ui.setup.no_led_processes")]
    assert PASSCODE not in str([e.value for e in at.text])
