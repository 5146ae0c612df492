"""Pre-registered workshops: the registration list, personal QR cards, and who counts as arrived."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from edp import workshop as ops
from edp.access import SYSTEM
from edp.errors import PermissionDenied, RowErrors, ValidationError
from edp.io.cards import cards_pdf, personal_url
from edp.live import workshop_view
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from edp.workshop.registrations import import_registrations, registered_participants
from tests.conftest import table_counts
from tests.factory import make_setup

GOOD = "name;organisation;helix\nÅsa N.;Mittuniversitetet;akademi\nNils P.;Aktör business;business\nÁilu S.;Gaaltije;civil society\n"


def test_registration_list_creates_registered_participants_who_have_not_arrived(engine):
    s = make_setup(engine)
    created = import_registrations(engine, s.fac, GOOD.encode("utf-8-sig"))
    assert [p.display_name for p in created] == ["Åsa N.", "Nils P.", "Áilu S."]
    assert [p.helix for p in created] == ["academia", "business", "civil"]
    rows = registered_participants(engine, s.fac)
    assert len(rows) == 3 and not any(arrived for *_, arrived in rows)
    # Not arrived yet: they do not count as participants in turnout.
    assert workshop_view(engine, s.workshop_id).counts.total_participants == 0


def test_a_bad_row_lists_every_error_and_imports_nothing(engine):
    s = make_setup(engine)
    before = table_counts(engine)
    bad = "name,organisation,helix\nAnna,Ny AB,business\n,Tom rad AB,business\nBo,Annat AB,industri\n"
    with pytest.raises(RowErrors) as info:
        import_registrations(engine, s.fac, bad)
    assert [(line, err.key, err.field) for line, err in info.value.rows] == [
        (3, "input.required", "display_name"),
        (4, "input.not_a_choice", "helix"),
    ]
    assert info.value.message("sv") == "2 rader har fel. Inget har importerats."
    assert table_counts(engine) == before


@pytest.mark.parametrize(
    ("text", "key"),
    [("", "csv.empty"), ("name,helix\nA,business\n", "csv.missing_columns"), (b"\xff\xfe\x00", "csv.not_utf8")],
)
def test_unreadable_files_are_refused_with_a_clear_message(engine, text, key):
    s = make_setup(engine)
    before = table_counts(engine)
    with pytest.raises(ValidationError) as info:
        import_registrations(engine, s.fac, text)
    assert info.value.key == key and info.value.field == "file"
    assert table_counts(engine) == before


def test_first_action_marks_arrival_and_counts_in_turnout(engine):
    s = make_setup(engine, themes=2, phase="voting")
    (p,) = import_registrations(engine, s.fac, "name,organisation,helix\nEva,Aktör public,public\n")
    ops.claim_registration(engine, p.token)
    ops.claim_registration(engine, p.token)  # idempotent
    assert workshop_view(engine, s.workshop_id).counts.participants["public"] == 1
    submit_ballot(engine, p.token, s.round_id, {s.themes[0]: 1})
    assert round_results(engine, SYSTEM, s.round_id).participants == 2  # the proposer from make_setup, and Eva


def test_unregistered_people_can_be_kept_out(engine):
    s = make_setup(engine)
    ops.set_workshop_options(engine, s.fac, allow_unregistered=False)
    before = table_counts(engine)
    with pytest.raises(PermissionDenied) as info:
        ops.join(engine, s.join_code, "Okänd", actor_id=s.actors["business"])
    assert info.value.key == "join.registration_required"
    assert table_counts(engine) == before


def test_cards_pdf_has_one_card_per_person_with_their_personal_link():
    cards = [(f"Deltagare {i} Åäö ŋ", "Gaaltije", f"token{i}") for i in range(9)]
    pdf = cards_pdf(cards, "Aktörsmöte Upplevelser", "http://10.0.0.5:8501/", "sv")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # 8 cards per page
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Deltagare 8 Åäö" in text and "ŋ" in text and "Skanna koden" in text  # wrapped lines
    assert personal_url("http://10.0.0.5:8501/", "abc") == "http://10.0.0.5:8501/?p=abc"
