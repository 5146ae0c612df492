"""Cheap reads for the live views."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from edp.db import read
from edp.models import Theme, Workshop
from edp.voting.merges import active_theme_ids


def revision(engine: Engine, workshop_id: int) -> int | None:
    """The cheap poll for live views."""
    with read(engine) as s:
        return s.scalar(select(Workshop.revision).where(Workshop.id == workshop_id))


def round_themes(s: Session, round_id: int) -> list[Theme]:
    """The active themes on a round's ballot, merges resolved, in ballot order."""
    ids = active_theme_ids(s, round_id)
    by_id = {t.id: t for t in s.scalars(select(Theme).where(Theme.id.in_(ids)))}
    return [by_id[i] for i in ids]
