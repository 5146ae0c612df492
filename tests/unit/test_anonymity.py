"""Anonymity that holds against the organiser (docs/security.md, item 7).

Participant tokens are stored only as hashes and handed to the caller of the operation that made
them, once; a QR card is printed once; the facilitator of an anonymous workshop can neither get a
card's token back nor read or replace a ballot cast with it; and results and files never break a
helix group of fewer than 3 voters out (docs/tally.md). Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import logging

import pandas as pd
import pytest
from alembic.script import ScriptDirectory
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, inspect, select, text

from edp import backup, charts
from edp import workshop as ops
from edp.__main__ import main
from edp.access import SYSTEM
from edp.db import alembic_config, migrate, read, write
from edp.errors import NotFound, PermissionDenied, PhaseError
from edp.funnel import workshop_funnel
from edp.i18n import t
from edp.imports import list_actors
from edp.io import reports
from edp.io.cards import cards_pdf
from edp.io.exports import ballot_rows, ballots_csv, tally_csv, tally_frame, tally_xlsx
from edp.live import facilitator_view, participant_view, participant_workshop_id, workshop_view
from edp.models import AuditEvent, Ballot, Participant
from edp.queries import overview
from edp.security import token_hash
from edp.voting.ballots import _submit, submit_ballot, submit_paper_ballot
from edp.voting.tally import RoundInput, load_round_input, round_results, tally
from edp.workshop import participant_ref
from edp.workshop.registrations import card_rows, import_registrations, registered_participants, reissue_card
from tests.conftest import table_counts
from tests.factory import make_setup
from tests.unit.test_workshop_ops import refused

REGISTRATIONS = (
    "name,organisation,helix\n"
    "Anna Andersson,Aktör civil,civil\n"
    "Bertil Berg,Aktör academia,academia\n"
    "Cecilia Ceder,Aktör public,public\n"
)


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def card_tokens(pdf: bytes) -> list[str]:
    """The tokens in a cards PDF (each QR code is also a link to the personal URL)."""
    urls = [a.get_object()["/A"]["/URI"] for pg in PdfReader(io.BytesIO(pdf)).pages for a in pg.get("/Annots", [])]
    return [url.split("?p=", 1)[1] for url in urls]


def stored_hashes(engine) -> set[str]:
    with read(engine) as s:
        return set(s.scalars(select(Participant.token_hash)))


def ballot_of(engine, participant_id: int, round_id: int) -> list[tuple]:
    with read(engine) as s:
        return [
            tuple(r)
            for r in s.execute(
                select(Ballot.id, Ballot.pseudonym, Ballot.times_replaced).where(
                    Ballot.participant_id == participant_id, Ballot.round_id == round_id
                )
            )
        ]


# ---------------------------------------------------------------- tokens only as hashes


def test_participant_tokens_are_stored_only_as_their_hashes(engine):
    s = make_setup(engine, participants={"civil": 1})  # joins by code
    paper = ops.register_paper_participant(engine, s.fac, "Pappers-Per", s.actors["business"])
    (rut,) = import_registrations(engine, s.fac, "name,organisation,helix\nRegistrerad Rut,Aktör civil,civil\n")
    new = reissue_card(engine, s.fac, rut.id)
    live = [*s.tokens, paper.token, new.token]
    assert all(len(tok) >= 43 for tok in [*live, rut.token])  # token_urlsafe(32): 256 bits
    assert "token" not in {c["name"] for c in inspect(engine).get_columns("participants")}
    assert stored_hashes(engine) == {token_hash(tok) for tok in live}  # rut's first card is gone
    everything = json.dumps(backup.dump(engine), ensure_ascii=False, default=str)
    assert not [tok for tok in [*live, rut.token] if tok in everything]


def test_each_operation_that_makes_a_participant_hands_the_token_to_its_caller_once(engine):
    s = make_setup(engine)
    joined = ops.join(engine, s.join_code, "Ny Nilsson", actor_id=s.actors["public"])
    paper = ops.register_paper_participant(engine, s.fac, "Pappers-Per", s.actors["business"])
    (rut,) = import_registrations(engine, s.fac, "name,organisation,helix\nRegistrerad Rut,Aktör civil,civil\n")
    for p in (joined, paper, rut):
        assert participant_view(engine, p.token).id == p.id
    with read(engine) as sess:
        loaded = list(sess.scalars(select(Participant)))
    assert len(loaded) == 3 and [p.token for p in loaded] == [None, None, None]  # read back: no token
    with pytest.raises(ValueError, match="carry no token"):
        card_rows(loaded)  # a card can only be printed from a token just issued
    assert card_rows([rut]) == [("Registrerad Rut", "Aktör civil", rut.token)]


def test_a_stored_hash_is_not_a_token_anywhere(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting")
    (rut,) = import_registrations(engine, s.fac, "name,organisation,helix\nRegistrerad Rut,Aktör civil,civil\n")
    for h in stored_hashes(engine):
        assert participant_workshop_id(engine, h) is None
        with pytest.raises(PermissionDenied):
            participant_view(engine, h)
        refused(engine, PermissionDenied, "auth.participant_unknown", ops.claim_registration, h)
        refused(engine, PermissionDenied, "auth.participant_unknown", submit_ballot, h, s.round_id, {s.themes[0]: 1})
    assert participant_workshop_id(engine, rut.token) == s.workshop_id


def test_the_raw_token_never_reaches_the_database_and_each_lookup_is_one_query_on_the_unique_hash(engine):
    sent: list[tuple[str, str]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001
        sent.append((statement, str(parameters)))

    s = make_setup(engine, themes=2, phase="voting")
    event.listen(engine, "before_cursor_execute", record)
    try:
        (rut,) = import_registrations(engine, s.fac, "name,organisation,helix\nRegistrerad Rut,Aktör civil,civil\n")
        token = rut.token
        ops.claim_registration(engine, token)
        submit_ballot(engine, token, s.round_id, {s.themes[0]: 2})
        participant_view(engine, token)
        joined = ops.join(engine, s.join_code, "Ny Nilsson", actor_id=s.actors["public"])
        start = len(sent)
        assert participant_workshop_id(engine, joined.token) == s.workshop_id
        lookup = sent[start:]
        start = len(sent)
        with engine.connect() as conn:
            assert participant_ref(conn, joined.token)[1] == s.workshop_id
        ref = sent[start:]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [stmt for stmt, params in sent if token in params or joined.token in params or token in stmt]
    for queries, tok in ((lookup, joined.token), (ref, joined.token)):
        hits = [stmt for stmt, params in queries if token_hash(tok) in params]
        assert len(hits) == 1 and "token_hash" in hits[0], queries
        assert len([q for q in queries if q[0].lstrip().upper().startswith("SELECT")]) == 1, queries
    assert ["token_hash"] in [u["column_names"] for u in inspect(engine).get_unique_constraints("participants")]


def _below_0008(engine) -> str:
    script = ScriptDirectory.from_config(alembic_config(url_of(engine)))
    return script.get_revision("0008").down_revision


def test_the_migration_hashes_existing_tokens_and_a_downgrade_cannot_bring_them_back(engine):
    s = make_setup(engine, participants={"civil": 2, "business": 1})
    try:
        migrate(engine, _below_0008(engine), down=True)
        with engine.begin() as conn:
            old = dict(conn.execute(text("SELECT id, token FROM participants")).all())
            # The downgrade cannot recover the tokens: it gives new random ones, never the hash.
            assert len(old) == 3 and not set(old.values()) & {*s.tokens, *map(token_hash, s.tokens)}
            # Tokens as the older version stored them, in clear:
            known = {pid: f"plain-token-of-{pid}-as-stored-before-0008" for pid in old}
            for pid, tok in known.items():
                conn.execute(text("UPDATE participants SET token = :t WHERE id = :i"), {"t": tok, "i": pid})
    finally:
        migrate(engine, "head")
    assert "token" not in {c["name"] for c in inspect(engine).get_columns("participants")}
    assert stored_hashes(engine) == {token_hash(tok) for tok in known.values()}
    for pid, tok in known.items():  # the same links keep working after the upgrade
        assert participant_view(engine, tok).id == pid
    assert not [tok for tok in s.tokens if participant_workshop_id(engine, tok) is not None]


# ---------------------------------------------------------------- cards: printed once, reprinted as new


def test_a_reprinted_card_has_a_new_token_and_the_old_card_stops_working(engine):
    s = make_setup(engine, themes=2, phase="voting")
    anna, bertil, _ = import_registrations(engine, s.fac, REGISTRATIONS)
    new = reissue_card(engine, s.fac, anna.id)
    assert new.id == anna.id and new.token != anna.token
    assert card_rows([new]) == [("Anna Andersson", "Aktör civil", new.token)]
    assert participant_workshop_id(engine, anna.token) is None
    refused(
        engine, PermissionDenied, "auth.participant_unknown", submit_ballot, anna.token, s.round_id, {s.themes[0]: 1}
    )
    submit_ballot(engine, new.token, s.round_id, {s.themes[0]: 1})
    assert participant_workshop_id(engine, bertil.token) == s.workshop_id  # nobody else's card changes
    with read(engine) as sess:
        last = sess.scalars(select(AuditEvent).where(AuditEvent.kind == "participant.card_reissued")).one()
    assert (last.role, last.detail) == ("facilitator", {"participant_id": anna.id})


@pytest.mark.parametrize("used_by", ["a scan", "a ballot"])
def test_a_used_card_is_not_reprinted_in_an_anonymous_workshop_and_nothing_is_written(engine, used_by):
    s = make_setup(engine, themes=2, phase="voting")
    anna, *_ = import_registrations(engine, s.fac, REGISTRATIONS)
    if used_by == "a scan":
        ops.claim_registration(engine, anna.token)
    else:
        submit_ballot(engine, anna.token, s.round_id, {s.themes[0]: 3})
    err = refused(engine, PermissionDenied, "card.already_used", reissue_card, s.fac, anna.id, field="participant")
    assert err.message("sv").startswith("Anna Andersson har redan använt sitt QR-kort")
    assert err.message("en").startswith("Anna Andersson has already used their QR card")
    assert participant_workshop_id(engine, anna.token) == s.workshop_id


def test_in_an_open_workshop_a_used_card_may_be_reprinted(engine):
    s = make_setup(engine, anonymous=False)
    anna, *_ = import_registrations(engine, s.fac, REGISTRATIONS)
    ops.claim_registration(engine, anna.token)
    new = reissue_card(engine, s.fac, anna.id)
    assert participant_workshop_id(engine, new.token) == s.workshop_id
    assert participant_workshop_id(engine, anna.token) is None


def test_a_reprint_is_refused_for_anyone_but_a_registered_participant_of_the_workshop(engine):
    s = make_setup(engine, participants={"civil": 1})
    other = make_setup(engine)
    (theirs,) = import_registrations(engine, other.fac, "name,organisation,helix\nAnnan Anna,Aktör civil,civil\n")
    joined = participant_view(engine, s.tokens[0]).id
    for pid in (joined, theirs.id, 987_654, "1"):
        refused(engine, NotFound, "participant.not_found", reissue_card, s.fac, pid, field="participant")
    (rut,) = import_registrations(engine, s.fac, "name,organisation,helix\nRegistrerad Rut,Aktör civil,civil\n")
    ops.set_workshop_open(engine, s.fac, False)
    refused(engine, PhaseError, "workshop.closed", reissue_card, s.fac, rut.id)


def test_an_old_card_that_races_its_reprint_can_neither_arrive_nor_vote(engine):
    s = make_setup(engine, themes=2, phase="voting")
    anna, *_ = import_registrations(engine, s.fac, REGISTRATIONS)
    with engine.connect() as conn:  # submit_ballot has read the old card's participant...
        pid, wid, arriving = participant_ref(conn, anna.token)
    assert arriving
    reissue_card(engine, s.fac, anna.id)  # ...and the reprint commits before it takes the lock
    before = table_counts(engine)
    with pytest.raises(PermissionDenied) as info, write(engine) as sess:
        _submit(sess, pid, wid, s.round_id, {s.themes[0]: 1}, "participant", arriving=anna.token)
    assert info.value.key == "auth.participant_unknown"
    assert table_counts(engine) == before


def test_an_old_card_scanned_while_it_is_reprinted_does_not_arrive(engine, monkeypatch):
    s = make_setup(engine)
    anna, *_ = import_registrations(engine, s.fac, REGISTRATIONS)
    bump = ops.bump

    def reprinted_meanwhile(sess, workshop_id, *args):  # noqa: ANN001
        # claim_registration has read Anna by her old card, and her card is reprinted before it
        # takes the lock (done in its own transaction here: on SQLite a second writer would wait).
        sess.connection().execute(
            Participant.__table__.update().where(Participant.id == anna.id).values(token_hash=token_hash("new card"))
        )
        return bump(sess, workshop_id, *args)

    monkeypatch.setattr("edp.workshop.joining.bump", reprinted_meanwhile)  # where claim_registration looks it up
    with pytest.raises(PermissionDenied) as info:
        ops.claim_registration(engine, anna.token)
    assert info.value.key == "auth.participant_unknown"
    with read(engine) as sess:
        assert sess.get(Participant, anna.id).joined_at is None


# ---------------------------------------------------------------- paper ballots


def test_in_an_anonymous_workshop_paper_ballots_are_only_for_participants_enrolled_on_paper(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting")
    anna, *_ = import_registrations(engine, s.fac, REGISTRATIONS)
    joined = participant_view(engine, s.tokens[0]).id
    for pid, name in ((joined, "civil 0"), (anna.id, "Anna Andersson")):
        err = refused(
            engine, PermissionDenied, "ballot.paper_participants_only", submit_paper_ballot,
            s.fac, pid, s.round_id, {s.themes[0]: 1}, field="participant",
        )  # fmt: skip
        assert name in err.message("sv") and name in err.message("en")
    paper = ops.register_paper_participant(engine, s.fac, "Pappers-Per", s.actors["business"])
    submit_paper_ballot(engine, s.fac, paper.id, s.round_id, {s.themes[0]: 2})
    assert round_results(engine, SYSTEM, s.round_id).themes[0]["total"] == 2


def test_in_an_open_workshop_a_paper_ballot_may_be_entered_for_any_participant(engine):
    s = make_setup(engine, participants={"civil": 1}, themes=2, phase="voting", anonymous=False)
    submit_paper_ballot(engine, s.fac, participant_view(engine, s.tokens[0]).id, s.round_id, {s.themes[1]: 3})
    assert round_results(engine, SYSTEM, s.round_id).themes[0]["total"] == 3


# ---------------------------------------------------------------- red team: the anonymous-ballot read


def test_the_anonymous_ballot_read_gives_the_organiser_no_token_and_no_way_to_the_ballot(engine, caplog, capsys):
    """Red team, replayed: the facilitator of an anonymous workshop imports the registration list
    and prints the cards. After that, every read the organiser has (the register page's data, the
    console, results, exports, the CLI, a backup, the whole database) holds no card's token, and
    no operation lets them read or replace the ballot cast with one."""
    caplog.set_level(logging.DEBUG)
    s = make_setup(engine, participants={"business": 3}, themes=3, phase="voting")
    people = import_registrations(engine, s.fac, REGISTRATIONS)
    printed = cards_pdf(card_rows(people), "Testworkshop", "http://10.0.0.5:8501", "sv")
    tokens = card_tokens(printed)
    assert tokens == [p.token for p in people]  # the printed cards: the one copy of the tokens
    anna_id = people[0].id
    # Anna scans her card and votes; the others use theirs later.
    submit_ballot(engine, tokens[0], s.round_id, {s.themes[0]: 3, s.themes[1]: 2})
    for tok in s.tokens:
        submit_ballot(engine, tok, s.round_id, {s.themes[2]: 1})
    anna_ballot = ballot_of(engine, anna_id, s.round_id)
    assert len(anna_ballot) == 1
    del people  # what the import handed back is gone with the page run that printed the cards

    # 1. No operation lets the organiser read or replace Anna's ballot while the round is open.
    before = table_counts(engine)
    refused(engine, PermissionDenied, "card.already_used", reissue_card, s.fac, anna_id)
    refused(engine, PermissionDenied, "ballot.paper_participants_only", submit_paper_ballot,
            s.fac, anna_id, s.round_id, {s.themes[2]: 3})  # fmt: skip
    assert table_counts(engine) == before
    assert ballot_of(engine, anna_id, s.round_id) == anna_ballot

    # 2. Everything the organiser can read holds no token.
    url = url_of(engine)
    seen = {
        "registered_participants": repr(registered_participants(engine, s.fac)),
        "facilitator_view": repr(facilitator_view(engine, s.fac)),
        "workshop_view": repr(workshop_view(engine, s.workshop_id)),
        "list_actors": repr(list_actors(engine, SYSTEM, s.process_id)),
        "overview": repr(overview(engine)),
        "funnel": repr(workshop_funnel(engine, s.workshop_id)),
    }
    ops.close_round(engine, s.fac, s.round_id)
    result = round_results(engine, SYSTEM, s.round_id)
    seen |= {
        "results": result.to_json(),
        "ballots.csv": ballots_csv(engine, SYSTEM, s.round_id).decode("utf-8-sig"),
        "tally.csv": tally_csv(result).decode("utf-8-sig"),
        "tally.xlsx": repr(
            [c.value for ws in load_workbook(io.BytesIO(tally_xlsx(result, "sv"))) for r in ws for c in r]
        ),
        "backup (every table)": json.dumps(backup.dump(engine), ensure_ascii=False, default=str),
    }
    for argv in (["list"], ["results", "--round", str(s.round_id)], ["export", "ballots", "--round", str(s.round_id)]):
        assert main(["--database", url, *argv]) == 0
        seen[f"cli {argv[0]}"] = capsys.readouterr().out
    assert "Anna Andersson" in seen["registered_participants"]  # the reads are real
    for name, shown in seen.items():
        assert not [tok for tok in tokens if tok in shown], f"{name} gives a card's token"

    # 3. What the database holds is not a token.
    for h in stored_hashes(engine):
        with pytest.raises(PermissionDenied):
            participant_view(engine, h)
    assert ballot_of(engine, anna_id, s.round_id) == anna_ballot

    # 4. Nor did any log line carry a token.
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert not [tok for tok in tokens if tok in logged]


# ---------------------------------------------------------------- small helix groups in files and on screens


def voted_round(engine, participants: dict[str, int], **kw):
    """A closed dots round: every participant votes (a different ballot by helix group)."""
    s = make_setup(engine, participants=participants, themes=3, phase="voting", **kw)
    t1, t2, t3 = s.themes
    ballot = {"business": {t1: 3, t2: 2}, "academia": {t2: 3}, "public": {t3: 3, t1: 1}, "civil": {t3: 2}}
    for tok in s.tokens:
        submit_ballot(engine, tok, s.round_id, ballot[s.helix_of[tok]])
    ops.close_round(engine, s.fac, s.round_id)
    return s


def test_the_ballot_export_writes_small_groups_as_other_and_recounts_to_the_same_results(engine):
    # business 3 and civil 3 on their own; academia 2 and public 1 together as "other".
    s = voted_round(engine, {"business": 3, "academia": 2, "public": 1, "civil": 3})
    frame = ballot_rows(engine, SYSTEM, s.round_id)
    per_ballot = frame.drop_duplicates("ballot")["helix"].value_counts().to_dict()
    assert per_ballot == {"business": 3, "civil": 3, "other": 3}
    result = round_results(engine, SYSTEM, s.round_id)
    assert result.helix_breakdown == {
        "min_ballots": 3, "shown": ["business", "civil", "other"], "folded": ["academia", "public"], "withheld": False
    }  # fmt: skip
    t1 = next(th for th in result.themes if th["theme_id"] == s.themes[0])
    assert t1["by_helix"] == {"business": 9, "academia": None, "public": None, "civil": 0, "other": 1}
    # A recount from the export's columns alone gives the same figures, by group and balanced.
    with read(engine) as sess:
        inp = load_round_input(sess, s.round_id)
    exported = pd.DataFrame(
        {"ballot": frame["ballot"], "helix": frame["helix"], "theme_id": frame["theme_id"],
         "criterion_id": None, "value": frame["value"]}
    )  # fmt: skip
    recount = tally(RoundInput(**{**inp.__dict__, "entries": exported}))
    assert recount.themes == result.themes


def test_when_other_is_too_small_nothing_is_broken_out_anywhere(engine, capsys):
    # business 4 on its own would leave civil's single ballot as "other": so no group is shown.
    s = voted_round(engine, {"business": 4, "civil": 1})
    result = round_results(engine, SYSTEM, s.round_id)
    assert result.helix_breakdown["withheld"] and result.helix_breakdown["shown"] == []
    for th in result.themes:
        assert set(th["by_helix"].values()) == {None} and th["agreement_helix"] is None
        assert th["balanced"] == th["total"]
    assert set(ballot_rows(engine, SYSTEM, s.round_id)["helix"]) == {""}
    frame = tally_frame(result)
    assert frame.filter(like="helix_").isna().all().all()
    note = t("ui.res.helix_withheld", "sv", min=3)
    book = load_workbook(io.BytesIO(tally_xlsx(result, "sv")))
    assert note in [c.value for r in book[t("ui.res.xlsx.sheet_notes", "sv")] for c in r]
    assert main(["--database", url_of(engine), "results", "--round", str(s.round_id), "--format", "csv"]) == 0
    cli = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert cli.filter(like="helix_").isna().all().all() and len(cli) == 3
    # The chart draws all voters as one bar, and the breakdown chart only says why it is empty.
    fig = charts.ranking_figure(result.as_dict(), "sv")
    assert [tr.meta for tr in fig.data if tr.type == "bar"] == [{"role": "total"}]
    empty = charts.helix_breakdown_figure(result.as_dict(), "sv")
    assert not empty.data and empty.layout.annotations[0].text.startswith("Resultatet redovisas inte per helixgrupp")


def test_the_ballot_export_lists_ballots_by_pseudonym_not_in_the_order_cast(engine):
    s = voted_round(engine, {"business": 6})
    frame = ballot_rows(engine, SYSTEM, s.round_id)
    with read(engine) as sess:
        cast = list(sess.scalars(select(Ballot.pseudonym).where(Ballot.round_id == s.round_id).order_by(Ballot.id)))
    listed = list(frame.drop_duplicates("ballot")["ballot"])
    assert listed == sorted(cast) and set(listed) == set(cast)


def test_tally_files_and_the_cli_fold_small_groups_and_say_which(engine, capsys):
    s = voted_round(engine, {"business": 3, "academia": 2, "public": 1})
    result = round_results(engine, SYSTEM, s.round_id)
    csv = pd.read_csv(io.BytesIO(tally_csv(result)), encoding="utf-8-sig")
    assert csv[["helix_academia", "helix_public", "helix_civil"]].isna().all().all()
    assert csv["helix_other"].notna().all() and csv["helix_business"].notna().all()
    book = load_workbook(io.BytesIO(tally_xlsx(result, "en")))
    headers = [c.value for c in next(book[t("ui.res.xlsx.sheet_ranking", "en")].iter_rows(max_row=1))]
    assert "Other" in headers
    notes = [c.value for r in book[t("ui.res.xlsx.sheet_notes", "en")] for c in r]
    assert t("ui.res.helix_folded", "en", min=3, groups="Academia, Public sector") in notes
    url = url_of(engine)
    assert main(["--database", url, "results", "--round", str(s.round_id)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["helix_breakdown"]["folded"] == ["academia", "public"]
    assert {g for th in cli["themes"] for g, v in th["by_helix"].items() if v is not None} == {"business", "other"}
    assert main(["--database", url, "export", "ballots", "--round", str(s.round_id)]) == 0
    exported = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(exported["helix"]) == {"business", "other"}


def test_charts_draw_other_and_never_a_folded_group(engine):
    s = voted_round(engine, {"business": 3, "academia": 2, "public": 1})
    result = round_results(engine, SYSTEM, s.round_id).as_dict()
    fig = charts.ranking_figure(result, "sv")
    drawn = {tr.meta["helix"]: tr.name for tr in fig.data if tr.meta and "helix" in tr.meta}
    # Civil cast no ballot and stays visible; academia and public are only inside "other".
    assert drawn == {"business": "Näringsliv", "civil": "Civilsamhälle (inga röster)",
                     "other": "Övriga (Akademi, Offentlig sektor)"}  # fmt: skip
    side = charts.helix_breakdown_figure(result, "en")
    assert [tr.meta["helix"] for tr in side.data] == ["business", "civil", "other"]


def test_the_follow_up_report_folds_small_groups_and_says_so(engine):
    s = voted_round(engine, {"business": 3, "academia": 2, "public": 1})
    ops.reveal_results(engine, s.fac, s.round_id)
    ops.set_priorities(engine, s.fac, [ops.PriorityInput(s.themes[0], "Viktigast")])
    (ws,) = reports.report_data(engine, SYSTEM, s.process_id, "sv").workshops
    assert ws.helix_breakdown["folded"] == ["academia", "public"]
    assert t("ui.res.helix_folded", "sv", min=3, groups="Akademi, Offentlig sektor") in reports.ranking_caption(
        ws, "sv"
    )
    assert {g for line in ws.ranking for g, v in line.by_helix if v is not None} == {"business", "other"}
    fig = charts.ranking_figure(ws.result_dict(), "sv")
    assert {tr.meta["helix"] for tr in fig.data if tr.meta and "helix" in tr.meta} == {"business", "civil", "other"}
