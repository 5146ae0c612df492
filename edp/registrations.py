"""Pre-registered workshops: import the registration list, then each person joins with one scan
of their personal QR card (see edp.cards)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from edp import validate
from edp.csvfile import read_rows
from edp.db import write
from edp.errors import Conflict, EdpError, RowErrors, ValidationError
from edp.models import HELIX_GROUPS, Actor, Participant, Workshop
from edp.names import NameIndex, first_difference
from edp.security import new_token
from edp.workshop import (
    DISPLAY_NAME_MAX,
    _add_actor,
    _require_open,
    actor_names,
    audit,
    bump,
    facilitator_workshop_id,
    refuse_taken_actor_name,
)

# Swedish labels are accepted too, as registration lists are often exported from Swedish forms.
HELIX_ALIASES = {
    **{g: g for g in HELIX_GROUPS},
    "näringsliv": "business",
    "akademi": "academia",
    "offentlig sektor": "public",
    "offentlig": "public",
    "civilsamhälle": "civil",
    "civil society": "civil",
    "public sector": "public",
}


def parse_helix(value: str) -> str:
    return HELIX_ALIASES.get(value.strip().lower(), value.strip().lower())


def import_registrations(engine: Engine, fac_token: str, csv_text: str | bytes) -> list[Participant]:
    """Create one registered participant per row (name, organisation, helix). Every row is
    checked first; if any is wrong, RowErrors lists them all and nothing is imported."""
    with write(engine) as s:
        ws = s.get(Workshop, facilitator_workshop_id(s, fac_token))
        _require_open(ws)
        rows = read_rows(csv_text, ("name", "organisation", "helix"))
        errors: list[tuple[int, EdpError]] = []
        # An organisation that is an actor of the process (in any spelling) is that actor; a new one
        # is added, once; a name that only looks like an actor's or another row's is refused.
        actors = actor_names(s, ws.process_id)
        new_orgs: NameIndex[int] = NameIndex()
        planned: list[tuple[str, str, str]] = []
        for line, row in rows:
            try:
                name = validate.text(
                    row.get("name"), "display_name", min_len=1, max_len=DISPLAY_NAME_MAX, multiline=False
                )
                org = validate.text(row.get("organisation"), "actor_name", min_len=1, max_len=200, multiline=False)
                known = actors.same(org)
                if known is None and new_orgs.same(org) is None:
                    refuse_taken_actor_name(actors, org)
                    if alike := new_orgs.lookalike(org):
                        position, char = first_difference(org, alike[0])
                        raise Conflict(
                            "import.lookalike_in_file", field="actor_name", name=org, other=alike[0], first=alike[1],
                            position=position, char=char,
                        )  # fmt: skip
                    new_orgs.add(org, line)
                helix = (
                    known[1].helix
                    if known
                    else validate.choice(parse_helix(row.get("helix", "")), "helix", HELIX_GROUPS)
                )
                planned.append((name, org, helix))
            except EdpError as err:
                errors.append((line, err))
        if errors:
            raise RowErrors(errors)
        if not planned:
            raise ValidationError("csv.empty", field="file")
        ws = bump(s, ws.id)
        created = []
        for name, org, helix in planned:
            found = actors.same(org)
            if found is None:
                actor = _add_actor(s, ws.process_id, org, helix, None)
                actors.add(actor.name, actor)
            else:
                actor = found[1]
            p = Participant(
                workshop_id=ws.id, display_name=name, actor_id=actor.id, helix=actor.helix,
                token=new_token(), registered=True, joined_at=None,
            )  # fmt: skip
            s.add(p)
            created.append(p)
        s.flush()
        audit(s, ws, "participants.registered", "facilitator", count=len(created))
        return created


def registered_participants(engine: Engine, fac_token: str) -> list[tuple[int, str, str, str, bool]]:
    """(id, name, organisation, token, arrived) for every registered participant of the workshop."""
    from edp.db import read

    with read(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        rows = s.execute(
            select(Participant.id, Participant.display_name, Actor.name, Participant.token, Participant.joined_at)
            .join(Actor, Actor.id == Participant.actor_id)
            .where(Participant.workshop_id == wid, Participant.registered.is_(True))
            .order_by(func.lower(Participant.display_name))
        ).all()
    return [(pid, name, org, token, joined is not None) for pid, name, org, token, joined in rows]
