"""Ballots for every voting method: storing, replacing, refusing bad input without writing anything.

Every refusal is checked three ways: the typed error (class, key, field, the limit in params),
its message in Swedish and English, and tests.conftest.table_counts before == after.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from edp import workshop as ops
from edp.db import read, write
from edp.errors import EdpError, NotFound, PermissionDenied, PhaseError, Throttled, ValidationError
from edp.i18n import catalogue, field_label
from edp.models import AuditEvent, Ballot, BallotEntry, Participant
from edp.security import new_pseudonym, token_hash
from edp.voting import NAMES as METHODS
from edp.voting import ballots
from edp.voting.ballots import my_ballot, submit_ballot, submit_paper_ballot
from tests.conftest import table_counts
from tests.factory import Setup, make_setup

DOTS_BUDGET = 5
DOTS_CAP = 3
RANK_COUNT = 3
# Two criteria with different scales, so "the limit" is never ambiguous.
CRIT_A = ops.CriterionSpec("Genomförbarhet", "Feasibility", weight=1.0, scale_min=1, scale_max=5)
CRIT_B = ops.CriterionSpec("Nytta", "Impact", weight=2.0, scale_min=0, scale_max=10)

CREDITS = 16  # quadratic rounds: at most 4 votes on one theme
SPECS: dict[str, ops.RoundSpec] = {
    "dots": ops.RoundSpec(method="dots", dots_per_participant=DOTS_BUDGET, max_dots_per_theme=DOTS_CAP),
    "score": ops.RoundSpec(method="score", criteria=(CRIT_A, CRIT_B)),
    "rank": ops.RoundSpec(method="rank", rank_count=RANK_COUNT),
    "approval": ops.RoundSpec(method="approval"),
    "quadratic": ops.RoundSpec(method="quadratic", settings={"credits": CREDITS}),
}
PEOPLE = {"business": 1, "academia": 1, "public": 1, "civil": 1}
N_THEMES = 4
NO_SUCH_ID = 987_654


# ---------------------------------------------------------------- helpers


def voting_setup(engine, method: str, **kw) -> Setup:
    return make_setup(engine, SPECS[method], participants=PEOPLE, themes=N_THEMES, phase="voting", **kw)


def setup_in_phase(engine, method: str, phase: str) -> Setup:
    """A round with four themes on its ballot, left in `phase`."""
    if phase == "draft":
        s = make_setup(engine, SPECS[method], participants=PEOPLE)
        for i in range(N_THEMES):
            s.themes.append(ops.add_theme(engine, s.fac, s.round_id, ops.ThemeInput(title=f"Tema {i + 1}")).id)
        return s
    if phase == "closed":
        s = voting_setup(engine, method)
        ops.close_round(engine, s.fac, s.round_id)
        return s
    return make_setup(engine, SPECS[method], participants=PEOPLE, themes=N_THEMES, phase=phase)


def first_ballot(method: str, s: Setup) -> Any:
    t, c = s.themes, s.criteria
    return {
        "dots": lambda: {t[0]: 3, t[1]: 2},
        "score": lambda: {t[0]: {c[0]: 4, c[1]: 7}, t[2]: {c[0]: 1, c[1]: 0}},
        "rank": lambda: [t[2], t[0], t[1]],
        "approval": lambda: [t[1], t[3]],
        "quadratic": lambda: {t[0]: 3, t[1]: 2},  # 9 + 4 = 13 of 16 credits
    }[method]()


def second_ballot(method: str, s: Setup) -> Any:
    """Shares no theme with first_ballot, so a leftover entry would show."""
    t, c = s.themes, s.criteria
    return {
        "dots": lambda: {t[2]: 1, t[3]: 3},
        "score": lambda: {t[1]: {c[0]: 5, c[1]: 10}},
        "rank": lambda: [t[3]],
        "approval": lambda: [t[0]],
        "quadratic": lambda: {t[2]: 1, t[3]: 1},
    }[method]()


def ballot_for_theme(method: str, s: Setup, theme_id: int) -> Any:
    """The smallest valid-looking ballot that names only `theme_id`."""
    return {
        "dots": lambda: {theme_id: 1},
        "score": lambda: {theme_id: {s.criteria[0]: 3, s.criteria[1]: 5}},
        "rank": lambda: [theme_id],
        "approval": lambda: [theme_id],
        "quadratic": lambda: {theme_id: 1},
    }[method]()


def rows_of(method: str, s: Setup, choices: Any) -> list[tuple[int, int | None, int]]:
    """The entry rows a valid ballot must be stored as, worked out independently of edp.voting.ballots."""
    if method in ("dots", "quadratic"):
        return sorted((t, None, d) for t, d in choices.items() if d)
    if method == "score":
        return sorted((t, cid, v) for t, scores in choices.items() for cid, v in scores.items())
    if method == "rank":
        return sorted((t, None, pos) for pos, t in enumerate(choices, start=1))
    return sorted((t, None, 1) for t in choices)


def participant_id(engine, token: str) -> int:
    with read(engine) as s:
        return s.scalar(select(Participant.id).where(Participant.token_hash == token_hash(token)))


def stored(engine, token: str, round_id: int) -> list[tuple[int, int | None, int]]:
    pid = participant_id(engine, token)
    with read(engine) as s:
        return sorted(my_ballot(s, pid, round_id))


def ballot_state(engine, round_id: int) -> tuple[list[tuple], list[tuple]]:
    """Every column of every ballot and entry of the round: equal means untouched."""
    with read(engine) as s:
        ballots = s.execute(
            select(Ballot.id, Ballot.participant_id, Ballot.pseudonym, Ballot.submitted_at, Ballot.times_replaced)
            .where(Ballot.round_id == round_id)
            .order_by(Ballot.id)
        ).all()
        entries = s.execute(
            select(
                BallotEntry.id, BallotEntry.ballot_id, BallotEntry.theme_id, BallotEntry.criterion_id, BallotEntry.value
            )
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .where(Ballot.round_id == round_id)
            .order_by(BallotEntry.id)
        ).all()
    return [tuple(b) for b in ballots], [tuple(e) for e in entries]


def ballot_audit(engine, round_id: int) -> list[AuditEvent]:
    with read(engine) as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.round_id == round_id, AuditEvent.kind.like("ballot.%"))
                .order_by(AuditEvent.id)
            )
        )


def assert_refused(
    engine,
    call: Callable[[], Any],
    exc_type: type[EdpError],
    key: str,
    field_: str | None,
    params: dict[str, Any],
) -> EdpError:
    """`call` raises exactly exc_type with key, field and params, and writes nothing."""
    before = table_counts(engine)
    with pytest.raises(EdpError) as info:
        call()
    err = info.value
    assert type(err) is exc_type, f"{type(err).__name__}({err}) instead of {exc_type.__name__}"
    assert err.key == key, err
    assert err.field == field_, err
    for name, value in params.items():
        assert name in err.params, f"{name!r} missing from params {err.params}"
        assert err.params[name] == value, f"params[{name!r}] = {err.params[name]!r}, expected {value!r}"
    assert table_counts(engine) == before, "a refused ballot wrote to the database"
    return err


# ---------------------------------------------------------------- valid ballots and replacement


@pytest.mark.parametrize("method", METHODS)
def test_valid_ballot_is_stored_and_my_ballot_returns_it(engine, method):
    s = voting_setup(engine, method)
    token = s.tokens[1]
    choices = first_ballot(method, s)

    ballot = submit_ballot(engine, token, s.round_id, choices)

    assert ballot.times_replaced == 0
    assert stored(engine, token, s.round_id) == rows_of(method, s, choices)
    ballots, entries = ballot_state(engine, s.round_id)
    assert [(b[0], b[1], b[4]) for b in ballots] == [(ballot.id, participant_id(engine, token), 0)]
    assert len(entries) == len(rows_of(method, s, choices))
    # Nobody else got a ballot.
    for other in s.tokens[2:]:
        assert stored(engine, other, s.round_id) == []


@pytest.mark.parametrize("method", METHODS)
def test_a_submitted_ballot_carries_its_entries_and_time_exactly_as_stored(engine, method):
    """The voter's page shows the engine's answer without reading it back: it must be what the
    database holds, in my_ballot's order, first and after a replacement."""
    s = voting_setup(engine, method)
    token = s.tokens[1]
    pid = participant_id(engine, token)
    for choices in (first_ballot(method, s), second_ballot(method, s)):
        ballot = submit_ballot(engine, token, s.round_id, choices)
        with read(engine) as ses:
            in_db = my_ballot(ses, pid, s.round_id)
            saved_at = ses.scalar(select(Ballot.submitted_at).where(Ballot.id == ballot.id))
        assert [(e.theme_id, e.criterion_id, e.value) for e in ballot.entries] == in_db
        assert abs(_utc(ballot.submitted_at) - _utc(saved_at)) < dt.timedelta(milliseconds=1)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_dots_with_zero_for_a_theme_stores_only_the_themes_that_got_dots(engine):
    s = voting_setup(engine, "dots")
    t = s.themes
    submit_ballot(engine, s.tokens[1], s.round_id, {t[0]: 2, t[1]: 0, t[2]: 3})
    assert stored(engine, s.tokens[1], s.round_id) == sorted([(t[0], None, 2), (t[2], None, 3)])


def test_rank_ballot_stores_positions_best_first(engine):
    s = voting_setup(engine, "rank")
    t = s.themes
    submit_ballot(engine, s.tokens[1], s.round_id, [t[3], t[1]])
    pid = participant_id(engine, s.tokens[1])
    with read(engine) as ses:
        assert {tid: pos for tid, _, pos in my_ballot(ses, pid, s.round_id)} == {t[3]: 1, t[1]: 2}


@pytest.mark.parametrize("method", METHODS)
def test_resubmitting_replaces_the_whole_ballot(engine, method):
    s = voting_setup(engine, method)
    token = s.tokens[1]
    first = submit_ballot(engine, token, s.round_id, first_ballot(method, s))

    again = submit_ballot(engine, token, s.round_id, second_ballot(method, s))

    assert stored(engine, token, s.round_id) == rows_of(method, s, second_ballot(method, s))
    ballots, entries = ballot_state(engine, s.round_id)
    assert len(ballots) == 1, "replacing must not add a second Ballot row"
    assert ballots[0][0] == first.id == again.id
    assert ballots[0][4] == 1 == again.times_replaced
    assert sorted((e[2], e[3], e[4]) for e in entries) == rows_of(method, s, second_ballot(method, s))

    submit_ballot(engine, token, s.round_id, first_ballot(method, s))
    ballots, entries = ballot_state(engine, s.round_id)
    assert len(ballots) == 1
    assert ballots[0][4] == 2
    assert sorted((e[2], e[3], e[4]) for e in entries) == rows_of(method, s, first_ballot(method, s))
    assert [e.kind for e in ballot_audit(engine, s.round_id)] == [
        "ballot.submitted",
        "ballot.replaced",
        "ballot.replaced",
    ]


def invalid_resubmission(method: str, s: Setup) -> tuple[Any, str]:
    t, c = s.themes, s.criteria
    return {
        "dots": lambda: ({t[0]: 3, t[1]: 3}, "ballot.dots_budget"),
        "score": lambda: ({t[1]: {c[0]: 5, c[1]: 11}}, "input.out_of_range"),
        "rank": lambda: ([t[0], t[1], t[2], t[3]], "ballot.rank_too_many"),
        "approval": lambda: ([t[0], t[2], t[0]], "ballot.approval_duplicate"),
        "quadratic": lambda: ({t[0]: 3, t[1]: 3}, "ballot.credits_budget"),  # 18 > 16
    }[method]()


INVALID_RESUBMISSION_FIELD = {"quadratic": "votes"}  # the others name their method's own field


@pytest.mark.parametrize("method", METHODS)
def test_invalid_resubmission_leaves_the_previous_ballot_exactly_as_it_was(engine, method):
    s = voting_setup(engine, method)
    token = s.tokens[1]
    submit_ballot(engine, token, s.round_id, first_ballot(method, s))
    state = ballot_state(engine, s.round_id)
    bad, key = invalid_resubmission(method, s)

    err = assert_refused(
        engine,
        lambda: submit_ballot(engine, token, s.round_id, bad),
        ValidationError,
        key,
        INVALID_RESUBMISSION_FIELD.get(method, method),
        {},
    )

    assert err.key == key
    assert ballot_state(engine, s.round_id) == state
    assert stored(engine, token, s.round_id) == rows_of(method, s, first_ballot(method, s))
    assert [e.kind for e in ballot_audit(engine, s.round_id)] == ["ballot.submitted"]


# ---------------------------------------------------------------- bad input: the whole table


@dataclass(frozen=True)
class Bad:
    method: str
    name: str
    choices: Callable[[Setup], Any]
    key: str
    field: str
    params: Callable[[Setup], dict[str, Any]] = field(default=lambda s: {})
    exc: type[EdpError] = ValidationError


BAD: list[Bad] = [
    # dots: budget 5, at most 3 per theme
    Bad(
        "dots",
        "over_budget",
        lambda s: {s.themes[0]: 3, s.themes[1]: 2, s.themes[2]: 1},
        "ballot.dots_budget",
        "dots",
        lambda s: {"max": DOTS_BUDGET, "value": 6},
    ),
    Bad(
        "dots",
        "over_per_theme_cap",
        lambda s: {s.themes[0]: 4},
        "ballot.dots_cap",
        "dots",
        lambda s: {"max": DOTS_CAP, "value": 4},
    ),
    Bad(
        "dots",
        "negative_dots",
        lambda s: {s.themes[0]: 3, s.themes[1]: -1},
        "input.out_of_range",
        "dots",
        lambda s: {"min": 0, "max": DOTS_CAP, "value": -1},
    ),
    Bad(
        "dots",
        "negative_dots_that_keep_the_total_in_budget",
        lambda s: {s.themes[0]: 3, s.themes[1]: 3, s.themes[2]: -1},
        "input.out_of_range",
        "dots",
        lambda s: {"min": 0, "max": DOTS_CAP, "value": -1},
    ),
    Bad("dots", "fractional_dots", lambda s: {s.themes[0]: 1.5}, "input.not_integer", "dots"),
    Bad("dots", "float_that_looks_whole", lambda s: {s.themes[0]: 2.0}, "input.not_integer", "dots"),
    Bad("dots", "dots_as_text", lambda s: {s.themes[0]: "2"}, "input.not_integer", "dots"),
    Bad("dots", "dots_as_bool", lambda s: {s.themes[0]: True}, "input.not_integer", "dots"),
    Bad("dots", "dots_as_none", lambda s: {s.themes[0]: None}, "input.not_integer", "dots"),
    Bad("dots", "theme_id_as_text", lambda s: {str(s.themes[0]): 1}, "input.not_integer", "theme"),
    Bad("dots", "theme_id_as_bool", lambda s: {True: 1}, "input.not_integer", "theme"),
    Bad("dots", "empty", lambda s: {}, "ballot.empty", "ballot"),
    Bad("dots", "only_zeros", lambda s: {s.themes[0]: 0, s.themes[1]: 0}, "ballot.empty", "ballot"),
    Bad(
        "dots",
        "theme_not_in_round",
        lambda s: {s.themes[0]: 1, NO_SUCH_ID: 1},
        "ballot.theme_not_in_round",
        "theme",
        lambda s: {"id": NO_SUCH_ID},
    ),
    Bad("dots", "list_instead_of_dict", lambda s: [s.themes[0], s.themes[1]], "ballot.malformed", "ballot"),
    Bad("dots", "none_instead_of_dict", lambda s: None, "ballot.malformed", "ballot"),
    # score: criterion A 1..5, criterion B 0..10
    Bad(
        "score",
        "above_scale",
        lambda s: {s.themes[0]: {s.criteria[0]: 6, s.criteria[1]: 5}},
        "input.out_of_range",
        "score",
        lambda s: {"min": 1, "max": 5, "value": 6},
    ),
    Bad(
        "score",
        "below_scale",
        lambda s: {s.themes[0]: {s.criteria[0]: 3, s.criteria[1]: -1}},
        "input.out_of_range",
        "score",
        lambda s: {"min": 0, "max": 10, "value": -1},
    ),
    Bad(
        "score",
        "below_scale_of_second_theme",
        lambda s: {
            s.themes[0]: {s.criteria[0]: 3, s.criteria[1]: 3},
            s.themes[1]: {s.criteria[0]: 0, s.criteria[1]: 3},
        },
        "input.out_of_range",
        "score",
        lambda s: {"min": 1, "max": 5, "value": 0},
    ),
    Bad(
        "score",
        "missing_criterion",
        lambda s: {s.themes[0]: {s.criteria[0]: 3}},
        "ballot.score_every_criterion",
        "score",
        lambda s: {"count": 2},
    ),
    Bad(
        "score",
        "extra_criterion",
        lambda s: {s.themes[0]: {s.criteria[0]: 3, s.criteria[1]: 3, NO_SUCH_ID: 3}},
        "ballot.score_every_criterion",
        "score",
        lambda s: {"count": 2},
    ),
    Bad(
        "score",
        "criterion_id_as_text",
        lambda s: {s.themes[0]: {str(s.criteria[0]): 3, s.criteria[1]: 3}},
        "ballot.score_every_criterion",
        "score",
        lambda s: {"count": 2},
    ),
    Bad(
        "score",
        "number_instead_of_scores",
        lambda s: {s.themes[0]: 3},
        "ballot.score_every_criterion",
        "score",
        lambda s: {"count": 2},
    ),
    Bad(
        "score",
        "fractional_score",
        lambda s: {s.themes[0]: {s.criteria[0]: 2.5, s.criteria[1]: 3}},
        "input.not_integer",
        "score",
    ),
    Bad(
        "score",
        "score_as_bool",
        lambda s: {s.themes[0]: {s.criteria[0]: True, s.criteria[1]: 3}},
        "input.not_integer",
        "score",
    ),
    Bad(
        "score",
        "theme_id_as_text",
        lambda s: {str(s.themes[0]): {s.criteria[0]: 3, s.criteria[1]: 3}},
        "input.not_integer",
        "theme",
    ),
    Bad("score", "empty", lambda s: {}, "ballot.empty", "ballot"),
    Bad(
        "score",
        "theme_not_in_round",
        lambda s: {NO_SUCH_ID: {s.criteria[0]: 3, s.criteria[1]: 3}},
        "ballot.theme_not_in_round",
        "theme",
        lambda s: {"id": NO_SUCH_ID},
    ),
    Bad("score", "list_instead_of_dict", lambda s: [s.themes[0]], "ballot.malformed", "ballot"),
    # rank: at most 3
    Bad("rank", "duplicate_rank", lambda s: [s.themes[0], s.themes[1], s.themes[0]], "ballot.rank_duplicate", "rank"),
    Bad(
        "rank",
        "too_many_ranks",
        lambda s: [s.themes[0], s.themes[1], s.themes[2], s.themes[3]],
        "ballot.rank_too_many",
        "rank",
        lambda s: {"max": RANK_COUNT, "value": 4},
    ),
    Bad("rank", "theme_id_as_text", lambda s: [s.themes[0], str(s.themes[1])], "input.not_integer", "theme"),
    Bad("rank", "theme_id_as_bool", lambda s: [True], "input.not_integer", "theme"),
    Bad("rank", "theme_id_as_float", lambda s: [float(s.themes[0])], "input.not_integer", "theme"),
    Bad("rank", "empty", lambda s: [], "ballot.empty", "ballot"),
    Bad(
        "rank",
        "theme_not_in_round",
        lambda s: [s.themes[0], NO_SUCH_ID],
        "ballot.theme_not_in_round",
        "theme",
        lambda s: {"id": NO_SUCH_ID},
    ),
    Bad("rank", "dict_instead_of_list", lambda s: {s.themes[0]: 1, s.themes[1]: 2}, "ballot.malformed", "ballot"),
    Bad("rank", "text_instead_of_list", lambda s: f"{s.themes[0]},{s.themes[1]}", "ballot.malformed", "ballot"),
    Bad("rank", "bare_number_instead_of_list", lambda s: s.themes[0], "ballot.malformed", "ballot"),
    # A set has no order, so it cannot say which theme is best.
    Bad("rank", "set_instead_of_list", lambda s: {s.themes[2], s.themes[0]}, "ballot.malformed", "ballot"),
    # approval
    Bad(
        "approval", "duplicate_approval", lambda s: [s.themes[0], s.themes[0]], "ballot.approval_duplicate", "approval"
    ),
    Bad("approval", "theme_id_as_text", lambda s: [str(s.themes[0])], "input.not_integer", "theme"),
    Bad("approval", "theme_id_as_bool", lambda s: [s.themes[0], True], "input.not_integer", "theme"),
    Bad("approval", "empty", lambda s: [], "ballot.empty", "ballot"),
    Bad(
        "approval",
        "theme_not_in_round",
        lambda s: [NO_SUCH_ID],
        "ballot.theme_not_in_round",
        "theme",
        lambda s: {"id": NO_SUCH_ID},
    ),
    Bad("approval", "dict_instead_of_list", lambda s: {s.themes[0]: True}, "ballot.malformed", "ballot"),
    Bad("approval", "none_instead_of_list", lambda s: None, "ballot.malformed", "ballot"),
    # quadratic (16 credits: at most 4 votes on one theme)
    Bad(
        "quadratic",
        "over_the_credits",
        lambda s: {s.themes[0]: 3, s.themes[1]: 2, s.themes[2]: 2},
        "ballot.credits_budget",
        "votes",
        lambda s: {"max": CREDITS, "value": 17},
    ),  # fmt: skip
    Bad(
        "quadratic",
        "more_votes_than_one_theme_can_take",
        lambda s: {s.themes[0]: 5},
        "input.out_of_range",
        "votes",
        lambda s: {"min": 0, "max": 4, "value": 5},
    ),  # fmt: skip
    Bad(
        "quadratic",
        "negative_votes",
        lambda s: {s.themes[0]: -1},
        "input.out_of_range",
        "votes",
        lambda s: {"min": 0, "max": 4, "value": -1},
    ),  # fmt: skip
    Bad("quadratic", "votes_as_text", lambda s: {s.themes[0]: "2"}, "input.not_integer", "votes"),
    Bad("quadratic", "votes_as_float", lambda s: {s.themes[0]: 1.5}, "input.not_integer", "votes"),
    Bad("quadratic", "all_zero", lambda s: {s.themes[0]: 0}, "ballot.empty", "ballot"),
    Bad("quadratic", "list_instead_of_dict", lambda s: [s.themes[0]], "ballot.malformed", "ballot"),
    Bad(
        "quadratic",
        "theme_not_in_round",
        lambda s: {NO_SUCH_ID: 1},
        "ballot.theme_not_in_round",
        "theme",
        lambda s: {"id": NO_SUCH_ID},
    ),  # fmt: skip
]


@pytest.mark.parametrize("case", BAD, ids=[f"{b.method}-{b.name}" for b in BAD])
def test_bad_ballot_is_refused_with_its_typed_error_and_nothing_written(engine, case):
    s = voting_setup(engine, case.method)
    # One voter already has a ballot (it must survive), one has none (none may appear).
    with_ballot, without_ballot = s.tokens[1], s.tokens[2]
    submit_ballot(engine, with_ballot, s.round_id, first_ballot(case.method, s))
    state = ballot_state(engine, s.round_id)
    choices = case.choices(s)

    for token in (with_ballot, without_ballot):
        assert_refused(
            engine,
            lambda token=token: submit_ballot(engine, token, s.round_id, choices),
            case.exc,
            case.key,
            case.field,
            case.params(s),
        )

    assert ballot_state(engine, s.round_id) == state
    assert stored(engine, without_ballot, s.round_id) == []


# ---------------------------------------------------------------- bad themes, people, rounds and phases


@pytest.mark.parametrize("method", METHODS)
def test_ballot_naming_a_withdrawn_theme_is_refused_and_nothing_written(engine, method):
    s = make_setup(engine, SPECS[method], participants=PEOPLE, themes=N_THEMES)
    gone = s.themes[3]
    ops.withdraw_theme(engine, s.fac, gone)
    ops.set_phase(engine, s.fac, s.round_id, "reviewing")
    ops.set_phase(engine, s.fac, s.round_id, "voting")

    assert_refused(
        engine,
        lambda: submit_ballot(engine, s.tokens[1], s.round_id, ballot_for_theme(method, s, gone)),
        ValidationError,
        "ballot.theme_not_in_round",
        "theme",
        {"id": gone},
    )
    # The same ballot on a theme that is still active goes through.
    submit_ballot(engine, s.tokens[1], s.round_id, ballot_for_theme(method, s, s.themes[2]))
    assert [r[0] for r in stored(engine, s.tokens[1], s.round_id)][:1] == [s.themes[2]]


@pytest.mark.parametrize("method", METHODS)
def test_ballot_naming_a_merged_theme_is_refused_and_nothing_written(engine, method):
    s = make_setup(engine, SPECS[method], participants=PEOPLE, themes=N_THEMES, phase="reviewing")
    duplicate, survivor = s.themes[3], s.themes[0]
    ops.merge_themes(engine, s.fac, duplicate, survivor)
    ops.set_phase(engine, s.fac, s.round_id, "voting")

    assert_refused(
        engine,
        lambda: submit_ballot(engine, s.tokens[1], s.round_id, ballot_for_theme(method, s, duplicate)),
        ValidationError,
        "ballot.theme_not_in_round",
        "theme",
        {"id": duplicate},
    )
    submit_ballot(engine, s.tokens[1], s.round_id, ballot_for_theme(method, s, survivor))
    assert {r[0] for r in stored(engine, s.tokens[1], s.round_id)} == {survivor}


@pytest.mark.parametrize("token", ["not-a-real-token", "", None, 12345], ids=["unknown", "empty", "none", "int"])
@pytest.mark.parametrize("method", METHODS)
def test_ballot_from_an_unknown_participant_token_is_refused_and_nothing_written(engine, method, token):
    s = voting_setup(engine, method)
    submit_ballot(engine, s.tokens[1], s.round_id, first_ballot(method, s))

    assert_refused(
        engine,
        lambda: submit_ballot(engine, token, s.round_id, first_ballot(method, s)),
        PermissionDenied,
        "auth.participant_unknown",
        None,
        {},
    )


@pytest.mark.parametrize("method", METHODS)
def test_ballot_for_a_round_of_another_workshop_is_refused_and_nothing_written(engine, method):
    mine = voting_setup(engine, method)
    other = voting_setup(engine, method)
    submit_ballot(engine, mine.tokens[1], mine.round_id, first_ballot(method, mine))
    before_other = ballot_state(engine, other.round_id)

    # The other round is voting and the ballot fits it; only the workshop is wrong.
    assert_refused(
        engine,
        lambda: submit_ballot(engine, mine.tokens[1], other.round_id, first_ballot(method, other)),
        NotFound,
        "round.not_found",
        None,
        {"id": other.round_id},
    )
    assert ballot_state(engine, other.round_id) == before_other == ([], [])


@pytest.mark.parametrize("method", METHODS)
def test_ballot_for_a_round_that_does_not_exist_is_refused_and_nothing_written(engine, method):
    s = voting_setup(engine, method)
    assert_refused(
        engine,
        lambda: submit_ballot(engine, s.tokens[1], NO_SUCH_ID, first_ballot(method, s)),
        NotFound,
        "round.not_found",
        None,
        {"id": NO_SUCH_ID},
    )


@pytest.mark.parametrize("phase", ["draft", "proposing", "reviewing", "closed"])
@pytest.mark.parametrize("method", METHODS)
def test_ballot_while_voting_is_not_open_is_refused_and_nothing_written(engine, method, phase):
    s = setup_in_phase(engine, method, phase)

    err = assert_refused(
        engine,
        lambda: submit_ballot(engine, s.tokens[1], s.round_id, first_ballot(method, s)),
        PhaseError,
        "ballot.not_voting",
        None,
        {"phase": phase},
    )
    assert ballot_state(engine, s.round_id) == ([], [])
    assert phase in err.message("en")


@pytest.mark.parametrize("method", METHODS)
def test_closing_the_round_keeps_earlier_ballots_and_refuses_replacements(engine, method):
    s = voting_setup(engine, method)
    submit_ballot(engine, s.tokens[1], s.round_id, first_ballot(method, s))
    ops.close_round(engine, s.fac, s.round_id)
    state = ballot_state(engine, s.round_id)

    assert_refused(
        engine,
        lambda: submit_ballot(engine, s.tokens[1], s.round_id, second_ballot(method, s)),
        PhaseError,
        "ballot.not_voting",
        None,
        {"phase": "closed"},
    )
    assert ballot_state(engine, s.round_id) == state
    assert stored(engine, s.tokens[1], s.round_id) == rows_of(method, s, first_ballot(method, s))


@pytest.mark.parametrize("method", METHODS)
def test_ballot_in_a_closed_workshop_is_refused_and_nothing_written(engine, method):
    s = voting_setup(engine, method)
    submit_ballot(engine, s.tokens[1], s.round_id, first_ballot(method, s))
    ops.set_workshop_open(engine, s.fac, False)
    state = ballot_state(engine, s.round_id)

    for token, choices in ((s.tokens[1], second_ballot(method, s)), (s.tokens[2], first_ballot(method, s))):
        assert_refused(
            engine,
            lambda token=token, choices=choices: submit_ballot(engine, token, s.round_id, choices),
            PhaseError,
            "workshop.closed",
            None,
            {},
        )
    assert ballot_state(engine, s.round_id) == state


# ---------------------------------------------------------------- messages in both languages


@dataclass(frozen=True)
class Msg:
    name: str
    method: str
    choices: Callable[[Setup], Any]
    field: str
    label_en: str
    label_sv: str
    numbers: tuple[int, ...]  # the limit(s) the message must state


MESSAGES = [
    Msg("dots_budget", "dots", lambda s: {s.themes[0]: 3, s.themes[1]: 3}, "dots", "Dots", "Prickar", (DOTS_BUDGET,)),
    Msg("dots_cap", "dots", lambda s: {s.themes[0]: 4}, "dots", "Dots", "Prickar", (DOTS_CAP,)),
    Msg("negative_dots", "dots", lambda s: {s.themes[0]: -2}, "dots", "Dots", "Prickar", (0, DOTS_CAP)),
    Msg("dots_not_integer", "dots", lambda s: {s.themes[0]: 1.5}, "dots", "Dots", "Prickar", ()),
    Msg(
        "score_out_of_scale",
        "score",
        lambda s: {s.themes[0]: {s.criteria[0]: 3, s.criteria[1]: 11}},
        "score",
        "Score",
        "Poäng",
        (0, 10),
    ),
    Msg("score_every_criterion", "score", lambda s: {s.themes[0]: {s.criteria[0]: 3}}, "score", "Score", "Poäng", (2,)),
    Msg("rank_too_many", "rank", lambda s: list(s.themes), "rank", "Ranking", "Rangordning", (RANK_COUNT,)),
]


def _has_number(text: str, n: int) -> bool:
    return re.search(rf"(?<![\d-]){n}(?!\d)", text) is not None


@pytest.mark.parametrize("case", MESSAGES, ids=[m.name for m in MESSAGES])
def test_refusal_message_names_the_field_and_the_limit_in_swedish_and_english(engine, case):
    s = voting_setup(engine, case.method)
    with pytest.raises(ValidationError) as info:
        submit_ballot(engine, s.tokens[1], s.round_id, case.choices(s))
    err = info.value
    assert err.field == case.field
    assert field_label(case.field, "en") == case.label_en
    assert field_label(case.field, "sv") == case.label_sv

    en, sv = err.message("en"), err.message("sv")
    assert en != sv, "the Swedish message is the English one"
    for lang, text, label in (("en", en, case.label_en), ("sv", sv, case.label_sv)):
        assert err.key in catalogue(lang), f"{err.key} has no {lang} message"
        assert "{" not in text and "}" not in text, f"unfilled placeholder in {lang}: {text!r}"
        assert label.lower() in text.lower(), f"{lang} message {text!r} does not name the field {label!r}"
        for n in case.numbers:
            assert _has_number(text, n), f"{lang} message {text!r} does not state the limit {n}"


@pytest.mark.parametrize("case", BAD, ids=[f"{b.method}-{b.name}" for b in BAD])
def test_every_ballot_refusal_has_a_rendered_message_in_both_languages(case):
    keys_sv, keys_en = catalogue("sv"), catalogue("en")
    assert case.key in keys_en and case.key in keys_sv
    assert keys_sv[case.key] != keys_en[case.key]
    err = case.exc(case.key, field=case.field, **{"max": 1, "min": 0, "value": 2, "count": 2, "id": 3})
    for lang in ("sv", "en"):
        text = err.message(lang)
        assert text and text != case.key and "{" not in text


# ---------------------------------------------------------------- the database's own guard


def test_database_refuses_a_second_ballot_row_for_the_same_participant_and_round(engine):
    s = voting_setup(engine, "dots")
    submit_ballot(engine, s.tokens[1], s.round_id, first_ballot("dots", s))
    pid = participant_id(engine, s.tokens[1])

    with pytest.raises(IntegrityError), write(engine) as ses:
        ses.add(Ballot(round_id=s.round_id, participant_id=pid, pseudonym=new_pseudonym(), times_replaced=0))
        ses.flush()

    with read(engine) as ses:
        n = ses.scalar(select(func.count(Ballot.id)).where(Ballot.round_id == s.round_id, Ballot.participant_id == pid))
    assert n == 1
    # The same insert for a participant without a ballot is fine: it is the pair that is unique.
    other = participant_id(engine, s.tokens[2])
    with write(engine) as ses:
        ses.add(Ballot(round_id=s.round_id, participant_id=other, pseudonym=new_pseudonym(), times_replaced=0))


def test_database_refuses_two_fresh_ballot_rows_for_the_same_participant_and_round(engine):
    s = voting_setup(engine, "approval")
    pid = participant_id(engine, s.tokens[1])
    before = table_counts(engine)
    with pytest.raises(IntegrityError), write(engine) as ses:
        ses.add(Ballot(round_id=s.round_id, participant_id=pid, pseudonym=new_pseudonym(), times_replaced=0))
        ses.flush()
        ses.add(Ballot(round_id=s.round_id, participant_id=pid, pseudonym=new_pseudonym(), times_replaced=0))
        ses.flush()
    assert table_counts(engine) == before


# ---------------------------------------------------------------- audit trail and anonymity


@pytest.mark.parametrize("method", METHODS)
def test_anonymous_workshop_audit_of_ballots_names_no_participant_and_no_entries(engine, method):
    s = voting_setup(engine, method)  # anonymous by default
    token = s.tokens[1]
    pid = participant_id(engine, token)
    submit_ballot(engine, token, s.round_id, first_ballot(method, s))
    submit_ballot(engine, token, s.round_id, second_ballot(method, s))

    events = ballot_audit(engine, s.round_id)
    assert [e.kind for e in events] == ["ballot.submitted", "ballot.replaced"]
    for e in events:
        assert e.role == "participant"
        assert "participant_id" not in e.detail
        assert "entries" not in e.detail
        assert e.detail == {}, f"anonymous audit detail carries {e.detail!r}"
        assert token not in repr(e.detail)
    assert pid is not None


@pytest.mark.parametrize("method", METHODS)
def test_open_workshop_audit_of_ballots_names_the_participant_and_the_entries(engine, method):
    s = voting_setup(engine, method, anonymous=False)
    token = s.tokens[1]
    pid = participant_id(engine, token)
    submit_ballot(engine, token, s.round_id, first_ballot(method, s))
    submit_ballot(engine, token, s.round_id, second_ballot(method, s))

    events = ballot_audit(engine, s.round_id)
    assert [e.kind for e in events] == ["ballot.submitted", "ballot.replaced"]
    for e, choices in zip(events, (first_ballot(method, s), second_ballot(method, s)), strict=True):
        assert e.detail["participant_id"] == pid
        got = sorted(tuple(row) for row in e.detail["entries"])
        assert got == rows_of(method, s, choices)


@pytest.mark.parametrize("method", METHODS)
def test_ballot_naming_a_theme_of_another_round_or_workshop_is_refused_and_nothing_written(engine, method):
    s = voting_setup(engine, method)
    # An active theme on the ballot of a later round of the same workshop ...
    later = ops.add_round(engine, s.fac, ops.RoundSpec(method="approval"))
    elsewhere = ops.add_theme(engine, s.fac, later.id, ops.ThemeInput(title="Senare tema")).id
    # ... and an active theme of a voting round in another workshop.
    other = voting_setup(engine, method)
    foreign = other.themes[0]

    for theme_id in (elsewhere, foreign):
        assert_refused(
            engine,
            lambda theme_id=theme_id: submit_ballot(
                engine, s.tokens[1], s.round_id, ballot_for_theme(method, s, theme_id)
            ),
            ValidationError,
            "ballot.theme_not_in_round",
            "theme",
            {"id": theme_id},
        )


# ---------------------------------------------------------------- the rate limit on replacements


class Clock:
    """A stand-in for edp.voting.ballots.utcnow that moves only when told to."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(ballots, "utcnow", c)
    return c


def alternate(s: Setup, n: int) -> Any:
    """Two different valid approval ballots, taken in turn, so each submission is a real change."""
    return [s.themes[n % 2]]


def test_a_person_changing_their_mind_is_never_refused(engine, clock):
    s = voting_setup(engine, "approval")
    token = s.tokens[0]
    submit_ballot(engine, token, s.round_id, alternate(s, 0))
    # A burst of changes at once: every one is taken.
    for n in range(1, ballots.REPLACE_BURST + 1):
        assert submit_ballot(engine, token, s.round_id, alternate(s, n)).times_replaced == n
    # Then a change every few seconds, for as long as voting lasts.
    for n in range(ballots.REPLACE_BURST + 1, ballots.REPLACE_BURST + 61):
        clock.advance(ballots.REPLACE_INTERVAL_S)
        submit_ballot(engine, token, s.round_id, alternate(s, n))
    # A pause earns the whole burst back.
    clock.advance(ballots.REPLACE_BURST * ballots.REPLACE_INTERVAL_S)
    for n in range(ballots.REPLACE_BURST):
        submit_ballot(engine, token, s.round_id, alternate(s, n))
    assert len(ballot_audit(engine, s.round_id)) == 1 + 2 * ballots.REPLACE_BURST + 60


def test_replacing_a_ballot_too_often_is_refused_with_the_wait_and_nothing_written(engine, clock):
    s = voting_setup(engine, "approval")
    token = s.tokens[0]
    for n in range(ballots.REPLACE_BURST + 1):
        submit_ballot(engine, token, s.round_id, alternate(s, n))
    clock.advance(1)
    state = ballot_state(engine, s.round_id)
    err = assert_refused(
        engine, lambda: submit_ballot(engine, token, s.round_id, [s.themes[2], s.themes[3]]),
        Throttled, "ballot.replaced_too_often", None, {"seconds": 2},
    )  # fmt: skip
    assert ballot_state(engine, s.round_id) == state  # the stored ballot is the last accepted one
    assert len(ballot_audit(engine, s.round_id)) == ballots.REPLACE_BURST + 1  # no audit row for the refusal
    assert "2 sekunder" in err.message("sv") and "2 seconds" in err.message("en")
    # Other voters are not held back by it.
    submit_ballot(engine, s.tokens[1], s.round_id, alternate(s, 0))
    clock.advance(2)
    again = submit_ballot(engine, token, s.round_id, [s.themes[2], s.themes[3]])
    assert again.times_replaced == ballots.REPLACE_BURST + 1
    assert stored(engine, token, s.round_id) == sorted([(s.themes[2], None, 1), (s.themes[3], None, 1)])


def test_red_team_replay_869_replacements_in_25_seconds_leave_only_the_allowed_few(engine, clock):
    s = voting_setup(engine, "dots")
    token = s.tokens[0]
    submit_ballot(engine, token, s.round_id, {s.themes[0]: 1})
    accepted = refused = 0
    for n in range(869):
        clock.advance(25 / 869)
        try:
            submit_ballot(engine, token, s.round_id, {s.themes[n % 4]: 1 + n % 3})
            accepted += 1
        except Throttled as err:
            assert 1 <= err.params["seconds"] <= ballots.REPLACE_INTERVAL_S
            refused += 1
    allowed = ballots.REPLACE_BURST + int(25 // ballots.REPLACE_INTERVAL_S) + 1
    assert accepted <= allowed and accepted + refused == 869
    assert len(ballot_audit(engine, s.round_id)) == 1 + accepted


def test_paper_ballots_entered_by_the_facilitator_are_not_rate_limited(engine, clock):
    s = voting_setup(engine, "approval")
    pid = ops.register_paper_participant(engine, s.fac, "Pappers-Per", s.actors["business"]).id
    for n in range(ballots.REPLACE_BURST + 10):
        submit_paper_ballot(engine, s.fac, pid, s.round_id, alternate(s, n))
    assert len(ballot_audit(engine, s.round_id)) == ballots.REPLACE_BURST + 10


def test_a_first_ballot_is_never_rate_limited(engine, clock):
    s = make_setup(engine, SPECS["approval"], participants={"civil": 40}, themes=2, phase="voting")
    for token in s.tokens:
        submit_ballot(engine, token, s.round_id, [s.themes[0]])
    assert len(ballot_audit(engine, s.round_id)) == 40
