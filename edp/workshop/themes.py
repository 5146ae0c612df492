"""Themes: proposals, the facilitator's edits, withdrawals, merges and unmerges."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from edp import events, validate
from edp.db import write
from edp.errors import Conflict, NotFound, PhaseError, ValidationError
from edp.guards import audit, bump, participant_by_token, require_open
from edp.models import Round, RoundTheme, StrengthArea, Theme, Workshop
from edp.workshop.common import (
    DESCRIPTION_MAX,
    NEXT_STEPS_MAX,
    PARTNERS_MAX,
    TITLE_MAX,
    refuse_while_voting,
    round_for_facilitator,
    theme_for_facilitator,
)


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
        mine = (
            s.scalar(select(func.count(Theme.id)).where(Theme.origin_round_id == rnd.id, Theme.participant_id == p.id))
            or 0
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
        ws, rnd = round_for_facilitator(s, fac_token, round_id)
        require_open(ws)
        if rnd.phase not in ("draft", "proposing", "reviewing"):
            raise PhaseError("theme.not_editable_phase", phase=rnd.phase)
        theme = _add_theme_to_round(s, ws, rnd, _clean_theme(s, ws, data))
        audit(s, ws, "theme.added", "facilitator", round_id=rnd.id, theme_id=theme.id)
        return theme


def edit_theme(engine: Engine, fac_token: str, theme_id: int, data: ThemeInput) -> Theme:
    with write(engine) as s:
        ws, theme = theme_for_facilitator(s, fac_token, theme_id)
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
        ws, theme = theme_for_facilitator(s, fac_token, theme_id)
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
        ws, dup = theme_for_facilitator(s, fac_token, duplicate_id)
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
        ws, theme = theme_for_facilitator(s, fac_token, theme_id)
        into = theme.merged_into_id
        if theme.status != "merged" or into is None:
            raise Conflict("theme.not_merged", id=theme.id)
        refuse_while_voting(s, theme.id, into)
        theme.status = "active"
        theme.merged_into_id = None
        audit(s, ws, "theme.unmerged", "facilitator", theme_id=theme.id, was_into=into)
        return theme
