"""The registration page: login required, list and arrivals, the unregistered toggle, and the QR
cards, which are offered once, when they are made (import, or a lost card replaced)."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from edp import i18n
from edp import workshop as ops
from edp.i18n import t
from edp.live import participant_workshop_id, workshop_view
from edp.workshop.registrations import import_registrations
from tests.app.support import ok
from tests.factory import make_setup

PAGE = Path(__file__).resolve().parents[2] / "pages" / "register.py"
LIST = b"name,organisation,helix\nAnna,A AB,business\nBo,B AB,civil\n"
NEW_CARDS = "_reg_new_cards"


def page(fac: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=30)
    if fac:
        at.session_state["fac_token"] = fac
    return at.run()


def sv(key: str, **params) -> str:
    return t(key, "sv", **params)


def press(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return ok(button.click().run())


def card_tokens(pdf: bytes) -> list[str]:
    """The tokens in a cards PDF's personal links (each QR code is also a link)."""
    urls = [
        annot.get_object()["/A"]["/URI"] for pg in PdfReader(io.BytesIO(pdf)).pages for annot in pg.get("/Annots", [])
    ]
    return [url.split("?p=", 1)[1] for url in urls]


def page_text(at: AppTest) -> str:
    """Everything the page sent to the browser: every element's message, tables included."""
    out: list[str] = []

    def walk(node) -> None:  # noqa: ANN001 - a Block or an Element of the AppTest tree
        if getattr(node, "proto", None) is not None:
            out.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def test_without_a_facilitator_login_the_page_asks_for_one(engine):
    at = page()
    assert not at.exception
    assert [i.value for i in at.info] == ["Öppna workshopens konsol under ”Leda workshop” i den här fliken först."]
    assert not at.get("download_button")


def test_registered_people_are_listed_with_arrivals_and_no_card_after_the_import(engine):
    s = make_setup(engine)
    people = import_registrations(engine, s.fac, LIST.decode())
    ops.claim_registration(engine, people[0].token)
    at = ok(page(s.fac))
    assert [m.value for m in at.metric] == ["1 / 2"]
    assert not at.get("download_button")  # the cards were offered when the list was imported, not now
    text = page_text(at)
    assert "Anna" in text and "B AB" in text  # the list is there (the check below can fail)
    assert "?p=" not in text and not [p.token for p in people if p.token in text]


def test_importing_the_list_offers_the_cards_once_and_saved_means_gone(engine):
    s = make_setup(engine)
    at = page(s.fac)
    at.file_uploader[0].set_value(("anmalningar.csv", LIST, "text/csv"))
    at = press(at, sv("ui.reg.import"))
    assert [m.value for m in at.success] == [sv("ui.reg.imported", n=2)]
    assert sv("ui.reg.cards_once", n=2) in [w.value for w in at.warning]
    (button,) = at.get("download_button")
    assert button.proto.label == "Ladda ner QR-kort (PDF)"
    tokens = card_tokens(at.session_state[NEW_CARDS]["pdf"])
    assert len(tokens) == 2 and all(participant_workshop_id(engine, tok) == s.workshop_id for tok in tokens)
    assert not [tok for tok in tokens if tok in page_text(at)]  # only inside the PDF

    at = press(at, sv("ui.reg.cards_saved"))
    assert not at.get("download_button")
    assert NEW_CARDS not in at.session_state
    assert not page(s.fac).get("download_button")  # nor in a new session (a reload)


def test_a_lost_card_is_replaced_and_the_old_card_stops_working(engine):
    s = make_setup(engine)
    anna, bo = import_registrations(engine, s.fac, LIST.decode())
    at = page(s.fac)
    assert not at.get("download_button")
    at.selectbox(key="reissue_who").set_value(bo.id)
    at = press(at, sv("ui.reg.reissue"))
    assert sv("ui.reg.card_replaced") in [i.value for i in at.info]
    assert [e.value for e in at.text if e.value == "Bo"] == ["Bo"]  # plain text: a name is user input
    (new,) = card_tokens(at.session_state[NEW_CARDS]["pdf"])
    assert participant_workshop_id(engine, new) == s.workshop_id
    assert participant_workshop_id(engine, bo.token) is None  # the lost card
    assert participant_workshop_id(engine, anna.token) == s.workshop_id  # everyone else's still works


def test_a_used_card_is_not_replaced_in_an_anonymous_workshop(engine):
    s = make_setup(engine)
    anna, _ = import_registrations(engine, s.fac, LIST.decode())
    ops.claim_registration(engine, anna.token)
    at = page(s.fac)
    at.selectbox(key="reissue_who").set_value(anna.id)
    at = press(at, sv("ui.reg.reissue"))
    # "Anna" is letters only, which nothing renders: the alert quotes the name itself.
    assert [e.value for e in at.error] == [sv("card.already_used", name="Anna")]
    assert not at.get("download_button")
    assert participant_workshop_id(engine, anna.token) == s.workshop_id


def test_turning_off_unregistered_joining_is_saved(engine):
    s = make_setup(engine)
    at = page(s.fac)
    at.toggle(key="allow_unregistered").set_value(False).run()
    assert not at.exception
    assert workshop_view(engine, s.workshop_id).allow_unregistered is False


def test_a_forged_facilitator_token_shows_the_engine_message(engine):
    at = page("forged-token")
    assert [e.value for e in at.error] == [i18n.t("auth.facilitator_required", "sv")]
