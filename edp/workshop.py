"""Workshop operations: set-up, joining, phases, proposals, merge/unmerge, advance, priorities.

Every public function is one transaction: it does everything or nothing, and raises a typed
edp.errors error on misuse. Every write to a workshop first bumps its revision, which also
serialises writes within one workshop (a row lock on PostgreSQL, the write lock on SQLite),
so phase checks and the writes they guard can never interleave with a close.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from edp import events, throttle, validate, voting
from edp.access import TOUCH_EVERY, Credential, Principal, acting, console_workshop, require_admin, require_lead
from edp.db import read, write
from edp.errors import Conflict, NotFound, PermissionDenied, PhaseError, ValidationError
from edp.merges import active_theme_ids
from edp.models import (
    HELIX_GROUPS,
    Actor,
    AuditEvent,
    FacilitatorSession,
    Participant,
    Priority,
    Process,
    RoleGrant,
    Round,
    RoundTheme,
    StrengthArea,
    Theme,
    User,
    Workshop,
    utcnow,
)
from edp.names import NameIndex, first_difference
from edp.security import (
    JOIN_CODE_MAX,
    hash_passcode,
    is_typed_code,
    new_join_code,
    new_token,
    token_hash,
    typed_join_code,
    verify_passcode,
)
from edp.tally import load_round_results
from edp.throttle import Client

log = logging.getLogger(__name__)

# Legal phase changes. A carried-forward shortlist skips proposing (draft -> reviewing);
# reviewing -> proposing reopens proposals; a closed round stays closed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("proposing", "reviewing"),
    "proposing": ("reviewing",),
    "reviewing": ("proposing", "voting"),
    "voting": ("closed",),
    "closed": (),
}

TITLE_MAX = 120
DESCRIPTION_MAX = validate.DESCRIPTION_MAX
PARTNERS_MAX = 500
NEXT_STEPS_MAX = 1000
DISPLAY_NAME_MAX = 60
PASSCODE_MIN = 8
PASSCODE_MAX = 200
# Themes one participant may propose per round (RoundSpec.proposals_per_participant). An EDP
# round asks each organisation for its few most important ideas; a larger cap mostly lets one
# person (or a script) flood the facilitator's queue.
PROPOSALS_PER_PARTICIPANT_DEFAULT = 5
PROPOSALS_PER_PARTICIPANT_MAX = 20
PRIORITIES_MAX = 20


# ---------------------------------------------------------------- shared pieces


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
    if res.rowcount == 0:
        raise NotFound("workshop.not_found", id=workshop_id)
    ws = s.get(Workshop, workshop_id, populate_existing=True)
    assert ws is not None
    events.announce(s, events.Change(workshop_id, ws.revision, scope, participant_id))
    return ws


# Prebuilt Core statements for the hot helpers below (no ORM, no statement building per call).
_WORKSHOPS, _PARTICIPANTS, _ROUNDS = Workshop.__table__, Participant.__table__, Round.__table__
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
    "pg_notify(:b_channel, CAST(:b_before AS text) || CAST(b.revision AS text) || CAST(:b_after AS text)) FROM b"
)
_AUDIT = insert(AuditEvent.__table__)
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
    opening, the round's phase, its themes) is read after it, in one query (edp.ballots). On
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
    params = {"b_workshop": workshop_id, "b_channel": events.PG_CHANNEL, "b_before": before, "b_after": after}
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
    if done.rowcount == 0:
        raise PermissionDenied("auth.participant_unknown")


def claim_registration(engine: Engine, participant_token: str) -> Participant:
    """Mark a pre-registered participant as arrived (first scan of their card); idempotent."""
    with write(engine) as s:
        if not isinstance(participant_token, str) or not participant_token:
            raise PermissionDenied("auth.participant_unknown")
        p = s.scalar(select(Participant).where(Participant.token_hash == token_hash(participant_token)))
        if p is None:
            raise PermissionDenied("auth.participant_unknown")
        if p.joined_at is None:
            ws = bump(s, p.workshop_id, events.JOIN, p.id)
            s.refresh(p)  # under the lock: a reprint of the card may have replaced this token meanwhile
            if p.token_hash != token_hash(participant_token):
                raise PermissionDenied("auth.participant_unknown")
            if p.joined_at is None:
                p.joined_at = utcnow()
                audit(s, ws, "participant.arrived", "participant", helix=p.helix)
        return p


def _round_for_facilitator(s: Session, token: str, round_id: int) -> tuple[Workshop, Round]:
    wid = facilitator_workshop_id(s, token)
    rnd = s.get(Round, round_id)
    if rnd is None or rnd.workshop_id != wid:
        raise NotFound("round.not_found", id=round_id)
    ws = bump(s, wid)
    s.refresh(rnd)
    return ws, rnd


def _theme_for_facilitator(s: Session, token: str, theme_id: int) -> tuple[Workshop, Theme]:
    wid = facilitator_workshop_id(s, token)
    theme = s.get(Theme, theme_id)
    if theme is None or theme.workshop_id != wid:
        raise NotFound("theme.not_found", id=theme_id)
    ws = bump(s, wid)
    s.refresh(theme)
    return ws, theme


def require_open(ws: Workshop) -> None:
    if not ws.is_open:
        raise PhaseError("workshop.closed")


def _rounds_of_theme(s: Session, theme_id: int) -> list[Round]:
    return list(
        s.scalars(
            select(Round).join(RoundTheme, RoundTheme.round_id == Round.id).where(RoundTheme.theme_id == theme_id)
        )
    )


def refuse_while_voting(s: Session, *theme_ids: int) -> None:
    for tid in theme_ids:
        for rnd in _rounds_of_theme(s, tid):
            if rnd.phase == "voting":
                raise PhaseError("theme.locked_while_voting", round=rnd.seq)


# ---------------------------------------------------------------- set-up


def _process_values(
    title: str, description: str, financier: str, period_start: int | None, period_end: int | None
) -> dict[str, Any]:
    """A process's own fields, checked (create_process and update_process alike)."""
    values = {
        "title": validate.text(title, "title", min_len=1, max_len=200, multiline=False),
        "description": validate.text(description, "description", max_len=DESCRIPTION_MAX),
        "financier": validate.text(financier, "financier", max_len=200, multiline=False),
        "period_start": validate.year(period_start, "period_start"),
        "period_end": validate.year(period_end, "period_end"),
    }
    if values["period_start"] and values["period_end"] and values["period_start"] > values["period_end"]:
        raise ValidationError("process.period_reversed", field="period_end", start=values["period_start"])
    return values


def _strength_areas(s: Session, codes: Sequence[str]) -> list[StrengthArea]:
    """The strength areas by their codes (any letter case); NotFound naming the first unknown code."""
    areas = []
    for code in codes:
        area = s.scalar(select(StrengthArea).where(StrengthArea.code == str(code).upper()))
        if area is None:
            raise NotFound("strength_area.not_found", field="strength_areas", code=code)
        areas.append(area)
    return areas


def create_process(
    engine: Engine,
    who: Credential,
    title: str,
    *,
    description: str = "",
    financier: str = "",
    period_start: int | None = None,
    period_end: int | None = None,
    strength_area_codes: Sequence[str] = (),
    leader_user_id: int | None = None,
) -> Process:
    """A new process (instance admin only), optionally with its process leader."""
    with write(engine) as s:
        p = acting(s, who)
        require_admin(p)
        values = _process_values(title, description, financier, period_start, period_end)
        proc = Process(**values, strength_areas=_strength_areas(s, strength_area_codes))
        s.add(proc)
        s.flush()
        if leader_user_id is not None:
            if s.get(User, leader_user_id) is None:
                raise NotFound("user.not_found", field="leader", id=leader_user_id)
            s.add(RoleGrant(user_id=leader_user_id, role="process_leader", process_id=proc.id))
        audit(s, None, "process.created", p.audit_role, process_id=proc.id)
        return proc


def update_process(
    engine: Engine,
    who: Credential,
    process_id: int,
    *,
    title: str,
    description: str = "",
    financier: str = "",
    period_start: int | None = None,
    period_end: int | None = None,
    strength_area_codes: Sequence[str] = (),
) -> int:
    """Change a process's description (its leader, or an admin); returns its id."""
    with write(engine) as s:
        p = acting(s, who)
        proc = s.get(Process, process_id) if isinstance(process_id, int) else None
        if proc is None:
            raise NotFound("process.not_found", id=process_id)
        require_lead(p, proc.id)
        values = _process_values(title, description, financier, period_start, period_end)
        areas = _strength_areas(s, strength_area_codes)
        for name, value in values.items():
            setattr(proc, name, value)
        proc.strength_areas = areas
        audit(s, None, "process.updated", p.audit_role, process_id=proc.id)
        return proc.id


def led_process(s: Session, who: Credential, process_id: int) -> tuple[Principal, Process]:
    """The acting principal and the process it leads (NotFound, then role_required)."""
    p = acting(s, who)
    proc = s.get(Process, process_id) if isinstance(process_id, int) else None
    if proc is None:
        raise NotFound("process.not_found", field="process", id=process_id)
    require_lead(p, proc.id)
    return p, proc


def add_actor(
    engine: Engine, who: Credential, process_id: int, name: str, helix: str, municipality: str | None = None
) -> Actor:
    """Add an organisation to a process's actor list (its process leader, or an admin)."""
    with write(engine) as s:
        p, proc = led_process(s, who, process_id)
        actor = insert_actor(s, proc.id, name, helix, municipality)
        audit(s, None, "actor.added", p.audit_role, process_id=proc.id, actor_id=actor.id)
        return actor


def actor_names(s: Session, process_id: int, *, except_id: int | None = None) -> NameIndex[Actor]:
    """The process's actors by name (edp.names). Compared in Python: SQLite's lower() folds ASCII
    only, and no database knows confusables. Actor lists are small."""
    actors = s.scalars(select(Actor).where(Actor.process_id == process_id).order_by(Actor.id))
    return NameIndex((a.name, a) for a in actors if a.id != except_id)


def actor_named(s: Session, process_id: int, name: str) -> Actor | None:
    """The process's actor with this name, in any case, width or compatibility form ("Åre" = "åre")."""
    found = actor_names(s, process_id).same(name)
    return found[1] if found else None


def refuse_taken_actor_name(names: NameIndex[Any], name: str) -> None:
    """Refuse a new actor name that is, or looks like, one of `names`; the message names that one."""
    if same := names.same(name):
        raise Conflict("actor.duplicate", field="actor_name", name=same[0])
    if alike := names.lookalike(name):
        position, char = first_difference(name, alike[0])
        raise Conflict(
            "actor.lookalike", field="actor_name", name=name, existing=alike[0], position=position, char=char
        )


def insert_actor(s: Session, process_id: int, name: str, helix: str, municipality: str | None) -> Actor:
    if s.get(Process, process_id) is None:
        raise NotFound("process.not_found", id=process_id)
    name = validate.text(name, "actor_name", min_len=1, max_len=200, multiline=False)
    helix = validate.choice(helix, "helix", HELIX_GROUPS)
    municipality = validate.text(municipality, "municipality", max_len=100, multiline=False) or None
    refuse_taken_actor_name(actor_names(s, process_id), name)
    actor = Actor(process_id=process_id, name=name, helix=helix, municipality=municipality)
    s.add(actor)
    s.flush()
    return actor


def update_actor(
    engine: Engine, who: Credential, actor_id: int, *, name: str, helix: str, municipality: str | None = None
) -> Actor:
    """Rename or regroup an actor (its process's leader, or an admin). Participants keep the helix
    they joined with (a snapshot), so past ballots are not re-counted."""
    with write(engine) as s:
        p = acting(s, who)
        actor = s.get(Actor, actor_id) if isinstance(actor_id, int) else None
        if actor is None:
            raise NotFound("actor.not_found", field="actor", id=actor_id)
        require_lead(p, actor.process_id)
        clean = validate.text(name, "actor_name", min_len=1, max_len=200, multiline=False)
        refuse_taken_actor_name(actor_names(s, actor.process_id, except_id=actor.id), clean)
        actor.name = clean
        actor.helix = validate.choice(helix, "helix", HELIX_GROUPS)
        actor.municipality = validate.text(municipality, "municipality", max_len=100, multiline=False) or None
        audit(s, None, "actor.updated", p.audit_role, process_id=actor.process_id, actor_id=actor.id)
        return actor


def check_passcode(passcode: object) -> str:
    """A workshop passcode: 8 characters or more and not easy to guess."""
    from edp.accounts import PASSCODE_SCORE, check_secret

    return check_secret(passcode, "passcode", min_len=PASSCODE_MIN, score=PASSCODE_SCORE)


def create_workshop(
    engine: Engine,
    who: Credential,
    process_id: int,
    title: str,
    passcode: str | None = None,
    *,
    date: dt.date | str | None = None,
    venue: str = "",
    anonymous: bool = True,
    join_code: str | None = None,
    allow_new_actors: bool = True,
    allow_unregistered: bool = True,
) -> Workshop:
    """A new workshop in a process (its process leader, or an admin). The passcode is optional: it
    lets a co-facilitator open this workshop's console, and nothing else."""
    with write(engine) as s:
        p, proc = led_process(s, who, process_id)
        passcode_hash = hash_passcode(check_passcode(passcode)) if passcode not in (None, "") else ""
        if join_code is not None:
            join_code = validate.join_code(join_code)
            if _open_workshop_by_code(s, join_code) is not None:
                raise Conflict("workshop.join_code_taken", field="join_code", code=join_code)
        else:
            join_code = new_join_code()
            while _open_workshop_by_code(s, join_code) is not None:
                join_code = new_join_code()
        ws = Workshop(
            process_id=proc.id,
            title=validate.text(title, "title", min_len=1, max_len=200, multiline=False),
            date=validate.date(date, "date"),
            venue=validate.text(venue, "venue", max_len=200, multiline=False),
            join_code=join_code,
            passcode_hash=passcode_hash,
            is_open=True,
            anonymous=bool(anonymous),
            allow_new_actors=bool(allow_new_actors),
            allow_unregistered=bool(allow_unregistered),
        )
        s.add(ws)
        try:
            s.flush()
        except IntegrityError as exc:  # a concurrent creator took the same code
            raise Conflict("workshop.join_code_taken", field="join_code", code=join_code) from exc
        audit(s, ws, "workshop.created", p.audit_role, anonymous=ws.anonymous)
        return ws


def _open_workshop_by_code(s: Session, code: str) -> Workshop | None:
    return s.scalar(select(Workshop).where(Workshop.join_code == code, Workshop.is_open.is_(True)))


def login_facilitator(engine: Engine, workshop_id: int, passcode: str, *, client: throttle.Client | None = None) -> str:
    """Check the workshop's passcode; returns a console token for this workshop only.

    Wrong passcodes are counted per browser session and per workshop (edp.throttle.PASSCODES) and
    logged; past either limit, sign-ins are refused until the window has passed, even with the right
    passcode. The organisers themselves open consoles through their accounts, which no passcode
    throttle touches, so a visitor guessing in the room never locks them out.
    """
    scope = f"passcode:{workshop_id}"
    with write(engine) as s:
        # Locked, so concurrent guesses are counted one after another (SQLite's write lock does it there).
        ws = s.get(Workshop, workshop_id, with_for_update=True) if isinstance(workshop_id, int) else None
        if ws is None:
            raise NotFound("workshop.not_found", id=workshop_id)
        throttle.refuse_failed_sign_ins(s, "wrong_passcode", scope, client, throttle.PASSCODES)
        if ws.passcode_hash and isinstance(passcode, str) and verify_passcode(passcode, ws.passcode_hash):
            token = new_token()
            s.add(FacilitatorSession(workshop_id=ws.id, token_hash=token_hash(token)))
            audit(s, ws, "auth.login", "facilitator")
            return token
        # Counted in this transaction, which commits; the refusal is raised after it.
        throttle.record_failed_sign_in(s, "wrong_passcode", scope, client)
        audit(s, ws, "auth.failed", "facilitator")
    raise PermissionDenied("auth.wrong_passcode", field="passcode")


def logout_facilitator(engine: Engine, fac_token: str) -> None:
    """End a console session: the token stops working everywhere."""
    with write(engine) as s:
        s.execute(delete(FacilitatorSession).where(FacilitatorSession.token_hash == token_hash(fac_token or "")))


def set_workshop_passcode(engine: Engine, fac_token: str, passcode: str | None) -> None:
    """Change the workshop's passcode (or remove it: None or ""). Every console opened with the old
    passcode ends, in every browser, except the one making the change."""
    with write(engine) as s:
        ws = bump(s, facilitator_workshop_id(s, fac_token))
        ws.passcode_hash = hash_passcode(check_passcode(passcode)) if passcode not in (None, "") else ""
        s.execute(
            delete(FacilitatorSession).where(
                FacilitatorSession.workshop_id == ws.id,
                FacilitatorSession.user_session_id.is_(None),
                FacilitatorSession.token_hash != token_hash(fac_token),
            )
        )
        audit(s, ws, "workshop.passcode_changed", "facilitator", removed=not ws.passcode_hash)


def set_workshop_options(
    engine: Engine,
    fac_token: str,
    *,
    allow_new_actors: bool | None = None,
    allow_unregistered: bool | None = None,
    show_join_code: bool | None = None,
) -> Workshop:
    """show_join_code: list the join code on the public home page while the workshop is open."""
    with write(engine) as s:
        ws = bump(s, facilitator_workshop_id(s, fac_token))
        if allow_new_actors is not None:
            ws.allow_new_actors = bool(allow_new_actors)
        if allow_unregistered is not None:
            ws.allow_unregistered = bool(allow_unregistered)
        if show_join_code is not None:
            ws.show_join_code = bool(show_join_code)
        audit(
            s, ws, "workshop.options", "facilitator",
            allow_new_actors=ws.allow_new_actors, allow_unregistered=ws.allow_unregistered,
            show_join_code=ws.show_join_code,
        )  # fmt: skip
        return ws


def set_workshop_open(engine: Engine, fac_token: str, is_open: bool) -> Workshop:
    with write(engine) as s:
        ws = bump(s, facilitator_workshop_id(s, fac_token))
        if is_open and not ws.is_open and _open_workshop_by_code(s, ws.join_code) is not None:
            raise Conflict("workshop.join_code_taken", field="join_code", code=ws.join_code)
        ws.is_open = bool(is_open)
        audit(s, ws, "workshop.opened" if is_open else "workshop.closed", "facilitator")
        return ws


# ---------------------------------------------------------------- rounds


@dataclass(frozen=True)
class CriterionSpec:
    name_sv: str
    name_en: str
    weight: float = 1.0
    scale_min: int = 1
    scale_max: int = 5
    description: str = ""


@dataclass(frozen=True)
class RoundSpec:
    method: str
    prompt: str = ""
    dots_per_participant: int | None = None
    max_dots_per_theme: int | None = None
    rank_count: int | None = None
    criteria: Sequence[CriterionSpec] = field(default_factory=tuple)
    proposals_per_participant: int = PROPOSALS_PER_PARTICIPANT_DEFAULT
    settings: Mapping[str, Any] = field(default_factory=dict)  # a method's own (edp.voting), checked by it


def _build_round(s: Session, ws: Workshop, spec: RoundSpec, origin_round_id: int | None = None) -> Round:
    method = validate.choice(spec.method, "method", voting.names())
    seq = (s.scalar(select(func.max(Round.seq)).where(Round.workshop_id == ws.id)) or 0) + 1
    rnd = Round(
        workshop_id=ws.id,
        seq=seq,
        method=method,
        prompt=validate.text(spec.prompt, "prompt", max_len=DESCRIPTION_MAX),
        phase="draft",
        origin_round_id=origin_round_id,
        proposals_per_participant=validate.integer(
            spec.proposals_per_participant, "proposals_per_participant", lo=1, hi=PROPOSALS_PER_PARTICIPANT_MAX
        ),
    )
    voting.method(method).configure(rnd, spec)
    s.add(rnd)
    s.flush()
    rnd.criteria  # noqa: B018 - loaded now, so the detached Round returned to callers carries them
    return rnd


def add_round(engine: Engine, fac_token: str, spec: RoundSpec) -> Round:
    with write(engine) as s:
        ws = bump(s, facilitator_workshop_id(s, fac_token))
        require_open(ws)
        rnd = _build_round(s, ws, spec)
        audit(s, ws, "round.created", "facilitator", round_id=rnd.id, method=rnd.method)
        return rnd


def set_phase(engine: Engine, fac_token: str, round_id: int, phase: str) -> Round:
    with write(engine) as s:
        ws, rnd = _round_for_facilitator(s, fac_token, round_id)
        require_open(ws)
        if phase not in TRANSITIONS.get(rnd.phase, ()):
            raise PhaseError("round.illegal_transition", field="phase", current=rnd.phase, requested=phase)
        if phase == "voting":
            if not active_theme_ids(s, rnd.id):
                raise PhaseError("round.no_themes")
            other = s.scalar(
                select(Round.seq).where(Round.workshop_id == ws.id, Round.phase == "voting", Round.id != rnd.id)
            )
            if other is not None:
                raise PhaseError("round.other_voting", round=other)
        before = rnd.phase
        rnd.phase = phase
        if phase != "closed":
            rnd.revealed = False
        audit(s, ws, "round.phase", "facilitator", round_id=rnd.id, before=before, after=phase)
        return rnd


def close_round(engine: Engine, fac_token: str, round_id: int) -> Round:
    return set_phase(engine, fac_token, round_id, "closed")


def reveal_results(engine: Engine, fac_token: str, round_id: int, revealed: bool = True) -> Round:
    with write(engine) as s:
        ws, rnd = _round_for_facilitator(s, fac_token, round_id)
        if revealed and rnd.phase != "closed":
            raise PhaseError("round.reveal_before_close")
        rnd.revealed = bool(revealed)
        audit(s, ws, "round.revealed" if revealed else "round.hidden", "facilitator", round_id=rnd.id)
        return rnd


def set_live_results(engine: Engine, fac_token: str, round_id: int, live: bool) -> Round:
    """Let the room see results while voting (off by default: seeing them invites herding)."""
    with write(engine) as s:
        ws, rnd = _round_for_facilitator(s, fac_token, round_id)
        rnd.live_results = bool(live)
        audit(s, ws, "round.live_results", "facilitator", round_id=rnd.id, live=rnd.live_results)
        return rnd


# ---------------------------------------------------------------- joining


def _typed_code(join_code: object) -> str:
    """A typed code, with case, spaces and dashes ignored; refused (nothing counted) if it cannot be one."""
    code = typed_join_code(join_code) if isinstance(join_code, str) else ""
    if not code:
        raise ValidationError("input.required", field="join_code")
    if not is_typed_code(code):
        raise ValidationError("join.code_malformed", field="join_code", max=JOIN_CODE_MAX)
    return code


_OPEN_BY_CODE = select(Workshop.id).where(Workshop.join_code == bindparam("b_code"), Workshop.is_open.is_(True))


def open_workshop_for_code(engine: Engine, join_code: str, *, client: Client | None = None) -> int:
    """The open workshop a typed code names (the join page's first step).

    A client that has sent too many wrong codes is refused every code. A wrong code is counted
    against the client and gets one answer, with the same queries, whether its workshop is closed
    or was never there. A right code writes nothing."""
    code = _typed_code(join_code)
    with read(engine) as s:
        throttle.refuse_guessing(s, client)
        workshop_id = s.scalar(_OPEN_BY_CODE, {"b_code": code})
    if workshop_id is not None:
        return workshop_id
    with write(engine) as s:
        throttle.lock(s, client)
        throttle.refuse_guessing(s, client)  # again, now counted one after another: the limit is exact
        workshop_id = s.scalar(_OPEN_BY_CODE, {"b_code": code})  # opened meanwhile?
        if workshop_id is None:
            throttle.record(s, client, "wrong_code")  # committed; the refusal is raised after it
    if workshop_id is None:
        raise NotFound("join.code_unknown", field="join_code", code=code)
    return workshop_id


def join(
    engine: Engine,
    join_code: str,
    display_name: str,
    *,
    actor_id: int | None = None,
    actor_name: str | None = None,
    helix: str | None = None,
    municipality: str | None = None,
    client: Client | None = None,
) -> Participant:
    """Join an open workshop by its code, as a member of a listed actor or of a new one.

    From the room (`client` given) the join is throttled per client and per workshop
    (edp/throttle.py); the engine's own callers (the demo, the CLI, tests) pass no client.
    The returned participant carries their personal token (p.token), the only time it is seen."""
    code = _typed_code(join_code)
    with write(engine) as s:
        throttle.lock(s, client)
        throttle.refuse_guessing(s, client)
        workshop_id = s.scalar(_OPEN_BY_CODE, {"b_code": code})
        if workshop_id is not None:
            ws = s.get(Workshop, workshop_id)
            return _join_open(s, ws, display_name, actor_id, actor_name, helix, municipality, client)
        throttle.record(s, client, "wrong_code")  # committed; the refusal is raised after it
    raise NotFound("join.code_unknown", field="join_code", code=code)


def _join_open(
    s: Session,
    ws: Workshop,
    display_name: str,
    actor_id: int | None,
    actor_name: str | None,
    helix: str | None,
    municipality: str | None,
    client: Client | None,
) -> Participant:
    if not ws.allow_unregistered:
        raise PermissionDenied("join.registration_required", field="join_code")
    name = validate.text(display_name, "display_name", min_len=1, max_len=DISPLAY_NAME_MAX, multiline=False)
    if actor_id is not None:
        actor = s.get(Actor, actor_id)
        if actor is None or actor.process_id != ws.process_id:
            raise NotFound("actor.not_found", field="actor", id=actor_id)
    elif actor_name:
        actor = None
        clean = validate.text(actor_name, "actor_name", min_len=1, max_len=200, multiline=False)
    else:
        raise ValidationError("input.required", field="actor")
    ws = bump(s, ws.id, events.JOIN)  # the workshop's lock, before its joins are counted
    throttle.refuse_joining(s, client, ws.id)
    if actor is None:
        actor = actor_named(s, ws.process_id, clean)
        if actor is None:
            if not ws.allow_new_actors:
                raise PermissionDenied("join.new_actor_not_allowed", field="actor")
            actor = insert_actor(s, ws.process_id, clean, validate.choice(helix, "helix", HELIX_GROUPS), municipality)
    participant = _enrol(s, ws, name, actor, "participant")
    throttle.record(s, client, "joined")
    return participant


def _enrol(s: Session, ws: Workshop, name: str, actor: Actor, role: str) -> Participant:
    """Enrol into `ws`, which the caller has locked with bump()."""
    p = give_token(
        Participant(
            workshop_id=ws.id,
            display_name=name,
            actor_id=actor.id,
            helix=actor.helix,
            joined_at=utcnow(),
            on_paper=role == "facilitator",
        )
    )
    s.add(p)
    s.flush()
    audit(s, ws, "participant.joined", role, helix=p.helix)
    return p


def register_paper_participant(engine: Engine, fac_token: str, display_name: str, actor_id: int) -> Participant:
    """The facilitator enrols someone without a device, to enter their paper ballot. The returned
    participant carries their token (p.token) for the facilitator's own session: it is stored
    nowhere but as its hash."""
    with write(engine) as s:
        ws = s.get(Workshop, facilitator_workshop_id(s, fac_token))
        require_open(ws)
        name = validate.text(display_name, "display_name", min_len=1, max_len=DISPLAY_NAME_MAX, multiline=False)
        actor = s.get(Actor, actor_id) if isinstance(actor_id, int) else None
        if actor is None or actor.process_id != ws.process_id:
            raise NotFound("actor.not_found", field="actor", id=actor_id)
        return _enrol(s, bump(s, ws.id, events.JOIN), name, actor, "facilitator")


# ---------------------------------------------------------------- themes


@dataclass(frozen=True)
class ThemeInput:
    title: str
    description: str = ""
    strength_area_id: int | None = None
    partners: str = ""
    next_steps: str = ""


def _clean_theme(s: Session, ws: Workshop, data: ThemeInput) -> dict:
    area_id = data.strength_area_id
    if area_id is not None and s.get(StrengthArea, area_id) is None:
        raise NotFound("strength_area.not_found", field="strength_area", code=area_id)
    return {
        "title": validate.text(data.title, "title", min_len=1, max_len=TITLE_MAX, multiline=False),
        "description": validate.text(data.description, "description", max_len=DESCRIPTION_MAX),
        "strength_area_id": area_id,
        "partners": validate.text(data.partners, "partners", max_len=PARTNERS_MAX),
        "next_steps": validate.text(data.next_steps, "next_steps", max_len=NEXT_STEPS_MAX),
    }


def _add_theme_to_round(s: Session, ws: Workshop, rnd: Round, values: dict, **who) -> Theme:
    theme = Theme(workshop_id=ws.id, origin_round_id=rnd.id, status="active", **values, **who)
    s.add(theme)
    s.flush()
    pos = (s.scalar(select(func.max(RoundTheme.position)).where(RoundTheme.round_id == rnd.id)) or 0) + 1
    s.add(RoundTheme(round_id=rnd.id, theme_id=theme.id, position=pos))
    return theme


def propose(engine: Engine, participant_token: str, round_id: int, data: ThemeInput) -> Theme:
    """A participant proposes a theme; only while the round is in its proposing phase."""
    with write(engine) as s:
        p = participant_by_token(s, participant_token)
        rnd = s.get(Round, round_id)
        if rnd is None or rnd.workshop_id != p.workshop_id:
            raise NotFound("round.not_found", id=round_id)
        ws = bump(s, p.workshop_id, events.PROPOSAL, p.id)
        s.refresh(rnd)
        require_open(ws)
        if rnd.phase != "proposing":
            raise PhaseError("theme.not_proposing")
        values = _clean_theme(s, ws, data)
        mine = s.scalar(
            select(func.count(Theme.id)).where(Theme.origin_round_id == rnd.id, Theme.participant_id == p.id)
        )
        if mine >= rnd.proposals_per_participant:
            raise ValidationError("theme.too_many", field="title", max=rnd.proposals_per_participant)
        theme = _add_theme_to_round(s, ws, rnd, values, participant_id=p.id, actor_id=p.actor_id)
        audit(s, ws, "theme.proposed", "participant", round_id=rnd.id, theme_id=theme.id)
        return theme


def edit_own_theme(engine: Engine, participant_token: str, theme_id: int, data: ThemeInput) -> Theme:
    """A participant rewords their own proposal, while its round is still proposing."""
    with write(engine) as s:
        p = participant_by_token(s, participant_token)
        theme = s.get(Theme, theme_id)
        if theme is None or theme.participant_id != p.id:
            raise NotFound("theme.not_found", id=theme_id)
        ws = bump(s, p.workshop_id, events.PROPOSAL, p.id)
        require_open(ws)
        rnd = s.get(Round, theme.origin_round_id) if theme.origin_round_id else None
        if rnd is None or rnd.phase != "proposing" or theme.status != "active":
            raise PhaseError("theme.not_proposing")
        for k, v in _clean_theme(s, ws, data).items():
            setattr(theme, k, v)
        audit(s, ws, "theme.edited", "participant", theme_id=theme.id)
        return theme


def add_theme(engine: Engine, fac_token: str, round_id: int, data: ThemeInput) -> Theme:
    """The facilitator adds a theme (e.g. from a paper note) while proposing or reviewing."""
    with write(engine) as s:
        ws, rnd = _round_for_facilitator(s, fac_token, round_id)
        require_open(ws)
        if rnd.phase not in ("draft", "proposing", "reviewing"):
            raise PhaseError("theme.not_editable_phase", phase=rnd.phase)
        theme = _add_theme_to_round(s, ws, rnd, _clean_theme(s, ws, data))
        audit(s, ws, "theme.added", "facilitator", round_id=rnd.id, theme_id=theme.id)
        return theme


def edit_theme(engine: Engine, fac_token: str, theme_id: int, data: ThemeInput) -> Theme:
    with write(engine) as s:
        ws, theme = _theme_for_facilitator(s, fac_token, theme_id)
        refuse_while_voting(s, theme.id)
        values = _clean_theme(s, ws, data)
        before = {k: getattr(theme, k) for k in values}
        for k, v in values.items():
            setattr(theme, k, v)
        changed = {k: [before[k], v] for k, v in values.items() if before[k] != v}
        audit(s, ws, "theme.edited", "facilitator", theme_id=theme.id, changed=changed)
        return theme


def withdraw_theme(engine: Engine, fac_token: str, theme_id: int) -> Theme:
    return _set_status(engine, fac_token, theme_id, "withdrawn")


def restore_theme(engine: Engine, fac_token: str, theme_id: int) -> Theme:
    return _set_status(engine, fac_token, theme_id, "active")


def _set_status(engine: Engine, fac_token: str, theme_id: int, status: str) -> Theme:
    with write(engine) as s:
        ws, theme = _theme_for_facilitator(s, fac_token, theme_id)
        refuse_while_voting(s, theme.id)
        expected = "active" if status == "withdrawn" else "withdrawn"
        if theme.status != expected:
            raise Conflict(f"theme.not_{expected}", id=theme.id)
        theme.status = status
        audit(s, ws, f"theme.{'withdrawn' if status == 'withdrawn' else 'restored'}", "facilitator", theme_id=theme.id)
        return theme


def merge_themes(engine: Engine, fac_token: str, duplicate_id: int, into_id: int) -> Theme:
    """Mark `duplicate_id` as merged into `into_id`. Ballots keep pointing at what was voted for."""
    with write(engine) as s:
        ws, dup = _theme_for_facilitator(s, fac_token, duplicate_id)
        target = s.get(Theme, into_id)
        if target is None or target.workshop_id != ws.id:
            raise NotFound("theme.not_found", field="merge_into", id=into_id)
        if dup.id == target.id:
            raise Conflict("theme.merge_self", field="merge_into")
        if dup.status != "active":
            raise Conflict("theme.not_active", id=dup.id)
        if target.status != "active":
            raise Conflict("theme.merge_target_inactive", field="merge_into", id=target.id)
        refuse_while_voting(s, dup.id, target.id)
        dup.status = "merged"
        dup.merged_into_id = target.id
        audit(s, ws, "theme.merged", "facilitator", theme_id=dup.id, into=target.id)
        return dup


def unmerge_theme(engine: Engine, fac_token: str, theme_id: int) -> Theme:
    with write(engine) as s:
        ws, theme = _theme_for_facilitator(s, fac_token, theme_id)
        if theme.status != "merged":
            raise Conflict("theme.not_merged", id=theme.id)
        refuse_while_voting(s, theme.id, theme.merged_into_id)
        into = theme.merged_into_id
        theme.status = "active"
        theme.merged_into_id = None
        audit(s, ws, "theme.unmerged", "facilitator", theme_id=theme.id, was_into=into)
        return theme


# ---------------------------------------------------------------- advance and priorities


def advance(engine: Engine, fac_token: str, round_id: int, top_k: int, spec: RoundSpec) -> Round:
    """A new round whose ballot is the top K of a closed round (ties at the cut go through too)."""
    with write(engine) as s:
        ws, rnd = _round_for_facilitator(s, fac_token, round_id)
        require_open(ws)
        if rnd.phase != "closed":
            raise PhaseError("round.advance_not_closed")
        top_k = validate.integer(top_k, "top_k", lo=1, hi=100)
        result = load_round_results(s, rnd.id)
        ranked = result.themes
        if not ranked:
            raise PhaseError("round.no_themes")
        cut = ranked[min(top_k, len(ranked)) - 1]["rank"]
        chosen = [row["theme_id"] for row in ranked if row["rank"] <= cut]
        if spec.method in voting.REGISTRY:  # an unknown method is refused by _build_round, naming the field
            spec = voting.method(spec.method).fit_to_ballot(spec, len(chosen))
        new = _build_round(s, ws, spec, origin_round_id=rnd.id)
        for pos, tid in enumerate(chosen, start=1):
            s.add(RoundTheme(round_id=new.id, theme_id=tid, position=pos))
        audit(s, ws, "round.advanced", "facilitator", round_id=new.id, origin=rnd.id, themes=chosen)
        return new


@dataclass(frozen=True)
class PriorityInput:
    theme_id: int
    rationale: str = ""
    recommendation: str = ""


def set_priorities(engine: Engine, fac_token: str, items: Iterable[PriorityInput]) -> list[Priority]:
    """Replace the workshop's priorities; their order is their rank."""
    with write(engine) as s:
        ws = bump(s, facilitator_workshop_id(s, fac_token))
        items = list(items)
        if len(items) > PRIORITIES_MAX:
            raise ValidationError("priority.too_many", field="priorities", max=PRIORITIES_MAX)
        seen: set[int] = set()
        clean = []
        for item in items:
            theme = s.get(Theme, item.theme_id)
            if theme is None or theme.workshop_id != ws.id:
                raise NotFound("theme.not_found", field="theme", id=item.theme_id)
            if theme.status != "active":
                raise Conflict("theme.not_active", field="theme", id=theme.id)
            if theme.id in seen:
                raise Conflict("priority.duplicate", field="theme", title=theme.title)
            seen.add(theme.id)
            clean.append(
                (
                    theme.id,
                    validate.text(item.rationale, "rationale", max_len=DESCRIPTION_MAX),
                    validate.text(item.recommendation, "recommendation", max_len=DESCRIPTION_MAX),
                )
            )
        s.execute(delete(Priority).where(Priority.workshop_id == ws.id))
        s.flush()
        out = []
        for rank, (tid, rationale, rec) in enumerate(clean, start=1):
            pr = Priority(workshop_id=ws.id, theme_id=tid, rank=rank, rationale=rationale, recommendation=rec)
            s.add(pr)
            out.append(pr)
        s.flush()
        audit(s, ws, "priorities.set", "facilitator", themes=[c[0] for c in clean])
        return out


# ---------------------------------------------------------------- reads


def revision(engine: Engine, workshop_id: int) -> int | None:
    """The cheap poll for live views."""
    with read(engine) as s:
        return s.scalar(select(Workshop.revision).where(Workshop.id == workshop_id))


def round_themes(s: Session, round_id: int) -> list[Theme]:
    """The active themes on a round's ballot, merges resolved, in ballot order."""
    ids = active_theme_ids(s, round_id)
    by_id = {t.id: t for t in s.scalars(select(Theme).where(Theme.id.in_(ids)))}
    return [by_id[i] for i in ids]
