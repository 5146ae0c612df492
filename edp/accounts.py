"""Organiser accounts: local passwords (Argon2id) and OpenID Connect identities, their sessions
(idle and absolute expiry, sign out everywhere, password change), the first account of an empty
instance, role grants, and consoles opened by a signed-in organiser.

Every operation is one transaction; the checks of who may do what are in edp.access.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from edp import access, throttle, validate
from edp.access import SYSTEM, Credential, Principal, acting, aware, require_admin, require_lead
from edp.db import read, write
from edp.errors import Conflict, NotFound, PermissionDenied, ValidationError
from edp.models import (
    ORG_ROLES,
    FacilitatorSession,
    Process,
    RoleGrant,
    SetupCode,
    User,
    UserSession,
    Workshop,
    utcnow,
)
from edp.security import new_token, token_hash

USERNAME_MAX = 80
DISPLAY_NAME_MAX = 120
EMAIL_MAX = 200
PASSWORD_MIN = 10
PASSWORD_MAX = 200
# zxcvbn's score (0-4): 3 means "safely unguessable" (about 10^8 guesses or more).
PASSWORD_SCORE = 3
# Workshop passcodes: 8 characters or more and score 2 (about 10^6 guesses or more), because
# passcode sign-ins are throttled per client and per workshop.
PASSCODE_SCORE = 2
SETUP_CODE_VALID = dt.timedelta(days=1)


# Argon2id with argon2-cffi's defaults (RFC 9106's second recommendation: 64 MiB, t=3, p=4).
PASSWORD_HASHER = PasswordHasher()
_HASHER = PASSWORD_HASHER  # the test suite swaps in a cheaper one
# Compared when the username is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


# ---------------------------------------------------------------- names and secrets


def normalise_username(value: object) -> str:
    """NFKC, casefolded: one account however it is typed. Letters, digits and . _ - @ only."""
    name = validate.text(value, "username", min_len=1, max_len=USERNAME_MAX, multiline=False)
    name = unicodedata.normalize("NFKC", name).casefold()
    if not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise ValidationError("user.username_characters", field="username")
    return name


def check_secret(value: object, field: str, *, min_len: int, score: int, hints: tuple[str, ...] = ()) -> str:
    """A password or passcode: long enough, not too long, and not easy to guess (zxcvbn)."""
    if not isinstance(value, str):
        raise ValidationError("input.not_text", field=field)
    if len(value) < min_len:
        raise ValidationError("input.too_short", field=field, min=min_len, length=len(value))
    if len(value) > PASSWORD_MAX:
        raise ValidationError("input.too_long", field=field, max=PASSWORD_MAX, length=len(value))
    if zxcvbn(value, user_inputs=[h for h in hints if h])["score"] < score:
        raise ValidationError("input.too_easy_to_guess", field=field)
    return value


def check_password(value: object, *hints: str, field: str = "password") -> str:
    return check_secret(value, field, min_len=PASSWORD_MIN, score=PASSWORD_SCORE, hints=hints)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


# ---------------------------------------------------------------- users


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    email: str
    is_admin: bool
    is_active: bool
    has_password: bool
    oidc: bool
    grants: tuple[tuple[int, str, int | None, int | None], ...]  # (grant id, role, process id, workshop id)


def _new_user(s, username: str, display_name: str, email: str, password: str | None, is_admin: bool) -> User:  # noqa: ANN001
    name = normalise_username(username)
    shown = validate.text(display_name or name, "organiser_name", min_len=1, max_len=DISPLAY_NAME_MAX, multiline=False)
    mail = validate.text(email, "email", max_len=EMAIL_MAX, multiline=False)
    if password is not None:
        check_password(password, name, shown, mail)
    if s.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict("user.duplicate", field="username", name=name)
    user = User(
        username=name,
        display_name=shown,
        email=mail,
        password_hash=hash_password(password) if password is not None else None,
        is_admin=bool(is_admin),
    )
    s.add(user)
    s.flush()
    return user


def create_user(
    engine: Engine,
    who: Credential,
    username: str,
    *,
    display_name: str = "",
    password: str | None = None,
    email: str = "",
    is_admin: bool = False,
) -> int:
    """A new organiser account (admin only). Without a password it can only sign in through OIDC."""
    with write(engine) as s:
        require_admin(acting(s, who))
        return _new_user(s, username, display_name, email, password, is_admin).id


def users_exist(engine: Engine) -> bool:
    with read(engine) as s:
        return (s.scalar(select(func.count(User.id))) or 0) > 0


def list_users(engine: Engine, who: Credential) -> list[UserRow]:
    with read(engine) as s:
        require_admin(acting(s, who))
        grants: dict[int, list] = {}
        for g in s.scalars(select(RoleGrant).order_by(RoleGrant.id)):
            grants.setdefault(g.user_id, []).append((g.id, g.role, g.process_id, g.workshop_id))
        return [
            UserRow(
                u.id,
                u.username,
                u.display_name,
                u.email,
                bool(u.is_admin),
                bool(u.is_active),
                u.password_hash is not None,
                u.oidc_subject is not None,
                tuple(grants.get(u.id, ())),
            )  # fmt: skip
            for u in s.scalars(select(User).order_by(User.username))
        ]


def _user(s, user_id: int) -> User:  # noqa: ANN001
    user = s.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("user.not_found", field="user", id=user_id)
    return user


def _admins(s) -> int:  # noqa: ANN001
    return s.scalar(select(func.count(User.id)).where(User.is_admin.is_(True), User.is_active.is_(True)))


def set_user_flags(
    engine: Engine, who: Credential, user_id: int, *, is_admin: bool | None = None, is_active: bool | None = None
) -> None:
    """Make an account an admin or not, active or not. The last active admin stays one."""
    with write(engine) as s:
        require_admin(acting(s, who))
        user = _user(s, user_id)
        if is_admin is not None:
            user.is_admin = bool(is_admin)
        if is_active is not None:
            user.is_active = bool(is_active)
            if not is_active:
                s.execute(delete(UserSession).where(UserSession.user_id == user.id))
        s.flush()
        if _admins(s) == 0:
            raise Conflict("user.last_admin", field="user")


def set_password(engine: Engine, who: Credential, user_id: int, password: str) -> None:
    """An admin sets a new password for an account (a forgotten one); its sessions end."""
    with write(engine) as s:
        require_admin(acting(s, who))
        user = _user(s, user_id)
        user.password_hash = hash_password(check_password(password, user.username, user.display_name, user.email))
        s.execute(delete(UserSession).where(UserSession.user_id == user.id))


# ---------------------------------------------------------------- the first account


def issue_setup_code(engine: Engine) -> str | None:
    """On an instance with no accounts, a new one-time code for making the first one in the browser
    (the server prints it in its log when it starts; an earlier code stops working). None when
    accounts exist."""
    with write(engine) as s:
        if s.scalar(select(func.count(User.id))):
            return None
        code = "-".join(secrets.token_hex(3).upper() for _ in range(3))
        current = s.get(SetupCode, 1)
        if current is None:
            s.add(SetupCode(id=1, code_hash=token_hash(code)))
        else:
            current.code_hash, current.created_at = token_hash(code), utcnow()
        return code


def create_first_admin(
    engine: Engine,
    setup_code: str,
    username: str,
    password: str,
    *,
    display_name: str = "",
    client: throttle.Client | None = None,
) -> int:
    """The first organiser account of an empty instance, with the setup code from the server's log."""
    with write(engine) as s:
        current = s.get(SetupCode, 1, with_for_update=True)
        if s.scalar(select(func.count(User.id))):
            raise PermissionDenied("setup.done")
        throttle.refuse_failed_sign_ins(s, "wrong_setup_code", "setup", client, throttle.SETUP_CODES)
        given = token_hash((setup_code or "").strip().upper())
        if (
            current is None
            or utcnow() - aware(current.created_at) >= SETUP_CODE_VALID
            or not hmac.compare_digest(given, current.code_hash)
        ):
            throttle.record_failed_sign_in(s, "wrong_setup_code", "setup", client)  # committed; the refusal follows
        else:
            user = _new_user(s, username, display_name, "", password, True)
            s.delete(current)
            return user.id
    raise PermissionDenied("setup.wrong_code", field="setup_code")


# ---------------------------------------------------------------- signing in and out


def password_sign_in(engine: Engine, username: str, password: str, *, client: throttle.Client | None = None) -> str:
    """A session token for a local account, or PermissionDenied. Wrong passwords are throttled per
    client and per account, so nobody in the room can lock an organiser out from one browser."""
    try:
        name = normalise_username(username)
    except ValidationError:
        name = ""
    scope = f"password:{name}"
    with write(engine) as s:
        user = s.scalar(select(User).where(User.username == name).with_for_update()) if name else None
        throttle.refuse_failed_sign_ins(s, "wrong_password", scope, client, throttle.PASSWORDS)
        ok = isinstance(password, str) and verify_password(password, user.password_hash if user else None)
        if ok and user is not None and user.is_active:
            token = new_token()
            s.add(UserSession(user_id=user.id, token_hash=token_hash(token), kind="password"))
            return token
        throttle.record_failed_sign_in(s, "wrong_password", scope, client)
    raise PermissionDenied("auth.wrong_password", field="password")


def oidc_sign_in(engine: Engine, claims: Mapping[str, object], key: str) -> str:
    """Map an OpenID Connect sign-in (the ID token's claims, as st.user gives them) to an account.
    The first sign-in takes over an account an admin made for it ahead (no password, not yet signed
    in, the same e-mail address, which the provider has not marked unverified), roles and all;
    otherwise it makes one without any role. `key` is the browser's signed identity cookie: the
    session is found by its hash, and the returned token is `key` itself."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject or not isinstance(key, str) or not key:
        raise PermissionDenied("auth.sign_in_required")
    issued = claims.get("iat")
    now = utcnow()
    signed_in_at = dt.datetime.fromtimestamp(issued, dt.UTC) if isinstance(issued, int | float) else now
    with write(engine) as s:
        user = s.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
        if user is None:
            user = _made_ahead(s, claims)
            if user is not None:
                user.oidc_issuer, user.oidc_subject = issuer, subject
        if user is None:
            email = str(claims.get("email") or "")[:EMAIL_MAX]
            base = normalise_username(email or f"{subject}@{issuer.split('//')[-1].split('/')[0]}"[:USERNAME_MAX])
            name, n = base, 1
            while s.scalar(select(User.id).where(User.username == name)) is not None:
                n += 1
                name = f"{base[: USERNAME_MAX - 4]}-{n}"
            shown = str(claims.get("name") or email or subject)[:DISPLAY_NAME_MAX]
            user = User(username=name, display_name=validate.text(shown, "display_name", max_len=DISPLAY_NAME_MAX,
                        multiline=False) or name, email=email, oidc_issuer=issuer, oidc_subject=subject)  # fmt: skip
            s.add(user)
            s.flush()
        if not user.is_active:
            raise PermissionDenied("auth.account_disabled")
        if now - signed_in_at > access.SESSION_MAX or (
            user.sessions_valid_after is not None and signed_in_at < aware(user.sessions_valid_after)
        ):
            raise PermissionDenied("auth.session_expired")
        existing = s.scalar(select(UserSession).where(UserSession.token_hash == token_hash(key)))
        if existing is None:
            s.add(UserSession(user_id=user.id, token_hash=token_hash(key), kind="oidc", created_at=signed_in_at))
        elif access.live_user_session(s, key) is None:
            raise PermissionDenied("auth.session_expired")
        return key


def _made_ahead(s: Session, claims: Mapping[str, object]) -> User | None:
    """The account an admin made ahead for this identity: matched by e-mail address (case ignored),
    only if it has no password and no identity yet, and only if the provider vouches for the address."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip() or claims.get("email_verified") is False:
        return None
    found = s.scalars(
        select(User).where(
            func.lower(User.email) == email.strip().lower(),
            User.password_hash.is_(None),
            User.oidc_subject.is_(None),
        )
    ).all()
    return found[0] if len(found) == 1 else None


def session_principal(engine: Engine, token: str | None) -> Principal | None:
    """The signed-in organiser behind a session token, or None. Records the use for the idle limit,
    in a write only when the last record is older than access.TOUCH_EVERY."""
    if not isinstance(token, str) or not token:
        return None
    with read(engine) as s:
        found = access.live_user_session(s, token)
        if found is None:
            return None
        session_id, stale = found[0].id, utcnow() - aware(found[0].last_seen_at) > access.TOUCH_EVERY
        p = acting(s, token)
    if stale:
        with write(engine) as s:
            access.touch(s, UserSession, session_id)
    return p


def sign_out(engine: Engine, token: str | None) -> None:
    """End this session and the consoles opened from it. The row is kept, marked ended, until it would
    have expired anyway: an OIDC session's token is the browser's identity cookie, and a copy of it
    must not sign in again. Rows past SESSION_MAX are cleared on the way."""
    now = utcnow()
    with write(engine) as s:
        us = s.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token or "")))
        if us is not None:
            us.ended_at = now
            s.execute(delete(FacilitatorSession).where(FacilitatorSession.user_session_id == us.id))
        s.execute(
            delete(UserSession)
            .where(UserSession.created_at < now - access.SESSION_MAX)
            .execution_options(synchronize_session=False)
        )


def sign_out_everywhere(engine: Engine, token: str | None) -> None:
    """End every session of this organiser, in every browser; OIDC sign-ins made before now no longer count."""
    with write(engine) as s:
        found = access.live_user_session(s, token)
        if found is None:
            raise PermissionDenied("auth.sign_in_required")
        user = found[1]
        user.sessions_valid_after = utcnow()
        s.execute(delete(UserSession).where(UserSession.user_id == user.id))


def change_password(engine: Engine, token: str | None, current: str, new: str) -> None:
    """A signed-in organiser changes their own password; their other sessions end."""
    with write(engine) as s:
        found = access.live_user_session(s, token)
        if found is None:
            raise PermissionDenied("auth.sign_in_required")
        us, user = found
        if user.password_hash is None or not verify_password(current or "", user.password_hash):
            raise PermissionDenied("auth.wrong_password", field="current_password")
        check_password(new, user.username, user.display_name, user.email, field="new_password")
        if new == current:
            raise ValidationError("user.password_unchanged", field="new_password")
        user.password_hash = hash_password(new)
        s.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.id != us.id))


# ---------------------------------------------------------------- roles


def _scope(
    s, p: Principal, role: str, process_id: int | None, workshop_id: int | None
) -> tuple[int | None, int | None]:  # noqa: ANN001
    """Check a grant's scope and whether `p` may grant it: an admin anything, a process leader the
    facilitators and observers of their own process."""
    validate.choice(role, "role", ORG_ROLES)
    if role == "facilitator":
        ws = s.get(Workshop, workshop_id) if isinstance(workshop_id, int) else None
        if ws is None:
            raise NotFound("workshop.not_found", field="workshop", id=workshop_id)
        owner = ws.process_id
        scope = (None, ws.id)
    else:
        proc = s.get(Process, process_id) if isinstance(process_id, int) else None
        if proc is None:
            raise NotFound("process.not_found", field="process", id=process_id)
        owner = proc.id
        scope = (proc.id, None)
    if role == "process_leader":
        require_admin(p)
    else:
        require_lead(p, owner)
    return scope


def grant_role(
    engine: Engine, who: Credential, user_id: int, role: str, *, process_id: int | None = None,
    workshop_id: int | None = None,
) -> int:  # fmt: skip
    """Give an organiser a role: process leader or observer of a process, facilitator of a workshop."""
    with write(engine) as s:
        p = acting(s, who)
        pid, wid = _scope(s, p, role, process_id, workshop_id)
        user = _user(s, user_id)
        same = select(RoleGrant.id).where(RoleGrant.user_id == user.id, RoleGrant.role == role)
        same = same.where(RoleGrant.workshop_id == wid) if wid else same.where(RoleGrant.process_id == pid)
        if s.scalar(same) is not None:
            raise Conflict("role.duplicate", field="role")
        grant = RoleGrant(user_id=user.id, role=role, process_id=pid, workshop_id=wid)
        s.add(grant)
        try:
            s.flush()
        except IntegrityError as exc:  # a concurrent identical grant
            raise Conflict("role.duplicate", field="role") from exc
        return grant.id


def revoke_role(engine: Engine, who: Credential, grant_id: int) -> None:
    with write(engine) as s:
        p = acting(s, who)
        grant = s.get(RoleGrant, grant_id) if isinstance(grant_id, int) else None
        if grant is None:
            raise NotFound("role.not_found", field="role", id=grant_id)
        _scope(s, p, grant.role, grant.process_id, grant.workshop_id)
        s.delete(grant)


# ---------------------------------------------------------------- consoles


def open_console(engine: Engine, who: Credential, workshop_id: int) -> str:
    """A console token for one workshop, for a signed-in organiser whose role allows it. It ends with
    the organiser's session and stops working if the role is taken away."""
    with write(engine) as s:
        p = acting(s, who)
        ws = s.get(Workshop, workshop_id) if isinstance(workshop_id, int) else None
        if ws is None:
            raise NotFound("workshop.not_found", field="workshop", id=workshop_id)
        access.require_facilitate(p, ws.id, ws.process_id)
        if p.kind != "user" and p is not SYSTEM:
            raise PermissionDenied("auth.sign_in_required")
        token = new_token()
        s.add(FacilitatorSession(workshop_id=ws.id, token_hash=token_hash(token), user_session_id=p.session_id))
        return token
