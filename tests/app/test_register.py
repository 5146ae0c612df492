"""The registration page: login required, list and arrivals, the unregistered toggle, the card PDF."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from edp import i18n
from edp import workshop as ops
from edp.live import workshop_view
from edp.registrations import import_registrations
from tests.factory import make_setup

PAGE = Path(__file__).resolve().parents[2] / "pages" / "register.py"


def page(fac: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=30)
    if fac:
        at.session_state["fac_token"] = fac
    return at.run()


def test_without_a_facilitator_login_the_page_asks_for_one(engine):
    at = page()
    assert not at.exception
    assert [i.value for i in at.info] == ["Logga in som processledare under ”Leda workshop” först."]
    assert not at.get("download_button")


def test_registered_people_are_listed_with_arrivals_and_cards_to_download(engine):
    s = make_setup(engine)
    people = import_registrations(engine, s.fac, "name,organisation,helix\nAnna,A AB,business\nBo,B AB,civil\n")
    ops.claim_registration(engine, people[0].token)
    at = page(s.fac)
    assert not at.exception
    assert [m.value for m in at.metric] == ["1 / 2"]
    (button,) = at.get("download_button")
    assert button.proto.label == "Ladda ner QR-kort (PDF)"


def test_turning_off_unregistered_joining_is_saved(engine):
    s = make_setup(engine)
    at = page(s.fac)
    at.toggle(key="allow_unregistered").set_value(False).run()
    assert not at.exception
    assert workshop_view(engine, s.workshop_id).allow_unregistered is False


def test_a_forged_facilitator_token_shows_the_engine_message(engine):
    at = page("forged-token")
    assert [e.value for e in at.error] == [i18n.t("auth.facilitator_required", "sv")]
