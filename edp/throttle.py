"""Counting attempts per scope and per client (wrong passcodes and passwords), in the database, so
every replica sees the same counts. A client is a browser as far as the UI can tell; only a hash of
what identifies it is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from edp.models import RateEvent, utcnow


@dataclass(frozen=True)
class Limit:
    """At most `per_client` attempts from one client and `per_scope` from everyone within `window`."""

    per_client: int
    per_scope: int
    window: dt.timedelta

    @property
    def minutes(self) -> int:
        return max(1, int(self.window.total_seconds() // 60))


def client_key(client: str | None) -> str:
    """A stable, non-reversible key for what identifies a client (never stored in clear)."""
    return hashlib.sha256((client or "").encode()).hexdigest()[:32] if client else ""


def exceeded(s: Session, scope: str, client: str | None, limit: Limit) -> bool:
    """Whether this client, or everyone together, has used up the scope's attempts in the window.
    Call it with the scope's row locked (the caller's lock), so racing attempts are counted in turn."""
    since = utcnow() - limit.window
    base = select(func.count(RateEvent.id)).where(RateEvent.scope == scope, RateEvent.at >= since)
    if s.scalar(base) >= limit.per_scope:
        return True
    key = client_key(client)
    return bool(key) and s.scalar(base.where(RateEvent.client == key)) >= limit.per_client


def record(s: Session, scope: str, client: str | None, limit: Limit) -> None:
    """Count one attempt, and forget this scope's attempts older than the window."""
    s.execute(delete(RateEvent).where(RateEvent.scope == scope, RateEvent.at < utcnow() - limit.window))
    s.add(RateEvent(scope=scope, client=client_key(client)))
