"""Ballot validation and submission. One ballot per participant per round; resubmitting replaces it whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from edp.db import write
from edp.errors import NotFound, PhaseError, ValidationError
from edp.models import Ballot, BallotEntry, Participant, Round, utcnow
from edp.security import new_pseudonym
from edp.workshop import _active_theme_ids, audit, bump, facilitator_workshop_id, participant_by_token

Row = tuple[int, int | None, int]  # theme_id, criterion_id, value


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("input.not_integer", field=field)
    return value


def _theme_ids(value: Any, *, ordered: bool) -> list[int]:
    # A ranking must come in an order the voter chose; a set has none.
    kinds = (Sequence,) if ordered else (Sequence, set, frozenset)
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, kinds):
        raise ValidationError("ballot.malformed", field="ballot")
    return [_int(t, "theme") for t in value]


def normalise(rnd: Round, active: set[int], choices: Any) -> list[Row]:
    """Check a ballot against the round's method and return its entry rows.

    dots: {theme_id: dots}; score: {theme_id: {criterion_id: score}};
    rank: [theme_id, ...] best first; approval: [theme_id, ...].
    """
    rows: list[Row] = []
    if rnd.method in ("dots", "score") and not isinstance(choices, Mapping):
        raise ValidationError("ballot.malformed", field="ballot")

    def check_theme(tid: int) -> None:
        if tid not in active:
            raise ValidationError("ballot.theme_not_in_round", field="theme", id=tid)

    if rnd.method == "dots":
        budget, cap = rnd.dots_per_participant or 0, rnd.max_dots_per_theme or 0
        total = 0
        for tid, dots in choices.items():
            tid, dots = _int(tid, "theme"), _int(dots, "dots")
            check_theme(tid)
            if dots < 0:
                raise ValidationError("input.out_of_range", field="dots", min=0, max=cap, value=dots)
            if dots > cap:
                raise ValidationError("ballot.dots_cap", field="dots", max=cap, value=dots)
            total += dots
            if dots:
                rows.append((tid, None, dots))
        if total > budget:
            raise ValidationError("ballot.dots_budget", field="dots", max=budget, value=total)
    elif rnd.method == "score":
        criteria = {c.id: c for c in rnd.criteria}
        for tid, scores in choices.items():
            tid = _int(tid, "theme")
            check_theme(tid)
            if not isinstance(scores, Mapping) or set(scores) != set(criteria):
                raise ValidationError("ballot.score_every_criterion", field="score", count=len(criteria))
            for cid, value in scores.items():
                c = criteria[cid]
                value = _int(value, "score")
                if not c.scale_min <= value <= c.scale_max:
                    raise ValidationError(
                        "input.out_of_range", field="score", min=c.scale_min, max=c.scale_max, value=value
                    )
                rows.append((tid, cid, value))
    elif rnd.method == "rank":
        order = _theme_ids(choices, ordered=True)
        limit = rnd.rank_count or 0
        if len(set(order)) != len(order):
            raise ValidationError("ballot.rank_duplicate", field="rank")
        if len(order) > limit:
            raise ValidationError("ballot.rank_too_many", field="rank", max=limit, value=len(order))
        for pos, tid in enumerate(order, start=1):
            check_theme(tid)
            rows.append((tid, None, pos))
    elif rnd.method == "approval":
        chosen = _theme_ids(choices, ordered=False)
        if len(set(chosen)) != len(chosen):
            raise ValidationError("ballot.approval_duplicate", field="approval")
        for tid in chosen:
            check_theme(tid)
            rows.append((tid, None, 1))
    if not rows:
        raise ValidationError("ballot.empty", field="ballot")
    return rows


def submit_ballot(engine: Engine, participant_token: str, round_id: int, choices: Any) -> Ballot:
    """Validate and store a ballot, replacing any earlier one by the same participant, atomically.

    The phase is checked after taking the workshop's write lock, in the same transaction as
    the insert: a ballot that races the close is either wholly counted or refused.
    """
    with write(engine) as s:
        return _submit(s, participant_by_token(s, participant_token), round_id, choices, "participant")


def submit_paper_ballot(engine: Engine, fac_token: str, participant_id: int, round_id: int, choices: Any) -> Ballot:
    """The facilitator enters a paper ballot for a participant; the audit log says so."""
    with write(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        p = s.get(Participant, participant_id) if isinstance(participant_id, int) else None
        if p is None or p.workshop_id != wid:
            raise NotFound("participant.not_found", field="participant", id=participant_id)
        return _submit(s, p, round_id, choices, "facilitator")


def _submit(s: Session, p: Participant, round_id: int, choices: Any, role: str) -> Ballot:
    rnd = s.get(Round, round_id)
    if rnd is None or rnd.workshop_id != p.workshop_id:
        raise NotFound("round.not_found", id=round_id)
    ws = bump(s, p.workshop_id)
    s.refresh(rnd)
    if not ws.is_open:
        raise PhaseError("workshop.closed")
    if rnd.phase != "voting":
        raise PhaseError("ballot.not_voting", phase=rnd.phase)
    rows = normalise(rnd, set(_active_theme_ids(s, rnd.id)), choices)
    ballot = _store(s, rnd.id, p.id, rows)
    # The role says who entered it: a paper ballot is logged with role "facilitator".
    detail: dict[str, Any] = {}
    if not ws.anonymous:
        detail = {"participant_id": p.id, "entries": [list(r) for r in rows]}
    kind = "ballot.replaced" if ballot.times_replaced else "ballot.submitted"
    audit(s, ws, kind, role, round_id=rnd.id, **detail)
    return ballot


def _store(s: Session, round_id: int, participant_id: int, rows: list[Row]) -> Ballot:
    ballot = s.scalar(select(Ballot).where(Ballot.round_id == round_id, Ballot.participant_id == participant_id))
    if ballot is None:
        ballot = Ballot(round_id=round_id, participant_id=participant_id, pseudonym=new_pseudonym(), times_replaced=0)
        s.add(ballot)
        s.flush()  # the unique constraint on (round, participant) is the final word
    else:
        s.execute(delete(BallotEntry).where(BallotEntry.ballot_id == ballot.id))
        ballot.times_replaced += 1
        ballot.submitted_at = utcnow()
    s.add_all(BallotEntry(ballot_id=ballot.id, theme_id=t, criterion_id=c, value=v) for t, c, v in rows)
    s.flush()
    return ballot


def my_ballot(s: Session, participant_id: int, round_id: int) -> list[Row]:
    """A participant's current ballot, as entry rows, so a form can show what was sent."""
    return [
        (e.theme_id, e.criterion_id, e.value)
        for e in s.scalars(
            select(BallotEntry)
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .where(Ballot.round_id == round_id, Ballot.participant_id == participant_id)
            .order_by(BallotEntry.id)
        )
    ]
