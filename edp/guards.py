"""A workshop's shared guards: its lock and revision, its audit trail, and who a token is.

Every workshop operation (edp.workshop) and every ballot (edp.voting.ballots) takes them, so they
live here, apart from both: neither package imports the other's operations.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, bindparam, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from edp import events
from edp.access import TOUCH_EVERY, console_workshop
from edp.errors import NotFound, PermissionDenied, PhaseError
from edp.models import AuditEvent, FacilitatorSession, Participant, Round, Workshop, table, utcnow
from edp.security import new_token, token_hash

log = logging.getLogger(__name__)


# PostgreSQL advisory locks, per workshop and per participant (two-key form: namespace, id).
# Every write to a workshop takes its lock exclusively, except ballots, which share it: ballots
# run side by side, and anything that changes what a ballot is checked against (a phase, the
# workshop's opening, the themes) waits until the ballots in flight have committed, and they for
# it. A participant's own ballots queue on their own lock, and a ballot bumps the workshop's
# revision only after it has committed (bump_after_ballot). (On SQLite one writer at a time anyway.)
WORKSHOP_LOCK, PARTICIPANT_LOCK = 0x45445001, 0x45445002
_LOCK_WORKSHOP = text("SELECT pg_advisory_xact_lock(:ns, :id)")
_LOCK_FOR_BALLOT = text("SELECT pg_advisory_xact_lock_shared(:ns, :id), pg_advisory_xact_lock(:pns, :pid)")


def _lock_workshop(conn: Connection, workshop_id: int) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_WORKSHOP, {"ns": WORKSHOP_LOCK, "id": workshop_id})


def bump(s: Session, workshop_id: int, scope: str = events.ROOM, participant_id: int | None = None) -> Workshop:
    """Lock the workshop for this transaction and bump its revision; returns it fresh.

    The new revision is announced to the live screens once the transaction commits (edp.events):
    `scope` and `participant_id` say whom it concerns (a proposal wakes the projector and its
    proposer, not every participant)."""
    _lock_workshop(s.connection(), workshop_id)
    res = s.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(revision=Workshop.revision + 1)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", res).rowcount == 0:  # an UPDATE's result is a CursorResult
        raise NotFound("workshop.not_found", id=workshop_id)
    ws = s.get(Workshop, workshop_id, populate_existing=True)
    assert ws is not None
    events.announce(s, events.Change(workshop_id, ws.revision, scope, participant_id))
    return ws


# Prebuilt Core statements for the hot helpers below (no ORM, no statement building per call).
_WORKSHOPS, _PARTICIPANTS, _ROUNDS = table(Workshop), table(Participant), table(Round)
_BUMP = (
    update(_WORKSHOPS)
    .where(_WORKSHOPS.c.id == bindparam("b_workshop"))
    .values(revision=_WORKSHOPS.c.revision + 1)
    .returning(_WORKSHOPS.c.revision)
)
# One statement, committed on its own (autocommit): the bump, its NOTIFY, and a commit that does
# not wait for the disk (set_config(..., true) holds for this statement's own transaction).
_BALLOT_BUMP_PG = text(
    "WITH b AS (UPDATE workshops SET revision = revision + 1 WHERE id = :b_workshop RETURNING revision) "
    "SELECT set_config('synchronous_commit', 'off', true), "
    f"pg_notify({events.PG_CHANNEL_SQL}, "
    "CAST(:b_before AS text) || CAST(b.revision AS text) || CAST(:b_after AS text)) FROM b"
)
_AUDIT = insert(table(AuditEvent))
_PARTICIPANT = select(_PARTICIPANTS.c.id, _PARTICIPANTS.c.workshop_id, _PARTICIPANTS.c.joined_at).where(
    _PARTICIPANTS.c.token_hash == bindparam("b_token_hash")
)
# Matched on the token's hash too: a card reissued since participant_ref() read the row has
# replaced it, and the old card must not arrive (nor vote) in the new card's name.
_ARRIVED = (
    update(_PARTICIPANTS)
    .where(_PARTICIPANTS.c.id == bindparam("b_participant"), _PARTICIPANTS.c.token_hash == bindparam("b_token_hash"))
    .values(joined_at=func.coalesce(_PARTICIPANTS.c.joined_at, bindparam("b_now")))
)


def ballot_gate(s: Session, workshop_id: int, participant_id: int) -> None:
    """First in a ballot's transaction, on PostgreSQL: the workshop's lock, shared with other
    ballots, and the participant's own. Whatever the ballot is checked against (the workshop's
    opening, the round's phase, its themes) is read after it, in one query (edp.voting.ballots). On
    SQLite the revision is bumped last in the same transaction (bump_last); on PostgreSQL after
    the commit (bump_after_ballot), so a ballot never locks the workshop's row."""
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        ids = {"ns": WORKSHOP_LOCK, "id": workshop_id, "pns": PARTICIPANT_LOCK, "pid": participant_id}
        conn.execute(_LOCK_FOR_BALLOT, ids)


def bump_last(s: Session, workshop_id: int, scope: str, participant_id: int | None = None) -> int:
    """The last statement of a ballot's transaction on SQLite: bump the revision and announce it.
    On PostgreSQL a ballot does not touch the workshop's row at all (see bump_after_ballot)."""
    if s.get_bind().dialect.name == "postgresql":
        return 0
    row = s.connection().execute(_BUMP, {"b_workshop": workshop_id}).first()
    if row is None:
        raise NotFound("workshop.not_found", id=workshop_id)
    events.announce(s, events.Change(workshop_id, row[0], scope, participant_id))
    return row[0]


def bump_after_ballot(engine: Engine, workshop_id: int, participant_id: int) -> None:
    """On PostgreSQL, after a ballot has committed: bump the workshop's revision and announce it,
    in one statement of its own that does not wait for the disk (synchronous_commit off).

    Bumping inside the ballot's transaction would lock the workshop's row until that commit had
    been flushed to disk, and every ballot of the room would queue on it (one flush after
    another). Here the row is locked for the bump alone, and ballots commit side by side. The
    ballot itself stays durable; what a crash of the database can cost is only this bump (and
    the revision may then step back by as much): the screens learn of the ballot with the next
    change, as after a lost NOTIFY, and never of a ballot that was not stored (the bump comes
    after the commit). A failing bump is logged, not raised: the ballot is stored, and the
    voter's page says so."""
    if engine.dialect.name != "postgresql":
        return
    before, after = events.Change.payload_around_revision(workshop_id, events.BALLOT, participant_id)
    params = {"b_workshop": workshop_id, "b_before": before, "b_after": after}
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(_BALLOT_BUMP_PG, params)
    except SQLAlchemyError:
        log.warning(
            "a stored ballot's revision bump failed; the screens learn of it with the next change", exc_info=True
        )


def audit(s: Session, ws: Workshop | None, kind: str, role: str, round_id: int | None = None, **detail) -> None:
    s.add(AuditEvent(workshop_id=ws.id if ws else None, round_id=round_id, kind=kind, role=role, detail=detail))


def audit_now(
    conn: Connection, workshop_id: int | None, kind: str, role: str, round_id: int | None = None, **detail
) -> None:
    """audit() as one Core INSERT, executed at once rather than at the next flush (for hot paths)."""
    conn.execute(
        _AUDIT, {"workshop_id": workshop_id, "round_id": round_id, "kind": kind, "role": role, "detail": detail}
    )


def facilitator_workshop_id(s: Session, token: str) -> int:
    """The workshop a console token may drive (a passcode session, or one an organiser opened
    while their session and role hold); records its use for the idle limit."""
    wid = console_workshop(s, token)
    if wid is None:
        raise PermissionDenied("auth.facilitator_required")
    if s.get_bind().get_execution_options().get("edp_readonly"):
        return wid  # a read (edp.db.read) never writes: SQLite would have to upgrade its snapshot
    s.execute(
        update(FacilitatorSession)
        .where(
            FacilitatorSession.token_hash == token_hash(token), FacilitatorSession.last_seen_at < utcnow() - TOUCH_EVERY
        )
        .values(last_seen_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return wid


def give_token(p: Participant) -> Participant:
    """A new personal token for p: only its hash is stored. The token itself rides on p.token, for
    the operation to hand to its caller once; after that nobody can read it from anywhere."""
    raw = new_token()
    p.token_hash = token_hash(raw)
    p.token = raw
    return p


def participant_by_token(s: Session, token: str) -> Participant:
    if not isinstance(token, str) or not token:
        raise PermissionDenied("auth.participant_unknown")
    p = s.scalar(select(Participant).where(Participant.token_hash == token_hash(token)))
    if p is None:
        raise PermissionDenied("auth.participant_unknown")
    if p.joined_at is None:  # a pre-registered participant acting for the first time has arrived
        p.joined_at = utcnow()
    return p


def participant_ref(conn: Connection, token: str) -> tuple[int, int, bool]:
    """participant_by_token() without loading the Participant object, for hot paths:
    (participant id, workshop id, arriving). Arriving means a pre-registered participant acting
    for the first time; the caller marks them with mark_arrived() once it holds the workshop lock."""
    if not isinstance(token, str) or not token:
        raise PermissionDenied("auth.participant_unknown")
    row = conn.execute(_PARTICIPANT, {"b_token_hash": token_hash(token)}).first()
    if row is None:
        raise PermissionDenied("auth.participant_unknown")
    return row[0], row[1], row[2] is None


# A participant's ballot on PostgreSQL: who they are, and both of ballot_gate's locks, in one round trip.
_PARTICIPANT_LOCKED = text(
    "SELECT p.id, p.workshop_id, p.joined_at, pg_advisory_xact_lock_shared(:ns, p.workshop_id), "
    "pg_advisory_xact_lock(:pns, p.id) FROM participants p WHERE p.token_hash = :b_token_hash"
)


def ballot_ref(conn: Connection, token: str) -> tuple[int, int, bool, bool]:
    """participant_ref() for a ballot: (participant id, workshop id, arriving, locked). On
    PostgreSQL it takes ballot_gate's locks in the same statement (locked is then True): a
    ballot is some ten round trips, and each costs a room voting at once."""
    if conn.dialect.name != "postgresql":
        return (*participant_ref(conn, token), False)
    if not isinstance(token, str) or not token:
        raise PermissionDenied("auth.participant_unknown")
    params = {"ns": WORKSHOP_LOCK, "pns": PARTICIPANT_LOCK, "b_token_hash": token_hash(token)}
    row = conn.execute(_PARTICIPANT_LOCKED, params).first()
    if row is None:
        raise PermissionDenied("auth.participant_unknown")
    return row[0], row[1], row[2] is None, True


def mark_arrived(conn: Connection, participant_id: int, token: str) -> None:
    """Under the workshop lock: the participant has arrived, if `token` is still theirs."""
    done = conn.execute(
        _ARRIVED, {"b_participant": participant_id, "b_token_hash": token_hash(token), "b_now": utcnow()}
    )
    if cast("CursorResult[Any]", done).rowcount == 0:  # an UPDATE's result is a CursorResult
        raise PermissionDenied("auth.participant_unknown")


def require_open(ws: Workshop) -> None:
    if not ws.is_open:
        raise PhaseError("workshop.closed")
