"""Joining: the join code, a participant's enrolment, a pre-registered card's arrival, a paper participant."""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from edp import events, throttle, validate
from edp.db import read, write
from edp.errors import NotFound, PermissionDenied, ValidationError
from edp.guards import audit, bump, facilitator_workshop_id, give_token, require_open
from edp.models import HELIX_GROUPS, Actor, Participant, Workshop, utcnow
from edp.security import JOIN_CODE_MAX, is_typed_code, token_hash, typed_join_code
from edp.throttle import Client
from edp.workshop.common import DISPLAY_NAME_MAX
from edp.workshop.setup import actor_named, insert_actor


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
            ws = s.get_one(Workshop, workshop_id)
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
        ws = s.get_one(Workshop, facilitator_workshop_id(s, fac_token))
        require_open(ws)
        name = validate.text(display_name, "display_name", min_len=1, max_len=DISPLAY_NAME_MAX, multiline=False)
        actor = s.get(Actor, actor_id) if isinstance(actor_id, int) else None
        if actor is None or actor.process_id != ws.process_id:
            raise NotFound("actor.not_found", field="actor", id=actor_id)
        return _enrol(s, bump(s, ws.id, events.JOIN), name, actor, "facilitator")
