"""Pre-registered workshops: import the registration list, then each person joins with one scan
of their personal QR card (see edp.io.cards).

Only a hash of each person's token is stored, so a card can be printed once only: when the list is
imported (import_registrations hands back the tokens) or when a lost card is replaced
(reissue_card, which gives a new token and so voids the old card). Nothing else reveals a token.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from edp import validate
from edp.csvfile import read_rows
from edp.db import write
from edp.errors import Conflict, EdpError, NotFound, PermissionDenied, RowErrors, ValidationError
from edp.guards import audit, bump, facilitator_workshop_id, give_token, require_open
from edp.models import HELIX_GROUPS, Actor, Participant, Workshop
from edp.names import NameIndex, first_difference
from edp.workshop.common import DISPLAY_NAME_MAX
from edp.workshop.setup import actor_names, insert_actor, refuse_taken_actor_name

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
    checked first; if any is wrong, RowErrors lists them all and nothing is imported.

    The returned participants carry their tokens (p.token) and organisations (p.actor), for the
    QR cards (card_rows): the only time these tokens can be read."""
    with write(engine) as s:
        ws = s.get_one(Workshop, facilitator_workshop_id(s, fac_token))  # the console's workshop exists
        require_open(ws)
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
                actor = insert_actor(s, ws.process_id, org, helix, None)
                actors.add(actor.name, actor)
            else:
                actor = found[1]
            p = give_token(
                Participant(workshop_id=ws.id, display_name=name, actor=actor, helix=actor.helix, registered=True)
            )
            s.add(p)
            created.append(p)
        s.flush()
        audit(s, ws, "participants.registered", "facilitator", count=len(created))
        return created


def registered_participants(engine: Engine, fac_token: str) -> list[tuple[int, str, str, bool]]:
    """(id, name, organisation, arrived) for every registered participant of the workshop. No
    token: the database holds only their hashes."""
    from edp.db import read

    with read(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        rows = s.execute(
            select(Participant.id, Participant.display_name, Actor.name, Participant.joined_at)
            .join(Actor, Actor.id == Participant.actor_id)
            .where(Participant.workshop_id == wid, Participant.registered.is_(True))
            .order_by(func.lower(Participant.display_name))
        ).all()
    return [(pid, name, org, joined is not None) for pid, name, org, joined in rows]


def reissue_card(engine: Engine, fac_token: str, participant_id: int) -> Participant:
    """A new QR card for a registered participant who lost theirs: a new token replaces the old
    one, so the old card stops working. The returned participant carries the new token (p.token)
    and organisation (p.actor), for card_rows.

    In an anonymous workshop only while the participant has not used their card: after that, a
    card in the facilitator's hands would open the participant's ballots."""
    with write(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        p = s.get(Participant, participant_id) if isinstance(participant_id, int) else None
        if p is None or p.workshop_id != wid or not p.registered:
            raise NotFound("participant.not_found", field="participant", id=participant_id)
        ws = bump(s, wid)  # arrivals are written under this lock, so joined_at is final here
        s.refresh(p)
        require_open(ws)
        if ws.anonymous and p.joined_at is not None:
            raise PermissionDenied("card.already_used", field="participant", name=p.display_name)
        give_token(p)
        s.flush()
        s.refresh(p, ["actor"])
        audit(s, ws, "participant.card_reissued", "facilitator", participant_id=p.id)
        return p


def card_rows(people: list[Participant]) -> list[tuple[str, str, str]]:
    """(name, organisation, token) for edp.io.cards.cards_pdf, from participants an operation has just
    created or given a new card (only those carry their token)."""
    missing = [p.id for p in people if not p.token]
    if missing:
        raise ValueError(f"participants {missing} carry no token: only a new card can be printed")
    return [(p.display_name, p.actor.name if p.actor else "", p.token) for p in people if p.token]
