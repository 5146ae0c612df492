"""Throttles: wrong join codes and joins, wrong passcodes, passwords and setup codes, counted per
client and per workshop (or account) in the database, so that every replica counts the same attempts.

A client is a browser session (Streamlit's session id) and, where it means something, the network
address it comes from. The rules:

- wrong codes per session: few (a person mistypes a code once or twice, a script guesses on);
- wrong codes per address: more, since a whole room behind one venue NAT shares an address, but
  still far too few to guess a code (31**6 codes, 100 guesses in 10 minutes);
- joins per session: a person joins once; a few more for a second try;
- joins per address: more than the largest room joins in the window;
- joins per workshop: more than a room of 300 joining within one minute, so only a flood reaches it.

A client over a wrong-code limit is refused every code, the right one too: otherwise the refusal
itself would tell a guess that is right. A refusal by a throttle writes nothing.

Failed sign-ins (a workshop's passcode, an account's password, the first account's setup code) are
counted per browser session and per what is guessed at (the workshop, the account): one person in
the room cannot lock the facilitator out, and many browsers together cannot guess on unchecked.

Each count is taken under a lock (PostgreSQL: an advisory lock per client key, then the workshop's
row lock; SQLite: its one writer), so attempts sent at the same time are counted one after another.
The attempts are kept as hashes in `attempts` and deleted once older than every window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from edp.errors import PermissionDenied
from edp.models import Attempt, Participant, utcnow


@dataclass(frozen=True)
class Client:
    """Who is joining, as the UI knows it: the browser session, and the network address if known
    (None when it is loopback, e.g. the laptop itself). Behind a proxy on loopback the address is
    the one the proxy forwards (X-Forwarded-For, which the server trusts only from loopback)."""

    session: str
    address: str | None = None

    @property
    def session_key(self) -> str:
        return _digest("session", self.session)

    @property
    def address_key(self) -> str | None:
        return _digest("address", network_of(self.address)) if self.address else None


@dataclass(frozen=True)
class Limit:
    count: int
    window: dt.timedelta


WRONG_CODES_PER_SESSION = Limit(5, dt.timedelta(minutes=10))
WRONG_CODES_PER_ADDRESS = Limit(100, dt.timedelta(minutes=10))
JOINS_PER_SESSION = Limit(3, dt.timedelta(minutes=10))
JOINS_PER_ADDRESS = Limit(1000, dt.timedelta(minutes=10))
JOINS_PER_WORKSHOP = Limit(600, dt.timedelta(minutes=1))


@dataclass(frozen=True)
class SignInLimit:
    """Failed sign-ins allowed from one browser session, and from everyone together for one scope
    (a workshop's passcode, an account's password), within the same window."""

    per_session: Limit
    per_scope: Limit

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.per_scope.window.total_seconds() / 60))


PASSCODES = SignInLimit(Limit(5, dt.timedelta(minutes=5)), Limit(20, dt.timedelta(minutes=5)))
PASSWORDS = SignInLimit(Limit(5, dt.timedelta(minutes=15)), Limit(20, dt.timedelta(minutes=15)))
SETUP_CODES = SignInLimit(Limit(5, dt.timedelta(minutes=15)), Limit(20, dt.timedelta(minutes=15)))
# Attempts are kept as long as the longest window that counts them.
KEEP = max(WRONG_CODES_PER_SESSION.window, WRONG_CODES_PER_ADDRESS.window, JOINS_PER_SESSION.window,
           JOINS_PER_ADDRESS.window, PASSWORDS.per_scope.window, SETUP_CODES.per_scope.window)  # fmt: skip


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def network_of(address: str) -> str:
    """The address a throttle counts: an IPv4 address as it is; an IPv6 address by its /64
    network, since one device can take any address of its network's /64."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC


def _wait(oldest_counted: dt.datetime, limit: Limit, now: dt.datetime) -> dt.timedelta:
    return max(_aware(oldest_counted) + limit.window - now, dt.timedelta(seconds=1))


def _over(s: Session, column, key: str, kind: str, limit: Limit, now: dt.datetime) -> dt.timedelta | None:  # noqa: ANN001
    """How long until `key` may try again, if its attempts of `kind` within the window reach the limit."""
    since = now - limit.window
    where = (column == key, Attempt.kind == kind, Attempt.at >= since)
    n: int = s.execute(select(func.count()).select_from(Attempt).where(*where)).scalar_one()
    if n < limit.count:
        return None
    # Free again when enough of them have left the window to be under the limit by one.
    freed_by = s.execute(
        select(Attempt.at).where(*where).order_by(Attempt.at).offset(n - limit.count).limit(1)
    ).scalar_one()
    return _wait(freed_by, limit, now)


def _refuse(key: str, wait: dt.timedelta) -> None:
    seconds = math.ceil(wait.total_seconds())
    minutes = math.ceil(seconds / 60)
    if key == "codes":
        raise PermissionDenied("join.throttled_codes", field="join_code", minutes=minutes, seconds=seconds)
    raise PermissionDenied("join.throttled_joins", field="join_code", minutes=minutes, seconds=seconds)


def lock(s: Session, client: Client | None) -> None:
    """Count this client's attempts one after another (PostgreSQL; SQLite has one writer at a time)."""
    if client is None or s.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(k for k in (client.session_key, client.address_key) if k)
    for k in keys:  # in one order, so two clients sharing an address never wait on each other in a cycle
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int(k[:15], 16)})


def _client_waits(
    s: Session, client: Client, kind: str, per_session: Limit, per_address: Limit, now: dt.datetime
) -> list[dt.timedelta]:
    """How long this client must wait under each of its limits for `kind` that it is over (none: [])."""
    rules: list[tuple[InstrumentedAttribute[Any], str, Limit]] = [
        (Attempt.session_key, client.session_key, per_session)
    ]
    if client.address_key:
        rules.append((Attempt.address_key, client.address_key, per_address))
    return [w for column, key, limit in rules if (w := _over(s, column, key, kind, limit, now))]


def refuse_guessing(s: Session, client: Client | None, now: dt.datetime | None = None) -> None:
    """Refuse a client that has sent too many wrong codes: every code, the right one too."""
    if client is None:
        return
    now = now or utcnow()
    if waits := _client_waits(s, client, "wrong_code", WRONG_CODES_PER_SESSION, WRONG_CODES_PER_ADDRESS, now):
        _refuse("codes", max(waits))


def refuse_joining(s: Session, client: Client | None, workshop_id: int, now: dt.datetime | None = None) -> None:
    """Refuse a join over the client's limits or the workshop's. Call with the workshop locked."""
    if client is None:
        return
    now = now or utcnow()
    if waits := _client_waits(s, client, "joined", JOINS_PER_SESSION, JOINS_PER_ADDRESS, now):
        _refuse("joins", max(waits))
    since = now - JOINS_PER_WORKSHOP.window
    recent = (Participant.workshop_id == workshop_id, Participant.joined_at >= since)
    n: int = s.execute(select(func.count()).select_from(Participant).where(*recent)).scalar_one()
    if n >= JOINS_PER_WORKSHOP.count:
        freed_by = s.execute(
            select(Participant.joined_at)
            .where(*recent)
            .order_by(Participant.joined_at)
            .offset(n - JOINS_PER_WORKSHOP.count)
            .limit(1)
        ).scalar_one()
        assert freed_by is not None  # the rows counted have a joined_at (>= since)
        wait = _wait(freed_by, JOINS_PER_WORKSHOP, now)
        raise PermissionDenied("join.throttled_workshop", field="join_code", seconds=math.ceil(wait.total_seconds()))


def _forget_old(s: Session) -> None:
    old = select(Attempt.id).where(Attempt.at < utcnow() - KEEP).with_for_update(skip_locked=True)
    s.execute(delete(Attempt).where(Attempt.id.in_(old)).execution_options(synchronize_session=False))


def record(s: Session, client: Client | None, kind: str) -> None:
    """Count a wrong code or a join against the client, and forget attempts no window counts any more."""
    if client is None:
        return
    _forget_old(s)
    s.add(Attempt(kind=kind, session_key=client.session_key, address_key=client.address_key))
    s.flush()


# ---------------------------------------------------------------- failed sign-ins


def _count(s: Session, kind: str, scope: str, limit: Limit, now: dt.datetime, *extra) -> int:  # noqa: ANN002
    where = (Attempt.kind == kind, Attempt.scope == scope, Attempt.at >= now - limit.window, *extra)
    count: int = s.execute(select(func.count()).select_from(Attempt).where(*where)).scalar_one()
    return count


def refuse_failed_sign_ins(s: Session, kind: str, scope: str, client: Client | None, limit: SignInLimit) -> None:
    """Refuse a sign-in (even a right one) once this session, or everyone together, has failed too often
    at `scope` within the window. Call it with the scope's row locked, so racing tries count in turn."""
    now = utcnow()
    over = _count(s, kind, scope, limit.per_scope, now) >= limit.per_scope.count
    if client is not None and not over:
        mine = _count(s, kind, scope, limit.per_session, now, Attempt.session_key == client.session_key)
        over = mine >= limit.per_session.count
    if over:
        raise PermissionDenied("auth.throttled", minutes=limit.minutes)


def record_failed_sign_in(s: Session, kind: str, scope: str, client: Client | None) -> None:
    """Count a failed sign-in at `scope` (from no known session when `client` is None)."""
    _forget_old(s)
    s.add(Attempt(kind=kind, scope=scope, session_key=client.session_key if client else "",
                  address_key=client.address_key if client else None))  # fmt: skip
    s.flush()
