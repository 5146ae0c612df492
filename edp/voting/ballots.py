"""Ballot validation and submission. One ballot per participant per round; resubmitting replaces it whole."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, case, delete, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from edp import events
from edp.db import write
from edp.errors import NotFound, PermissionDenied, PhaseError, Throttled, ValidationError
from edp.guards import (
    audit_now,
    ballot_gate,
    ballot_ref,
    bump_after_ballot,
    bump_last,
    facilitator_workshop_id,
    mark_arrived,
)
from edp.models import Ballot, BallotEntry, Criterion, Participant, Round, RoundTheme, Theme, Workshop, table, utcnow
from edp.security import new_pseudonym
from edp.voting import base as voting  # the registry, from its sibling module (never the package)
from edp.voting.merges import active_theme_ids_of

Row = tuple[int, int | None, int]  # theme_id, criterion_id, value

# The rate limit on replacing a ballot: REPLACE_BURST replacements at any speed, then one every
# REPLACE_INTERVAL_S; time without replacements earns the burst back. A person who changes their
# mind sends a ballot every few seconds at most and rarely twenty times in a row, so they are
# never refused; a script (869 replacements in 25 s, each with an audit row) gets about one in
# 3 s. It is a generic cell rate algorithm kept in one column (Ballot.replaceable_at), updated
# by the same statement that replaces the ballot: the limit costs the vote path no query.
# Paper ballots, entered by the facilitator, are not limited.
REPLACE_BURST = 20
REPLACE_INTERVAL_S = 3.0
_REPLACE_WINDOW_S = (REPLACE_BURST - 1) * REPLACE_INTERVAL_S


def normalise(rnd: Round | RoundRules, active: set[int], choices: Any) -> list[Row]:
    """Check a ballot against the round's method (edp.voting) and return its entry rows.

    dots: {theme_id: dots}; score: {theme_id: {criterion_id: score}};
    rank: [theme_id, ...] best first; approval: [theme_id, ...].
    """

    def check_theme(tid: int) -> None:
        if tid not in active:
            raise ValidationError("ballot.theme_not_in_round", field="theme", id=tid)

    rows = voting.method(rnd.method).normalise(rnd, check_theme, choices)
    if not rows:
        raise ValidationError("ballot.empty", field="ballot")
    return rows


def submit_ballot(engine: Engine, participant_token: str, round_id: int, choices: Any) -> Ballot:
    """Validate and store a ballot, replacing any earlier one by the same participant, atomically.

    The phase is checked after taking the workshop's write lock, in the same transaction as
    the insert: a ballot that races the close is either wholly counted or refused.
    Returns the stored Ballot, detached, with its entries as stored.
    """
    with write(engine) as s:
        pid, wid, arriving, locked = ballot_ref(s.connection(), participant_token)
        ballot = _submit(
            s,
            pid,
            wid,
            round_id,
            choices,
            "participant",
            arriving=participant_token if arriving else None,
            locked=locked,
        )
    bump_after_ballot(engine, wid, pid)
    return ballot


def submit_paper_ballot(engine: Engine, fac_token: str, participant_id: int, round_id: int, choices: Any) -> Ballot:
    """The facilitator enters a paper ballot for a participant; the audit log says so.

    In an anonymous workshop only for a participant the facilitator enrolled on paper: anyone
    else's ballot is theirs alone, and the facilitator may neither read nor replace it."""
    with write(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        p = s.get(Participant, participant_id) if isinstance(participant_id, int) else None
        if p is None or p.workshop_id != wid:
            raise NotFound("participant.not_found", field="participant", id=participant_id)
        if not p.on_paper and s.scalar(select(Workshop.anonymous).where(Workshop.id == wid)):
            raise PermissionDenied("ballot.paper_participants_only", field="participant", name=p.display_name)
        ballot = _submit(s, p.id, wid, round_id, choices, "facilitator")
    bump_after_ballot(engine, wid, p.id)
    return ballot


class RoundRules(NamedTuple):
    """What normalise() needs to know about a round (a Round has the same attributes)."""

    method: str
    dots_per_participant: int | None
    max_dots_per_theme: int | None
    rank_count: int | None
    criteria: Sequence[Any]  # each with id, scale_min, scale_max
    settings: Mapping[str, Any] = MappingProxyType({})  # the method's own (edp.voting)


# Prebuilt Core statements: submitting runs no ORM flush and builds no statement per call.
_R, _C, _B, _E = table(Round), table(Criterion), table(Ballot), table(BallotEntry)
_T, _RT, _W = table(Theme), table(RoundTheme), table(Workshop)
# The round's rules and phase and its workshop's flags, one row per theme of its workshop with
# the theme's place on this round's ballot (NULL when not on it): everything a ballot is checked
# against, in one query.
_ROUND_AND_THEMES = (
    select(
        _R.c.workshop_id,
        _W.c.is_open,
        _W.c.anonymous,
        _R.c.phase,
        _R.c.method,
        _R.c.dots_per_participant,
        _R.c.max_dots_per_theme,
        _R.c.rank_count,
        _R.c.settings,
        _T.c.id,
        _T.c.status,
        _T.c.merged_into_id,
        _RT.c.position,
    )
    .select_from(_R)
    .join(_W, _W.c.id == _R.c.workshop_id)
    .outerjoin(_T, _T.c.workshop_id == _R.c.workshop_id)
    .outerjoin(_RT, (_RT.c.theme_id == _T.c.id) & (_RT.c.round_id == _R.c.id))
    .where(_R.c.id == bindparam("b_round"))
)
_CRITERIA = (
    select(_C.c.id, _C.c.scale_min, _C.c.scale_max).where(_C.c.round_id == bindparam("b_round")).order_by(_C.c.position)
)
# replaceable_at moves on by one interval from itself, or from b_floor (now minus the window)
# when it lags further behind: idle time earns back at most the burst.
_REPLACE = (
    update(_B)
    .where(_B.c.round_id == bindparam("b_round"), _B.c.participant_id == bindparam("b_participant"))
    .values(
        times_replaced=_B.c.times_replaced + 1,
        submitted_at=bindparam("b_now"),
        replaceable_at=case(
            (_B.c.replaceable_at > bindparam("b_floor"), _B.c.replaceable_at), else_=bindparam("b_floor")
        )
        + REPLACE_INTERVAL_S,
    )
    .returning(_B.c.id, _B.c.pseudonym, _B.c.times_replaced, _B.c.replaceable_at)
)
_NEW = insert(_B).returning(_B.c.id)
_CLEAR = delete(_E).where(_E.c.ballot_id == bindparam("b_ballot"))
_ENTRIES = insert(_E)


def _submit(
    s: Session,
    pid: int,
    wid: int,
    round_id: int,
    choices: Any,
    role: str,
    *,
    arriving: str | None = None,
    locked: bool = False,
) -> Ballot:
    """arriving: the token of a pre-registered participant acting for the first time; locked:
    ballot_gate's locks are held already (ballot_ref took them)."""
    # Everything from here on runs under the workshop's lock, shared with other ballots (ballot_gate).
    if not locked:
        ballot_gate(s, wid, pid)
    conn = s.connection()
    found = conn.execute(_ROUND_AND_THEMES, {"b_round": round_id}).all()
    rnd = found[0] if found else None
    if rnd is None or rnd.workshop_id != wid:
        raise NotFound("round.not_found", id=round_id)
    is_open, anonymous = bool(rnd.is_open), bool(rnd.anonymous)
    if arriving is not None:  # a pre-registered participant acting for the first time has arrived
        mark_arrived(conn, pid, arriving)
    if not is_open:
        raise PhaseError("workshop.closed")
    if rnd.phase != "voting":
        raise PhaseError("ballot.not_voting", phase=rnd.phase)
    method = voting.REGISTRY.get(rnd.method)
    criteria = conn.execute(_CRITERIA, {"b_round": round_id}).all() if method and method.uses_criteria else []
    rules = RoundRules(
        rnd.method, rnd.dots_per_participant, rnd.max_dots_per_theme, rnd.rank_count, criteria, rnd.settings or {}
    )
    themes = [(r.id, r.status, r.merged_into_id, r.position) for r in found if r.id is not None]
    rows = normalise(rules, set(active_theme_ids_of(themes)), choices)
    ballot = _store(conn, round_id, pid, rows, limited=role == "participant")
    # The role says who entered it: a paper ballot is logged with role "facilitator".
    detail: dict[str, Any] = {}
    if not anonymous:
        detail = {"participant_id": pid, "entries": [list(row) for row in rows]}
    kind = "ballot.replaced" if ballot.times_replaced else "ballot.submitted"
    audit_now(conn, wid, kind, role, round_id=round_id, **detail)
    bump_last(s, wid, events.BALLOT, pid)
    return ballot


def _store(conn: Connection, round_id: int, participant_id: int, rows: list[Row], *, limited: bool) -> Ballot:
    """Insert the ballot, or replace an earlier one whole (same row, new entries).

    `limited`: refuse a replacement over the rate limit with Throttled; the caller's transaction
    then rolls back, so the refused ballot leaves nothing behind, not even an audit row."""
    now = utcnow()
    seconds = now.timestamp()
    params = {
        "b_round": round_id,
        "b_participant": participant_id,
        "b_now": now,
        "b_floor": seconds - _REPLACE_WINDOW_S,
    }
    replaced = conn.execute(_REPLACE, params).first()
    if replaced is not None and limited:
        # It was due at replaceable_at before this update, one interval earlier than now stored.
        wait = replaced[3] - REPLACE_INTERVAL_S - seconds
        if wait > 0:
            raise Throttled("ballot.replaced_too_often", seconds=max(1, math.ceil(wait)))
    if replaced is None:
        # The unique constraint on (round, participant) is the final word.
        pseudonym, times_replaced = new_pseudonym(), 0
        ballot_id = conn.execute(
            _NEW,
            {
                "round_id": round_id,
                "participant_id": participant_id,
                "pseudonym": pseudonym,
                "submitted_at": now,
                "times_replaced": 0,
                "replaceable_at": params["b_floor"],  # the whole burst is still to come
            },
        ).scalar_one()
    else:
        ballot_id, pseudonym, times_replaced, _ = replaced
        conn.execute(_CLEAR, {"b_ballot": ballot_id})
    conn.execute(_ENTRIES, [{"ballot_id": ballot_id, "theme_id": t, "criterion_id": c, "value": v} for t, c, v in rows])
    ballot = Ballot(
        id=ballot_id,
        round_id=round_id,
        participant_id=participant_id,
        pseudonym=pseudonym,
        submitted_at=now,
        times_replaced=times_replaced,
    )
    make_transient_to_detached(ballot)  # as if loaded by the session that has just closed
    # Its entries as stored, in their order (my_ballot's): the voter's page shows them without reading them back.
    entries = [BallotEntry(ballot_id=ballot_id, theme_id=t, criterion_id=c, value=v) for t, c, v in rows]
    set_committed_value(ballot, "entries", entries)
    return ballot


def my_ballot(s: Session, participant_id: int, round_id: int) -> list[Row]:
    """A participant's current ballot, as entry rows, so a form can show what was sent.
    Columns, not ORM objects: the participant's page reads it on every run."""
    return [
        (theme_id, criterion_id, value)
        for theme_id, criterion_id, value in s.execute(
            select(BallotEntry.theme_id, BallotEntry.criterion_id, BallotEntry.value)
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .where(Ballot.round_id == round_id, Ballot.participant_id == participant_id)
            .order_by(BallotEntry.id)
        )
    ]
