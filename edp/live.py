"""Read models for the live screens (participant, projector, facilitator): plain frozen data,
loaded in one short read transaction, so pages never touch the ORM or SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, null, select
from sqlalchemy.orm import Session

from edp.db import read
from edp.errors import NotFound, PermissionDenied
from edp.guards import facilitator_workshop_id
from edp.models import (
    HELIX_GROUPS,
    Actor,
    Ballot,
    Criterion,
    Participant,
    Process,
    Round,
    RoundTheme,
    StrengthArea,
    Theme,
    Workshop,
)
from edp.security import token_hash
from edp.voting.ballots import my_ballot
from edp.voting.merges import active_theme_ids

# A helix group is flagged when it has under half of an equal share (1/4) of the participants.
UNDERREPRESENTED_SHARE = 0.5 / len(HELIX_GROUPS)


@dataclass(frozen=True)
class ThemeView:
    id: int
    title: str
    description: str
    strength_area_id: int | None
    partners: str
    next_steps: str
    status: str
    merged_into_id: int | None
    participant_id: int | None
    helix: str | None  # the proposer's helix group; None when the facilitator added it


@dataclass(frozen=True)
class CriterionView:
    id: int
    name_sv: str
    name_en: str
    description: str
    weight: float
    scale_min: int
    scale_max: int

    def name(self, lang: str) -> str:
        return self.name_sv if lang == "sv" else self.name_en


@dataclass(frozen=True)
class RoundView:
    id: int
    seq: int
    method: str
    phase: str
    prompt: str
    revealed: bool
    live_results: bool
    dots_per_participant: int | None
    max_dots_per_theme: int | None
    rank_count: int | None
    origin_round_id: int | None
    proposals_per_participant: int
    settings: Mapping[str, Any]  # the method's own (edp.voting)
    criteria: tuple[CriterionView, ...]
    themes: tuple[ThemeView, ...]  # what the ballot offers: active, merges resolved, ballot order

    @property
    def results_visible(self) -> bool:
        """Results may be shown to the room: after the reveal, or live if the facilitator chose so."""
        return (self.phase == "closed" and self.revealed) or (self.phase == "voting" and self.live_results)


@dataclass(frozen=True)
class Counts:
    participants: dict[str, int]
    proposals: dict[str, int]
    ballots: dict[str, int]
    facilitator_themes: int = 0

    @property
    def total_participants(self) -> int:
        return sum(self.participants.values())

    @property
    def total_proposals(self) -> int:
        return sum(self.proposals.values()) + self.facilitator_themes

    @property
    def total_ballots(self) -> int:
        return sum(self.ballots.values())

    def underrepresented(self) -> list[str]:
        """Helix groups with no participants, or under half of an equal share of them."""
        total = self.total_participants
        return [g for g in HELIX_GROUPS if total == 0 or self.participants.get(g, 0) / total < UNDERREPRESENTED_SHARE]


@dataclass(frozen=True)
class RoundSummary:
    id: int
    seq: int
    method: str
    phase: str
    revealed: bool


@dataclass(frozen=True)
class WorkshopView:
    id: int
    process_id: int
    process_title: str
    title: str
    date: dt.date | None
    venue: str
    join_code: str
    is_open: bool
    anonymous: bool
    allow_new_actors: bool
    revision: int
    rounds: tuple[RoundSummary, ...]
    current: RoundView | None
    counts: Counts | None  # None in a participant's view (see _workshop_view)
    actors: tuple[tuple[int, str, str], ...]  # id, name, helix; empty in a participant's view
    # id, code, name_sv, name_en; in a participant's view only while the round takes proposals
    strength_areas: tuple[tuple[int, str, str, str], ...]
    allow_unregistered: bool = True
    show_join_code: bool = False  # on the public home page (edp.queries.overview)


@dataclass(frozen=True)
class ParticipantView:
    id: int
    display_name: str
    helix: str
    actor_name: str | None
    workshop: WorkshopView
    ballot: tuple[tuple[int, int | None, int], ...] = ()  # the current round's ballot, as stored
    ballot_saved_at: dt.datetime | None = None  # when it was stored (its latest replacement)
    # Their own, in the current round while it takes proposals.
    proposals: tuple[ThemeView, ...] = field(default_factory=tuple)


THEME_COLUMNS = (
    Theme.id, Theme.title, Theme.description, Theme.strength_area_id, Theme.partners, Theme.next_steps,
    Theme.status, Theme.merged_into_id, Theme.participant_id,
)  # fmt: skip


def theme_views(s: Session, ids: list[int] | None = None, *, where=None) -> list[ThemeView]:  # noqa: ANN001
    # Columns, not ORM objects: live screens read these on every rerun.
    q = select(*THEME_COLUMNS, Actor.helix).outerjoin(Actor, Actor.id == Theme.actor_id)
    if ids is not None:
        q = q.where(Theme.id.in_(ids))
    if where is not None:
        q = q.where(where)
    out = [
        ThemeView(*row[:-1], row.helix if row.participant_id is not None else None)
        for row in s.execute(q.order_by(Theme.id))
    ]
    if ids is not None:
        order = {i: n for n, i in enumerate(ids)}
        out.sort(key=lambda v: order[v.id])
    return out


ROUND_COLUMNS = (
    Round.id, Round.seq, Round.method, Round.phase, Round.prompt, Round.revealed, Round.live_results,
    Round.dots_per_participant, Round.max_dots_per_theme, Round.rank_count, Round.origin_round_id,
    Round.proposals_per_participant, Round.settings,
)  # fmt: skip
CRITERION_COLUMNS = (
    Criterion.id, Criterion.name_sv, Criterion.name_en, Criterion.description, Criterion.weight,
    Criterion.scale_min, Criterion.scale_max,
)  # fmt: skip


def _round_view(s: Session, round_id: int, row: Sequence | None = None) -> RoundView:
    """`row`: the round's ROUND_COLUMNS when the caller has already read them."""
    r = row if row is not None else s.execute(select(*ROUND_COLUMNS).where(Round.id == round_id)).first()
    if r is None:
        raise NotFound("round.not_found", id=round_id)
    criteria = s.execute(select(*CRITERION_COLUMNS).where(Criterion.round_id == round_id).order_by(Criterion.position))
    return RoundView(
        *r, tuple(CriterionView(*c) for c in criteria), tuple(theme_views(s, active_theme_ids(s, round_id)))
    )


def round_view(engine: Engine, round_id: int) -> RoundView:
    with read(engine) as s:
        return _round_view(s, round_id)


def round_all_themes(engine: Engine, round_id: int) -> list[ThemeView]:
    """Every theme on a round's ballot, merged and withdrawn ones included (for moderation)."""
    with read(engine) as s:
        ids = list(
            s.scalars(select(RoundTheme.theme_id).where(RoundTheme.round_id == round_id).order_by(RoundTheme.position))
        )
        return theme_views(s, ids)


def _counts(s: Session, workshop_id: int, round_id: int | None) -> Counts:
    participants = dict(
        s.execute(
            select(Participant.helix, func.count())
            .where(Participant.workshop_id == workshop_id, Participant.joined_at.is_not(None))
            .group_by(Participant.helix)
        ).all()
    )
    proposals: dict[str, int] = {}
    ballots: dict[str, int] = {}
    by_facilitator = 0
    if round_id is not None:
        for helix, n in s.execute(
            select(Participant.helix, func.count())
            .select_from(Theme)
            .outerjoin(Participant, Participant.id == Theme.participant_id)
            .where(Theme.origin_round_id == round_id)
            .group_by(Participant.helix)
        ):
            if helix is None:
                by_facilitator = n
            else:
                proposals[helix] = n
        ballots = dict(
            s.execute(
                select(Participant.helix, func.count())
                .select_from(Ballot)
                .join(Participant, Participant.id == Ballot.participant_id)
                .where(Ballot.round_id == round_id)
                .group_by(Participant.helix)
            ).all()
        )
    full = {g: 0 for g in HELIX_GROUPS}
    return Counts({**full, **participants}, {**full, **proposals}, {**full, **ballots}, by_facilitator)


def _workshop_view(s: Session, workshop_id: int, *, for_participant: bool = False) -> WorkshopView:
    """The workshop as a screen shows it, read as columns (live screens rerun often).

    `for_participant` leaves out what only the facilitator's and the projector's screens use
    (the actor list and the counts) and reads the strength areas only while the round takes
    proposals: a participant's page reruns most often, so it reads only what it draws."""
    ws = s.execute(
        select(
            Workshop.id, Workshop.process_id, Process.title, Workshop.title, Workshop.date, Workshop.venue,
            Workshop.join_code, Workshop.is_open, Workshop.anonymous, Workshop.allow_new_actors, Workshop.revision,
            Workshop.allow_unregistered, Workshop.show_join_code,
        )
        .join(Process, Process.id == Workshop.process_id)
        .where(Workshop.id == workshop_id)
    ).first()  # fmt: skip
    if ws is None:
        raise NotFound("workshop.not_found", id=workshop_id)
    rows = s.execute(select(*ROUND_COLUMNS).where(Round.workshop_id == ws.id).order_by(Round.seq)).all()
    rounds = tuple(RoundSummary(r.id, r.seq, r.method, r.phase, r.revealed) for r in rows)
    # The round the room is in: the latest one that has left its draft.
    cur = next((r for r in reversed(rows) if r.phase != "draft"), None)
    actors: tuple = ()
    if not for_participant:
        actors = tuple(
            tuple(row)
            for row in s.execute(
                select(Actor.id, Actor.name, Actor.helix).where(Actor.process_id == ws.process_id).order_by(Actor.name)
            )
        )
    areas: tuple = ()
    if not for_participant or (cur is not None and cur.phase == "proposing"):
        areas = tuple(
            tuple(row)
            for row in s.execute(
                select(StrengthArea.id, StrengthArea.code, StrengthArea.name_sv, StrengthArea.name_en).order_by(
                    StrengthArea.code
                )
            )
        )
    return WorkshopView(
        *ws[:11], rounds, _round_view(s, cur.id, cur) if cur else None,
        None if for_participant else _counts(s, ws.id, cur.id if cur else None),
        actors, areas, ws.allow_unregistered, ws.show_join_code,
    )  # fmt: skip


def workshop_view(engine: Engine, workshop_id: int) -> WorkshopView:
    with read(engine) as s:
        return _workshop_view(s, workshop_id)


def facilitator_view(engine: Engine, fac_token: str) -> WorkshopView:
    with read(engine) as s:
        return _workshop_view(s, facilitator_workshop_id(s, fac_token))


def participant_view(engine: Engine, token: str) -> ParticipantView:
    with read(engine) as s:
        p = None
        if isinstance(token, str) and token:
            p = s.execute(
                select(Participant.id, Participant.display_name, Participant.helix, Participant.workshop_id, Actor.name)
                .outerjoin(Actor, Actor.id == Participant.actor_id)
                .where(Participant.token_hash == token_hash(token))
            ).first()
        if p is None:
            raise PermissionDenied("auth.participant_unknown")
        wv = _workshop_view(s, p.workshop_id, for_participant=True)
        ballot: tuple = ()
        mine: tuple = ()
        saved_at = None
        if (cur := wv.current) is not None:
            ballot = tuple(my_ballot(s, p.id, cur.id))
            if ballot:
                saved_at = ballot_saved_at(s, p.id, cur.id)
            if cur.phase == "proposing":
                mine = tuple(theme_views(s, where=(Theme.participant_id == p.id) & (Theme.origin_round_id == cur.id)))
        return ParticipantView(p.id, p.display_name, p.helix, p.name, wv, ballot, saved_at, mine)


def ballot_saved_at(s: Session, participant_id: int, round_id: int) -> dt.datetime | None:
    return s.scalar(
        select(Ballot.submitted_at).where(Ballot.round_id == round_id, Ballot.participant_id == participant_id)
    )


def _reader(engine: Engine) -> Connection:
    """A plain read-only connection for the polls: no ORM session, and never SQLite's write lock."""
    return engine.connect().execution_options(edp_readonly=True)


def workshop_revision(engine: Engine, workshop_id: int) -> int | None:
    """The one cheap query a live view makes per refresh."""
    with _reader(engine) as conn:
        return conn.scalar(select(Workshop.revision).where(Workshop.id == workshop_id))


def projector_workshop_id(engine: Engine, key: str) -> int | None:
    """The workshop whose projector address carries this key (one indexed query)."""
    if not isinstance(key, str) or not key:
        return None
    with read(engine) as s:
        return s.scalar(select(Workshop.id).where(Workshop.projector_key == key))


def projector_key(engine: Engine, fac_token: str) -> str:
    """The console's workshop's projector key, for the projector link the console shows."""
    with read(engine) as s:
        wid = facilitator_workshop_id(s, fac_token)
        return s.scalar(select(Workshop.projector_key).where(Workshop.id == wid))


def participant_workshop_id(engine: Engine, token: str) -> int | None:
    with read(engine) as s:
        if not isinstance(token, str) or not token:
            return None
        return s.scalar(select(Participant.workshop_id).where(Participant.token_hash == token_hash(token)))


@dataclass(frozen=True)
class ScreenState:
    """The few facts that decide what a live screen shows; one query to read."""

    is_open: bool
    revision: int
    round_id: int | None = None
    phase: str | None = None
    revealed: bool = False
    live_results: bool = False
    ballot_saved_at: dt.datetime | None = None  # with a participant: their ballot's in this round


def screen_state(engine: Engine, workshop_id: int, participant_id: int | None = None) -> ScreenState | None:
    """One query: the workshop's state and its current round (the latest that left its draft),
    and with `participant_id` when their ballot in it was stored. Every participant's page runs
    it on each check, so it stays one indexed statement."""
    current = (
        select(Round.id)
        .where(Round.workshop_id == Workshop.id, Round.phase != "draft")
        .order_by(Round.seq.desc())
        .limit(1)
        .correlate(Workshop)
        .scalar_subquery()
    )
    saved_at = (
        select(Ballot.submitted_at)
        .where(Ballot.round_id == Round.id, Ballot.participant_id == participant_id)
        .correlate(Round)
        .scalar_subquery()
        if participant_id is not None
        else null()
    )
    stmt = (
        select(Workshop.is_open, Workshop.revision, Round.id, Round.phase, Round.revealed, Round.live_results, saved_at)
        .select_from(Workshop)
        .outerjoin(Round, Round.id == current)
        .where(Workshop.id == workshop_id)
    )
    with _reader(engine) as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    is_open, revision, round_id, *rest = row
    return ScreenState(is_open, revision) if round_id is None else ScreenState(is_open, revision, round_id, *rest)
