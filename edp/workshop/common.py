"""What the workshop's operations share: their limits, the facilitator's round and theme, and the
rule that a theme on a ballot being voted on stays as it is.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edp import validate
from edp.errors import NotFound, PhaseError
from edp.guards import bump, facilitator_workshop_id
from edp.models import Round, RoundTheme, Theme, Workshop

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


def round_for_facilitator(s: Session, token: str, round_id: int) -> tuple[Workshop, Round]:
    wid = facilitator_workshop_id(s, token)
    rnd = s.get(Round, round_id)
    if rnd is None or rnd.workshop_id != wid:
        raise NotFound("round.not_found", id=round_id)
    ws = bump(s, wid)
    s.refresh(rnd)
    return ws, rnd


def theme_for_facilitator(s: Session, token: str, theme_id: int) -> tuple[Workshop, Theme]:
    wid = facilitator_workshop_id(s, token)
    theme = s.get(Theme, theme_id)
    if theme is None or theme.workshop_id != wid:
        raise NotFound("theme.not_found", id=theme_id)
    ws = bump(s, wid)
    s.refresh(theme)
    return ws, theme


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
