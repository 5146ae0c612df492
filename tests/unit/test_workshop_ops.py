"""Every workshop operation: what it does, and that misuse raises its typed error and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from edp import region, throttle
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import read
from edp.errors import Conflict, NotFound, PermissionDenied, PhaseError, ValidationError
from edp.models import AuditEvent, FacilitatorSession, Participant, Priority, Round, RoundTheme, Theme, Workshop
from edp.security import JOIN_ALPHABET, verify_passcode
from edp.throttle import Client
from edp.voting.ballots import submit_ballot
from edp.voting.tally import round_results
from tests.conftest import table_counts
from tests.factory import PASSCODE, make_setup


def refused(engine, exc_type, key, fn, *args, field=None, exclude=(), **kwargs):
    """Call fn, expect exc_type with key (and field), and check that nothing was written (but in the
    tables named in `exclude`: the counted attempts of a throttle, the log of a failed sign-in)."""

    def counts() -> dict:
        return {k: v for k, v in table_counts(engine).items() if k not in exclude}

    before = counts()
    with pytest.raises(exc_type) as info:
        fn(engine, *args, **kwargs)
    assert info.value.key == key
    if field is not None:
        assert info.value.field == field
    assert counts() == before
    return info.value


def audit_kinds(engine):
    with read(engine) as s:
        return [e.kind for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# ------------------------------------------------------------------ set-up


def test_strength_area_and_process_are_created_with_their_links(engine):
    region.create_strength_area(engine, SYSTEM, "upplevelser", "Upplevelser", "Experiences")
    proc = ops.create_process(
        engine,
        SYSTEM,
        "Upplevelser 2026",
        financier="ERUF",
        period_start=2026,
        period_end=2027,
        strength_area_codes=["UPPLEVELSER"],
    )
    assert [a.code for a in proc.strength_areas] == ["UPPLEVELSER"]
    refused(
        engine,
        Conflict,
        "strength_area.duplicate",
        region.create_strength_area,
        SYSTEM,
        "UPPLEVELSER",
        "x",
        "y",
        field="code",
    )
    refused(engine, NotFound, "strength_area.not_found", ops.create_process, SYSTEM, "P", strength_area_codes=["NOPE"])
    refused(
        engine,
        ValidationError,
        "process.period_reversed",
        ops.create_process,
        SYSTEM,
        "P",
        period_start=2027,
        period_end=2026,
    )
    refused(
        engine,
        ValidationError,
        "input.out_of_range",
        ops.create_process,
        SYSTEM,
        "P",
        period_start=1066,
        field="period_start",
    )
    refused(engine, ValidationError, "input.required", ops.create_process, SYSTEM, "   ", field="title")


def test_actor_names_are_unique_within_a_process_and_helix_is_checked(engine):
    proc = ops.create_process(engine, SYSTEM, "P")
    other = ops.create_process(engine, SYSTEM, "Q")
    ops.add_actor(engine, SYSTEM, proc.id, "Mittuniversitetet", "academia")
    ops.add_actor(engine, SYSTEM, other.id, "Mittuniversitetet", "academia")  # same name, other process: fine
    refused(
        engine,
        Conflict,
        "actor.duplicate",
        ops.add_actor,
        SYSTEM,
        proc.id,
        "mittuniversitetet",
        "academia",
        field="actor_name",
    )
    refused(
        engine, ValidationError, "input.not_a_choice", ops.add_actor, SYSTEM, proc.id, "X", "industry", field="helix"
    )
    refused(
        engine,
        ValidationError,
        "input.too_long",
        ops.add_actor,
        SYSTEM,
        proc.id,
        "x" * 201,
        "business",
        field="actor_name",
    )


def test_workshop_gets_unambiguous_unique_join_code_and_hashed_passcode(engine):
    proc = ops.create_process(engine, SYSTEM, "P")
    ws = ops.create_workshop(engine, SYSTEM, proc.id, "W", PASSCODE)
    assert len(ws.join_code) == 6 and set(ws.join_code) <= set(JOIN_ALPHABET)
    assert PASSCODE not in ws.passcode_hash and verify_passcode(PASSCODE, ws.passcode_hash)
    assert not verify_passcode("wrong-passcode", ws.passcode_hash)
    assert ws.anonymous is True
    refused(
        engine, ValidationError, "input.too_short", ops.create_workshop, SYSTEM, proc.id, "W", "short", field="passcode"
    )
    assert ops.create_workshop(engine, SYSTEM, proc.id, "W2", PASSCODE, join_code=" jamt26 ").join_code == "JAMT26"
    refused(
        engine,
        Conflict,
        "workshop.join_code_taken",
        ops.create_workshop,
        SYSTEM,
        proc.id,
        "W3",
        PASSCODE,
        join_code="JAMT26",
    )
    refused(
        engine,
        ValidationError,
        "input.not_date",
        ops.create_workshop,
        SYSTEM,
        proc.id,
        "W",
        PASSCODE,
        date="18 mars",
        field="date",
    )


@pytest.mark.parametrize(
    ("code", "key", "english"),
    [
        ("AB", "input.too_short", "Join code must be at least 6 characters (is 2)."),
        ("ABCDE", "input.too_short", "Join code must be at least 6 characters (is 5)."),
        ("ABCDEFGHJKMNP", "input.too_long", "Join code may be at most 12 characters but is 13: 1 too many."),
        ("+SUM(1,1)", "workshop.join_code_format", None),  # was rewritten to SUM11 without a word
        ("DEMO26", "workshop.join_code_format", None),  # O and 0 look alike on a projector
        ("ABC-DEF", "workshop.join_code_format", None),  # dashes are ignored when typing, not kept in a code
        ("ABC DEF", "workshop.join_code_format", None),
        ("ÅÄÖABC", "workshop.join_code_format", None),
        ("ABC\nDEF", "workshop.join_code_format", None),  # not "replace it with a space": a space is refused too
    ],
)
def test_a_custom_join_code_outside_the_rule_is_refused_naming_the_field_and_nothing_written(
    engine, code, key, english
):
    proc = ops.create_process(engine, SYSTEM, "P")
    err = refused(engine, ValidationError, key, ops.create_workshop, SYSTEM, proc.id, "W", PASSCODE, join_code=code)
    assert err.field == "join_code"
    message = err.message("en")
    assert message.startswith("Join code ")
    if english is not None:
        assert message == english
    else:  # the rule itself: the alphabet, and why
        assert "A–Z except I, L and O" in message and "2–9" in message
    assert err.message("sv").startswith("Anslutningskod ")


def test_a_custom_join_code_of_the_join_alphabet_is_kept_as_typed_in_capitals(engine):
    proc = ops.create_process(engine, SYSTEM, "P")
    longest = "ABCDEFGHJKMN"
    assert ops.create_workshop(engine, SYSTEM, proc.id, "W", PASSCODE, join_code=longest).join_code == longest
    assert ops.create_workshop(engine, SYSTEM, proc.id, "W2", PASSCODE, join_code="xyz789").join_code == "XYZ789"


def test_closed_workshop_frees_its_join_code(engine):
    proc = ops.create_process(engine, SYSTEM, "P")
    ws = ops.create_workshop(engine, SYSTEM, proc.id, "W", PASSCODE, join_code="ABCD23")
    fac = ops.login_facilitator(engine, ws.id, PASSCODE)
    ops.set_workshop_open(engine, fac, False)
    again = ops.create_workshop(engine, SYSTEM, proc.id, "W again", PASSCODE, join_code="ABCD23")
    assert again.join_code == "ABCD23"
    # Reopening the old one would give two open workshops the same code.
    refused(engine, Conflict, "workshop.join_code_taken", ops.set_workshop_open, fac, True)


def test_facilitator_login_needs_the_right_passcode(engine):
    s = make_setup(engine)
    refused(engine, NotFound, "workshop.not_found", ops.login_facilitator, 9999, PASSCODE)
    with pytest.raises(PermissionDenied) as info:
        ops.login_facilitator(engine, s.workshop_id, "not-the-code")
    assert info.value.key == "auth.wrong_passcode" and info.value.field == "passcode"
    assert audit_kinds(engine).count("auth.failed") == 1  # logged, though the call was refused
    token = ops.login_facilitator(engine, s.workshop_id, PASSCODE)
    with read(engine) as sess:
        hashes = list(sess.scalars(select(FacilitatorSession.token_hash)))
    assert token not in hashes and len(hashes) == 2


def test_wrong_passcodes_are_throttled_per_workshop(engine):
    s = make_setup(engine)
    other = make_setup(engine)
    for _ in range(throttle.PASSCODES.per_session.count):
        with pytest.raises(PermissionDenied):
            ops.login_facilitator(engine, s.workshop_id, "guess", client=Client("a browser"))
    with pytest.raises(PermissionDenied) as info:
        ops.login_facilitator(
            engine, s.workshop_id, PASSCODE, client=Client("a browser")
        )  # even the right one, for now
    assert info.value.key == "auth.throttled" and info.value.params["minutes"] == 5
    assert ops.login_facilitator(
        engine, other.workshop_id, PASSCODE, client=Client("a browser")
    )  # other workshops are not


def test_round_settings_are_validated_per_method(engine):
    s = make_setup(engine)
    R, C = ops.RoundSpec, ops.CriterionSpec
    refused(engine, ValidationError, "input.not_a_choice", ops.add_round, s.fac, R(method="lottery"), field="method")
    refused(
        engine, ValidationError, "input.out_of_range", ops.add_round, s.fac, R(method="dots", dots_per_participant=0)
    )
    refused(
        engine,
        ValidationError,
        "input.out_of_range",
        ops.add_round,
        s.fac,
        R(method="dots", dots_per_participant=3, max_dots_per_theme=4),
        field="max_dots_per_theme",
    )
    refused(engine, ValidationError, "input.not_integer", ops.add_round, s.fac, R(method="rank"), field="rank_count")
    refused(engine, ValidationError, "round.criteria_count", ops.add_round, s.fac, R(method="score"), field="criteria")
    refused(
        engine,
        ValidationError,
        "round.scale_reversed",
        ops.add_round,
        s.fac,
        R(method="score", criteria=[C("A", "A", scale_min=5, scale_max=5)]),
        field="scale_max",
    )
    refused(
        engine,
        ValidationError,
        "input.out_of_range",
        ops.add_round,
        s.fac,
        R(method="score", criteria=[C("A", "A", weight=0)]),
        field="weight",
    )
    refused(
        engine,
        ValidationError,
        "round.criteria_duplicate",
        ops.add_round,
        s.fac,
        R(method="score", criteria=[C("A", "Same"), C("B", "same")]),
    )
    rnd = ops.add_round(
        engine, s.fac, R(method="score", criteria=[C("Innovation", "Innovation", weight=2), C("Massa", "Mass")])
    )
    assert rnd.seq == 2 and [c.weight for c in rnd.criteria] == [2.0, 1.0]
    refused(engine, PermissionDenied, "auth.facilitator_required", ops.add_round, "forged", R(method="approval"))


# ------------------------------------------------------------------ phases


def test_only_legal_phase_transitions_are_allowed(engine):
    s = make_setup(engine, participants={"business": 1})
    refused(engine, PhaseError, "round.illegal_transition", ops.set_phase, s.fac, s.round_id, "voting", field="phase")
    refused(engine, PhaseError, "round.illegal_transition", ops.set_phase, s.fac, s.round_id, "closed")
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput("Kulturarv"))
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "proposing")  # reopened
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    refused(engine, PhaseError, "round.illegal_transition", ops.set_phase, s.fac, s.round_id, "reviewing")
    ops.close_round(engine, s.fac, s.round_id)
    refused(engine, PhaseError, "round.illegal_transition", ops.set_phase, s.fac, s.round_id, "voting")
    phases = [k for k in audit_kinds(engine) if k == "round.phase"]
    assert len(phases) == 6  # proposing, reviewing, proposing, reviewing, voting, closed


def test_voting_needs_themes_and_only_one_round_votes_at_a_time(engine):
    s = make_setup(engine, themes=2, phase="reviewing")
    empty = ops.add_round(engine, s.fac, ops.RoundSpec(method="approval"))
    ops.set_phase(engine, s.fac, empty.id, "reviewing")
    refused(engine, PhaseError, "round.no_themes", ops.set_phase, s.fac, empty.id, "voting")
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    other = ops.add_round(engine, s.fac, ops.RoundSpec(method="approval"))
    ops.set_phase(engine, s.fac, other.id, "proposing")
    ops.add_theme(engine, s.fac, other.id, ops.ThemeInput("Extra"))
    ops.set_phase(engine, s.fac, other.id, "reviewing")
    refused(engine, PhaseError, "round.other_voting", ops.set_phase, s.fac, other.id, "voting")


def test_results_are_revealed_only_after_close(engine):
    s = make_setup(engine, themes=2, phase="voting")
    refused(engine, PhaseError, "round.reveal_before_close", ops.reveal_results, s.fac, s.round_id)
    ops.close_round(engine, s.fac, s.round_id)
    assert ops.reveal_results(engine, s.fac, s.round_id).revealed is True
    assert ops.reveal_results(engine, s.fac, s.round_id, revealed=False).revealed is False


def test_every_write_bumps_the_workshop_revision(engine):
    s = make_setup(engine, participants={"civil": 1})
    r0 = ops.revision(engine, s.workshop_id)
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    r1 = ops.revision(engine, s.workshop_id)
    ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput("Tema"))
    assert r0 < r1 < ops.revision(engine, s.workshop_id)
    assert ops.revision(engine, 424242) is None


# ------------------------------------------------------------------ joining


def test_join_by_code_with_listed_or_new_actor(engine):
    s = make_setup(engine)
    p = ops.join(engine, f" {s.join_code.lower()} ", "Anna L.", actor_id=s.actors["academia"])
    assert p.helix == "academia" and len(p.token) >= 22  # token_urlsafe(32): 256 bits
    q = ops.join(engine, s.join_code, "Nils", actor_name="Nytt Företag AB", helix="business", municipality="Åre")
    assert q.helix == "business"
    same = ops.join(engine, s.join_code, "Nina", actor_name="nytt företag ab", helix="civil")
    assert same.actor_id == q.actor_id and same.helix == "business"  # the listed actor's helix wins


def test_join_refuses_bad_codes_and_names_and_writes_nothing(engine):
    s = make_setup(engine)
    refused(
        engine,
        NotFound,
        "join.code_unknown",
        ops.join,
        "ZZZZZZ",
        "Anna",
        actor_id=s.actors["business"],
        field="join_code",
    )
    refused(
        engine,
        ValidationError,
        "input.required",
        ops.join,
        "",
        "Anna",
        actor_id=s.actors["business"],
        field="join_code",
    )
    refused(
        engine,
        ValidationError,
        "input.required",
        ops.join,
        s.join_code,
        "   ",
        actor_id=s.actors["business"],
        field="display_name",
    )
    refused(
        engine,
        ValidationError,
        "input.too_long",
        ops.join,
        s.join_code,
        "x" * 61,
        actor_id=s.actors["business"],
        field="display_name",
    )
    refused(
        engine,
        ValidationError,
        "input.control_characters",
        ops.join,
        s.join_code,
        "a\x00b",
        actor_id=s.actors["business"],
    )
    refused(engine, ValidationError, "input.required", ops.join, s.join_code, "Anna", field="actor")
    refused(
        engine,
        ValidationError,
        "input.not_a_choice",
        ops.join,
        s.join_code,
        "Anna",
        actor_name="Ny",
        helix="x",
        field="helix",
    )
    other = ops.create_process(engine, SYSTEM, "Other")
    stranger = ops.add_actor(engine, SYSTEM, other.id, "Främling", "civil")
    refused(engine, NotFound, "actor.not_found", ops.join, s.join_code, "Anna", actor_id=stranger.id, field="actor")
    ops.set_workshop_open(engine, s.fac, False)
    # Closed: the same answer as a code never used.
    closed = refused(
        engine, NotFound, "join.code_unknown", ops.join, s.join_code, "Anna", actor_id=s.actors["business"]
    )
    assert closed.params == {"field": "join_code", "code": s.join_code}


# ------------------------------------------------------------------ themes


def test_propose_only_while_proposing_and_validated(engine):
    s = make_setup(engine, participants={"business": 1})
    tok = s.tokens[0]
    refused(engine, PhaseError, "theme.not_proposing", ops.propose, tok, s.round_id, ops.ThemeInput("Tidigt"))
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    t = ops.propose(
        engine, tok, s.round_id, ops.ThemeInput("  Kulturarv  ", "Beskrivning", partners="Jamtli", next_steps="Möte")
    )
    assert (
        t.title == "Kulturarv"
        and t.status == "active"
        and t.participant_id is not None
        and t.actor_id == s.actors["business"]
    )
    refused(engine, ValidationError, "input.required", ops.propose, tok, s.round_id, ops.ThemeInput(""), field="title")
    refused(
        engine,
        ValidationError,
        "input.too_long",
        ops.propose,
        tok,
        s.round_id,
        ops.ThemeInput("x" * 121),
        field="title",
    )
    refused(
        engine,
        ValidationError,
        "input.too_long",
        ops.propose,
        tok,
        s.round_id,
        ops.ThemeInput("T", "d" * 2001),
        field="description",
    )
    refused(
        engine,
        NotFound,
        "strength_area.not_found",
        ops.propose,
        tok,
        s.round_id,
        ops.ThemeInput("T", strength_area_id=999),
    )
    refused(
        engine, PermissionDenied, "auth.participant_unknown", ops.propose, "nobody", s.round_id, ops.ThemeInput("T")
    )
    refused(engine, NotFound, "round.not_found", ops.propose, tok, 999, ops.ThemeInput("T"))
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    refused(engine, PhaseError, "theme.not_proposing", ops.propose, tok, s.round_id, ops.ThemeInput("Sent"))


def test_title_exactly_at_the_limit_is_accepted(engine):
    s = make_setup(engine, participants={"business": 1}, phase="proposing")
    t = ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput("å" * 120, "d" * 2000))
    assert len(t.title) == 120 and len(t.description) == 2000


def test_proposals_per_participant_are_capped_at_the_rounds_default(engine):
    s = make_setup(engine, participants={"business": 2}, phase="proposing")
    assert ops.PROPOSALS_PER_PARTICIPANT_DEFAULT == 5
    for i in range(ops.PROPOSALS_PER_PARTICIPANT_DEFAULT):
        ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput(f"T{i}"))
    err = refused(
        engine, ValidationError, "theme.too_many", ops.propose, s.tokens[0], s.round_id, ops.ThemeInput("One more"),
        field="title",
    )  # fmt: skip
    assert err.params["max"] == 5
    assert "5" in err.message("sv") and "5" in err.message("en")
    ops.propose(engine, s.tokens[1], s.round_id, ops.ThemeInput("Another participant's first"))  # per participant


def test_the_facilitator_sets_the_proposal_cap_when_making_the_round(engine):
    spec = ops.RoundSpec(method="approval", proposals_per_participant=2)
    s = make_setup(engine, spec, participants={"business": 1}, phase="proposing")
    with read(engine) as ses:
        assert ses.get(Round, s.round_id).proposals_per_participant == 2
    first = ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput("Ett"))
    ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput("Två"))
    err = refused(
        engine, ValidationError, "theme.too_many", ops.propose, s.tokens[0], s.round_id, ops.ThemeInput("Tre")
    )
    assert err.params["max"] == 2
    # A merged or withdrawn proposal still counts: withdrawing is not a way round the cap.
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.withdraw_theme(engine, s.fac, first.id)
    ops.set_phase(engine, s.fac, s.round_id, "proposing")
    refused(engine, ValidationError, "theme.too_many", ops.propose, s.tokens[0], s.round_id, ops.ThemeInput("Tre"))
    # The facilitator's own themes (paper notes) are not capped.
    ops.add_theme(engine, s.fac, s.round_id, ops.ThemeInput("Från en lapp"))


@pytest.mark.parametrize("cap", [0, -1, ops.PROPOSALS_PER_PARTICIPANT_MAX + 1, "5", 2.5, True, None])
def test_a_proposal_cap_out_of_bounds_is_refused_and_nothing_written(engine, cap):
    s = make_setup(engine)
    err = refused(
        engine, ValidationError, err_key(cap), ops.add_round, s.fac,
        ops.RoundSpec(method="approval", proposals_per_participant=cap), field="proposals_per_participant",
    )  # fmt: skip
    if err.key == "input.out_of_range":
        assert err.params["min"] == 1 and err.params["max"] == ops.PROPOSALS_PER_PARTICIPANT_MAX
        assert "20" in err.message("sv") and "Förslag per deltagare" in err.message("sv")


def err_key(value: object) -> str:
    return "input.out_of_range" if isinstance(value, int) and not isinstance(value, bool) else "input.not_integer"


def test_a_cap_at_the_bounds_is_accepted_and_an_advanced_round_keeps_its_own(engine):
    s = make_setup(engine, ops.RoundSpec(method="approval", proposals_per_participant=1), themes=1)
    assert ops.add_round(engine, s.fac, ops.RoundSpec(method="approval", proposals_per_participant=20))
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    ops.close_round(engine, s.fac, s.round_id)
    new = ops.advance(engine, s.fac, s.round_id, 1, ops.RoundSpec(method="approval", proposals_per_participant=3))
    assert new.proposals_per_participant == 3


def test_edit_withdraw_restore_are_facilitator_only(engine):
    s = make_setup(engine, participants={"business": 1}, themes=2, phase="reviewing")
    t0 = s.themes[0]
    refused(
        engine, PermissionDenied, "auth.facilitator_required", ops.edit_theme, s.tokens[0], t0, ops.ThemeInput("Hijack")
    )
    edited = ops.edit_theme(engine, s.fac, t0, ops.ThemeInput("Kulturarv och innovation", "Ny text"))
    assert edited.title == "Kulturarv och innovation"
    refused(
        engine, ValidationError, "input.too_long", ops.edit_theme, s.fac, t0, ops.ThemeInput("x" * 121), field="title"
    )
    assert ops.withdraw_theme(engine, s.fac, t0).status == "withdrawn"
    refused(engine, Conflict, "theme.not_active", ops.withdraw_theme, s.fac, t0)
    assert ops.restore_theme(engine, s.fac, t0).status == "active"
    refused(engine, Conflict, "theme.not_withdrawn", ops.restore_theme, s.fac, t0)
    other = make_setup(engine, themes=1)
    refused(engine, NotFound, "theme.not_found", ops.edit_theme, s.fac, other.themes[0], ops.ThemeInput("x"))
    assert {"theme.edited", "theme.withdrawn", "theme.restored"} <= set(audit_kinds(engine))


def test_merge_and_unmerge(engine):
    s = make_setup(engine, themes=3, phase="reviewing")
    a, b, c = s.themes
    refused(engine, Conflict, "theme.merge_self", ops.merge_themes, s.fac, a, a, field="merge_into")
    merged = ops.merge_themes(engine, s.fac, b, a)
    assert merged.status == "merged" and merged.merged_into_id == a
    refused(engine, Conflict, "theme.not_active", ops.merge_themes, s.fac, b, c)
    refused(engine, Conflict, "theme.merge_target_inactive", ops.merge_themes, s.fac, c, b, field="merge_into")
    refused(engine, Conflict, "theme.not_merged", ops.unmerge_theme, s.fac, a)
    back = ops.unmerge_theme(engine, s.fac, b)
    assert back.status == "active" and back.merged_into_id is None


def test_themes_are_locked_while_their_round_votes(engine):
    s = make_setup(engine, themes=2, phase="voting")
    refused(engine, PhaseError, "theme.locked_while_voting", ops.merge_themes, s.fac, s.themes[1], s.themes[0])
    refused(engine, PhaseError, "theme.locked_while_voting", ops.edit_theme, s.fac, s.themes[0], ops.ThemeInput("x"))
    refused(engine, PhaseError, "theme.locked_while_voting", ops.withdraw_theme, s.fac, s.themes[0])


# ------------------------------------------------------------------ advance and priorities


def _voted_dots_round(engine):
    s = make_setup(engine, participants={"business": 2, "academia": 1}, themes=5, phase="voting")
    t = s.themes
    submit_ballot(engine, s.tokens[0], s.round_id, {t[0]: 3, t[1]: 2})
    submit_ballot(engine, s.tokens[1], s.round_id, {t[0]: 1, t[2]: 2, t[3]: 2})
    submit_ballot(engine, s.tokens[2], s.round_id, {t[1]: 1, t[2]: 1})
    # totals: t0 4, t1 3, t2 3, t3 2, t4 0
    return s


def test_advance_carries_the_top_k_with_ties_at_the_cut(engine):
    s = _voted_dots_round(engine)
    spec = ops.RoundSpec(method="rank", rank_count=5)
    refused(engine, PhaseError, "round.advance_not_closed", ops.advance, s.fac, s.round_id, 2, spec)
    ops.close_round(engine, s.fac, s.round_id)
    refused(engine, ValidationError, "input.out_of_range", ops.advance, s.fac, s.round_id, 0, spec, field="top_k")
    new = ops.advance(engine, s.fac, s.round_id, 2, spec)
    assert new.origin_round_id == s.round_id and new.seq == 2 and new.phase == "draft"
    assert new.rank_count == 3  # capped at the number of carried themes
    with read(engine) as sess:
        carried = list(
            sess.scalars(select(RoundTheme.theme_id).where(RoundTheme.round_id == new.id).order_by(RoundTheme.position))
        )
    t = s.themes
    assert carried == [t[0], t[1], t[2]]  # 2nd place is a tie between t1 and t2: both go through


def test_carried_themes_keep_their_identity_and_can_be_voted_in_the_new_round(engine):
    s = _voted_dots_round(engine)
    ops.close_round(engine, s.fac, s.round_id)
    new = ops.advance(engine, s.fac, s.round_id, 1, ops.RoundSpec(method="approval"))
    ops.set_phase(engine, s.fac, new.id, "reviewing")
    ops.set_phase(engine, s.fac, new.id, "voting")
    submit_ballot(engine, s.tokens[0], new.id, [s.themes[0]])
    assert round_results(engine, SYSTEM, new.id).themes[0]["theme_id"] == s.themes[0]
    with pytest.raises(ValidationError) as info:
        submit_ballot(engine, s.tokens[0], new.id, [s.themes[4]])  # not carried
    assert info.value.key == "ballot.theme_not_in_round"


def test_set_priorities_replaces_the_list_with_rationale(engine):
    s = _voted_dots_round(engine)
    ops.close_round(engine, s.fac, s.round_id)
    t = s.themes
    P = ops.PriorityInput
    ops.set_priorities(engine, s.fac, [P(t[1], "Bred förankring", "Finansiera förstudie"), P(t[0], "Flest prickar")])
    with read(engine) as sess:
        rows = [(p.rank, p.theme_id, p.rationale) for p in sess.scalars(select(Priority).order_by(Priority.rank))]
    assert rows == [(1, t[1], "Bred förankring"), (2, t[0], "Flest prickar")]
    refused(engine, Conflict, "priority.duplicate", ops.set_priorities, s.fac, [P(t[0]), P(t[0])], field="theme")
    refused(engine, NotFound, "theme.not_found", ops.set_priorities, s.fac, [P(99999)])
    refused(
        engine, ValidationError, "input.too_long", ops.set_priorities, s.fac, [P(t[0], "r" * 2001)], field="rationale"
    )
    ops.withdraw_theme(engine, s.fac, t[4])
    refused(engine, Conflict, "theme.not_active", ops.set_priorities, s.fac, [P(t[4])])
    ops.set_priorities(engine, s.fac, [P(t[2])])
    with read(engine) as sess:
        assert [p.theme_id for p in sess.scalars(select(Priority))] == [t[2]]
    assert "priorities.set" in audit_kinds(engine)


def test_closed_workshop_refuses_changes(engine):
    s = make_setup(engine, participants={"public": 1}, themes=1, phase="proposing")
    ops.set_workshop_open(engine, s.fac, False)
    refused(engine, PhaseError, "workshop.closed", ops.propose, s.tokens[0], s.round_id, ops.ThemeInput("Sent"))
    refused(engine, PhaseError, "workshop.closed", ops.set_phase, s.fac, s.round_id, "reviewing")
    refused(engine, PhaseError, "workshop.closed", ops.add_round, s.fac, ops.RoundSpec(method="approval"))


def test_audit_records_every_state_change_with_role(engine):
    s = make_setup(engine, participants={"business": 1}, themes=2, phase="voting")
    submit_ballot(engine, s.tokens[0], s.round_id, {s.themes[0]: 1})
    ops.close_round(engine, s.fac, s.round_id)
    with read(engine) as sess:
        events = [(e.kind, e.role) for e in sess.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("workshop.created", "system") in events
    assert ("participant.joined", "participant") in events
    assert ("theme.proposed", "participant") in events
    assert ("ballot.submitted", "participant") in events
    assert events[-1] == ("round.phase", "facilitator")


def test_returned_objects_match_the_database(engine):
    s = make_setup(engine, participants={"business": 1}, themes=1)
    with read(engine) as sess:
        assert sess.get(Workshop, s.workshop_id).join_code == s.join_code
        assert sess.scalar(select(Participant.helix)) == "business"
        assert sess.get(Round, s.round_id).phase == "proposing"
        assert sess.get(Theme, s.themes[0]).title == "Tema 1"


def test_facilitator_adds_themes_until_voting_starts(engine):
    s = make_setup(engine, participants={"business": 1})
    draft = ops.add_theme(engine, s.fac, s.round_id, ops.ThemeInput("Från lapp på väggen"))
    assert draft.participant_id is None and draft.origin_round_id == s.round_id
    refused(
        engine,
        PermissionDenied,
        "auth.facilitator_required",
        ops.add_theme,
        s.tokens[0],
        s.round_id,
        ops.ThemeInput("x"),
    )
    refused(
        engine, ValidationError, "input.required", ops.add_theme, s.fac, s.round_id, ops.ThemeInput(" "), field="title"
    )
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.add_theme(engine, s.fac, s.round_id, ops.ThemeInput("Under granskning"))
    ops.set_phase(engine, s.fac, s.round_id, "voting")
    refused(engine, PhaseError, "theme.not_editable_phase", ops.add_theme, s.fac, s.round_id, ops.ThemeInput("Sent"))
    with read(engine) as sess:
        assert [t.title for t in ops.round_themes(sess, s.round_id)] == ["Från lapp på väggen", "Under granskning"]


def test_participant_edits_own_proposal_only_while_proposing(engine):
    s = make_setup(engine, participants={"business": 1, "civil": 1}, phase="proposing")
    mine = ops.propose(engine, s.tokens[0], s.round_id, ops.ThemeInput("Kulturarv"))
    edited = ops.edit_own_theme(engine, s.tokens[0], mine.id, ops.ThemeInput("Kulturarv och turism", "Mer text"))
    assert edited.title == "Kulturarv och turism"
    refused(engine, NotFound, "theme.not_found", ops.edit_own_theme, s.tokens[1], mine.id, ops.ThemeInput("Kapat"))
    refused(
        engine,
        ValidationError,
        "input.too_long",
        ops.edit_own_theme,
        s.tokens[0],
        mine.id,
        ops.ThemeInput("x" * 121),
        field="title",
    )
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    refused(engine, PhaseError, "theme.not_proposing", ops.edit_own_theme, s.tokens[0], mine.id, ops.ThemeInput("Sent"))


def test_paper_participant_is_enrolled_by_the_facilitator(engine):
    s = make_setup(engine, themes=2, phase="voting")
    refused(
        engine,
        PermissionDenied,
        "auth.facilitator_required",
        ops.register_paper_participant,
        "x",
        "Pappers-Per",
        s.actors["civil"],
    )
    refused(
        engine, NotFound, "actor.not_found", ops.register_paper_participant, s.fac, "Pappers-Per", 99999, field="actor"
    )
    p = ops.register_paper_participant(engine, s.fac, "Pappers-Per", s.actors["civil"])
    assert p.helix == "civil"
    from edp.voting.ballots import submit_paper_ballot

    refused(engine, NotFound, "participant.not_found", submit_paper_ballot, s.fac, 99999, s.round_id, {s.themes[0]: 1})
    submit_paper_ballot(engine, s.fac, p.id, s.round_id, {s.themes[0]: 2})
    with read(engine) as sess:
        last = sess.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.kind, last.role) == ("ballot.submitted", "facilitator")
    assert round_results(engine, SYSTEM, s.round_id).themes[0]["total"] == 2


def test_live_results_flag_and_actor_updates(engine):
    s = make_setup(engine, participants={"business": 1}, themes=1, phase="voting")
    assert ops.set_live_results(engine, s.fac, s.round_id, True).live_results is True
    a = ops.add_actor(engine, SYSTEM, s.process_id, "Heimbygda", "civil", "Östersund")
    refused(engine, Conflict, "actor.duplicate", ops.add_actor, SYSTEM, s.process_id, "heimbygda", "civil")
    moved = ops.update_actor(engine, SYSTEM, a.id, name="Heimbygda förbund", helix="civil", municipality="")
    assert moved.name == "Heimbygda förbund" and moved.municipality is None
    refused(
        engine,
        Conflict,
        "actor.duplicate",
        ops.update_actor,
        SYSTEM,
        a.id,
        name="Aktör business",
        helix="civil",
        field="actor_name",
    )
    refused(
        engine,
        ValidationError,
        "input.not_a_choice",
        ops.update_actor,
        SYSTEM,
        a.id,
        name="X",
        helix="nope",
        field="helix",
    )
    # A participant keeps the helix group they joined with.
    ops.update_actor(engine, SYSTEM, s.actors["business"], name="Aktör business", helix="academia")
    with read(engine) as sess:
        assert sess.scalar(select(Participant.helix)) == "business"


def test_actor_names_are_unique_ignoring_case_beyond_ascii(engine):
    proc = ops.create_process(engine, SYSTEM, "P")
    ops.add_actor(engine, SYSTEM, proc.id, "Åre kommun", "public")
    refused(
        engine, Conflict, "actor.duplicate", ops.add_actor, SYSTEM, proc.id, "åre kommun", "public", field="actor_name"
    )
    ws = ops.create_workshop(engine, SYSTEM, proc.id, "W", PASSCODE)
    p = ops.join(engine, ws.join_code, "Eva", actor_name="ÅRE KOMMUN", helix="civil")
    assert p.helix == "public"  # joined the existing actor, not a new one


def test_logout_ends_the_facilitator_session_everywhere(engine):
    s = make_setup(engine)
    ops.logout_facilitator(engine, s.fac)
    refused(
        engine, PermissionDenied, "auth.facilitator_required", ops.add_round, s.fac, ops.RoundSpec(method="approval")
    )


def test_workshop_options_can_be_set_at_creation(engine):
    proc = ops.create_process(engine, SYSTEM, "P")
    ws = ops.create_workshop(engine, SYSTEM, proc.id, "W", PASSCODE, allow_new_actors=False, allow_unregistered=False)
    assert (ws.allow_new_actors, ws.allow_unregistered) == (False, False)
