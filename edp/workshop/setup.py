"""Setting up: processes, their actors, workshops, and the facilitator's passcode console."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edp import throttle, validate
from edp.access import Credential, Principal, acting, require_admin, require_lead
from edp.db import write
from edp.errors import Conflict, NotFound, PermissionDenied, ValidationError
from edp.guards import audit, bump, facilitator_workshop_id
from edp.models import HELIX_GROUPS, Actor, FacilitatorSession, Process, RoleGrant, StrengthArea, User, Workshop
from edp.names import NameIndex, first_difference
from edp.security import hash_passcode, new_join_code, new_token, token_hash, verify_passcode
from edp.workshop.common import DESCRIPTION_MAX, PASSCODE_MIN


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
    start, end = values["period_start"], values["period_end"]
    if isinstance(start, int) and isinstance(end, int) and start > end:
        raise ValidationError("process.period_reversed", field="period_end", start=start)
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
