"""Who may do what. Every operation that changes or reveals organiser data takes the acting
principal (`who`) and checks its role here, inside the operation's own transaction.

`who` is one of:
- an organiser's session token (a signed-in account: edp.accounts),
- a console token (a FacilitatorSession: opened with a workshop's passcode, or by an organiser),
- `SYSTEM`: the operator at the command line and the demo loader, who already holds the database.

Pages never make a principal themselves: they pass the token they hold, and the engine decides.
Roles (edp.models.ORG_ROLES): an instance admin may do everything; a process leader leads one
process (its workshops, actors and roadmaps); an observer reads a process's results and roadmaps;
a facilitator runs one workshop. A workshop passcode gives a console for that workshop only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from edp.errors import PermissionDenied
from edp.models import FacilitatorSession, RoleGrant, User, UserSession, Workshop, utcnow
from edp.security import token_hash

# A session ends after this long without use, and at the latest this long after sign-in.
SESSION_IDLE = dt.timedelta(hours=12)
SESSION_MAX = dt.timedelta(days=7)
# last_seen_at is written at most this often, so reading pages stays (almost) free of writes.
TOUCH_EVERY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Principal:
    """The acting organiser, as the database says right now."""

    kind: str  # "user", "console" (a workshop console opened with the passcode) or "system"
    name: str = ""
    user_id: int | None = None
    is_admin: bool = False
    leads: frozenset[int] = field(default_factory=frozenset)  # process ids
    observes: frozenset[int] = field(default_factory=frozenset)  # process ids
    facilitates: frozenset[int] = field(default_factory=frozenset)  # workshop ids
    session_id: int | None = None
    has_password: bool = False  # False for an account that signs in through the identity provider only

    def may_lead(self, process_id: int) -> bool:
        return self.is_admin or process_id in self.leads

    def may_read(self, process_id: int) -> bool:
        return self.may_lead(process_id) or process_id in self.observes

    def may_facilitate(self, workshop_id: int, process_id: int) -> bool:
        return self.may_lead(process_id) or workshop_id in self.facilitates

    @property
    def audit_role(self) -> str:
        return {"user": "organiser", "console": "facilitator"}.get(self.kind, "system")


# The one principal not backed by a session. Compared by identity: an equal-looking object
# made anywhere else is refused.
SYSTEM = Principal(kind="system", name="system", is_admin=True)

Credential = str | Principal


def aware(at: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC; PostgreSQL aware."""
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def session_expired(created_at: dt.datetime, last_seen_at: dt.datetime, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return now - aware(last_seen_at) > SESSION_IDLE or now - aware(created_at) > SESSION_MAX


def _user_principal(s: Session, user: User, session_id: int | None) -> Principal:
    grants = s.execute(
        select(RoleGrant.role, RoleGrant.process_id, RoleGrant.workshop_id).where(RoleGrant.user_id == user.id)
    ).all()
    return Principal(
        kind="user",
        name=user.display_name or user.username,
        user_id=user.id,
        is_admin=bool(user.is_admin),
        # A facilitator grant names a workshop, every other grant a process (a check constraint).
        leads=frozenset(p for r, p, _ in grants if r == "process_leader" and p is not None),
        observes=frozenset(p for r, p, _ in grants if r == "observer" and p is not None),
        facilitates=frozenset(w for r, _, w in grants if r == "facilitator" and w is not None),
        session_id=session_id,
        has_password=user.password_hash is not None,
    )


def live_user_session(s: Session, token: str | None) -> tuple[UserSession, User] | None:
    """The organiser session this token opens, if it is still valid (not expired, not ended by
    'sign out everywhere', the account active); None for a missing token too."""
    if not isinstance(token, str) or not token:
        return None
    row = s.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    us, user = row
    return (us, user) if user_session_holds(us, user) else None


def user_session_holds(us: UserSession, user: User) -> bool:
    """An organiser session still counts: not signed out, not expired, not ended by 'sign out
    everywhere', and the account active."""
    if us.ended_at is not None or not user.is_active or session_expired(us.created_at, us.last_seen_at):
        return False
    return user.sessions_valid_after is None or aware(us.created_at) >= aware(user.sessions_valid_after)


def acting(s: Session, who: Credential | None) -> Principal:
    """The principal behind `who`, or PermissionDenied('auth.sign_in_required')."""
    if who is SYSTEM:
        return SYSTEM
    if not isinstance(who, str) or not who:
        raise PermissionDenied("auth.sign_in_required")
    found = live_user_session(s, who)
    if found is not None:
        us, user = found
        return _user_principal(s, user, us.id)
    workshop_id = console_workshop(s, who)
    if workshop_id is not None:
        return Principal(kind="console", name="console", facilitates=frozenset({workshop_id}))
    raise PermissionDenied("auth.sign_in_required")


def console_workshop(s: Session, token: str) -> int | None:
    """The workshop a console token (FacilitatorSession) is for, if it still holds: not expired, and
    when an organiser opened it, that organiser's session and role still hold."""
    if not isinstance(token, str) or not token:
        return None
    fs = s.scalar(select(FacilitatorSession).where(FacilitatorSession.token_hash == token_hash(token)))
    if fs is None or session_expired(fs.created_at, fs.last_seen_at):
        return None
    if fs.user_session_id is not None:
        row = s.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.id == fs.user_session_id)
        ).first()
        if row is None:
            return None
        us, user = row
        if not user_session_holds(us, user):
            return None
        process_id = s.scalar(select(Workshop.process_id).where(Workshop.id == fs.workshop_id))
        if process_id is None or not _user_principal(s, user, us.id).may_facilitate(fs.workshop_id, process_id):
            return None
    return fs.workshop_id


def touch(s: Session, model: type[UserSession] | type[FacilitatorSession], session_id: int) -> None:
    """Record use of a session (for the idle limit), at most every TOUCH_EVERY."""
    now = utcnow()
    s.execute(
        update(model)
        .where(model.id == session_id, model.last_seen_at < now - TOUCH_EVERY)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def require_admin(p: Principal) -> None:
    if not p.is_admin:
        raise PermissionDenied("auth.admin_required")


def require_lead(p: Principal, process_id: int) -> None:
    if not p.may_lead(process_id):
        raise PermissionDenied("auth.process_leader_required")


def require_read(p: Principal, process_id: int) -> None:
    if not p.may_read(process_id):
        raise PermissionDenied("auth.observer_required")


def require_facilitate(p: Principal, workshop_id: int, process_id: int) -> None:
    if not p.may_facilitate(workshop_id, process_id):
        raise PermissionDenied("auth.facilitator_role_required")
