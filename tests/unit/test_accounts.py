"""Organiser accounts: local passwords, sessions that expire, signing out everywhere, the first
account of an empty instance, OpenID Connect identities, and consoles opened by an organiser.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from edp import accounts, throttle
from edp import workshop as ops
from edp.access import SESSION_IDLE, SESSION_MAX, SYSTEM, acting
from edp.db import read, write
from edp.errors import Conflict, NotFound, PermissionDenied, ValidationError
from edp.models import Attempt, FacilitatorSession, User, UserSession, utcnow
from edp.throttle import Client
from tests.conftest import table_counts
from tests.factory import make_setup
from tests.unit.test_workshop_ops import refused

STRONG = "fjällräv-kanot-2026"
OTHER = "myrstack-lavin-1979"


def make_user(engine, name: str = "anna", password: str = STRONG, **kw) -> int:
    return accounts.create_user(engine, SYSTEM, name, password=password, **kw)


def age_sessions(engine, *, created: dt.timedelta | None = None, seen: dt.timedelta | None = None) -> None:
    values = {}
    if created is not None:
        values["created_at"] = utcnow() - created
    if seen is not None:
        values["last_seen_at"] = utcnow() - seen
    with write(engine) as s:
        s.execute(update(UserSession).values(**values))
        s.execute(update(FacilitatorSession).values(**values))


# ---------------------------------------------------------------- passwords


def test_a_password_is_stored_only_as_an_argon2id_hash_and_signs_in(engine):
    make_user(engine)
    with read(engine) as s:
        stored = s.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$") and STRONG not in stored
    token = accounts.password_sign_in(engine, "Anna", STRONG)  # the username ignores case
    with read(engine) as s:
        assert s.scalar(select(UserSession.token_hash)) != token
    assert accounts.session_principal(engine, token).name == "anna"


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("12345678", "input.too_short"),
        ("          ", "input.too_easy_to_guess"),
        ("1234567890", "input.too_easy_to_guess"),
        ("password123", "input.too_easy_to_guess"),
        ("anna-anna-anna", "input.too_easy_to_guess"),
        ("x" * 201, "input.too_long"),
    ],
)
def test_a_weak_password_is_refused_naming_the_field_and_nothing_is_written(engine, password, key):
    refused(engine, ValidationError, key, accounts.create_user, SYSTEM, "anna", password=password, field="password")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(engine):
    make_user(engine)
    for name, password in (("anna", "fel-lösenord-här"), ("okänd", STRONG)):
        with pytest.raises(PermissionDenied) as info:
            accounts.password_sign_in(engine, name, password)
        assert info.value.key == "auth.wrong_password"


def test_wrong_passwords_are_throttled_per_browser_and_per_account(engine):
    make_user(engine)
    for _ in range(throttle.PASSWORDS.per_session.count):
        with pytest.raises(PermissionDenied):
            accounts.password_sign_in(engine, "anna", "fel", client=Client("attacker"))
    refused(
        engine, PermissionDenied, "auth.throttled", accounts.password_sign_in, "anna", STRONG, client=Client("attacker")
    )
    assert accounts.password_sign_in(engine, "anna", STRONG, client=Client("anna's laptop"))  # Anna is not locked out
    for i in range(throttle.PASSWORDS.per_scope.count):
        with pytest.raises(PermissionDenied):
            accounts.password_sign_in(engine, "anna", "fel", client=Client(f"botnet {i}"))
    refused(engine, PermissionDenied, "auth.throttled", accounts.password_sign_in, "anna", STRONG, client=Client("new"))


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(engine):
    uid = make_user(engine)
    make_user(engine, "admin", is_admin=True)
    token = accounts.password_sign_in(engine, "anna", STRONG)
    accounts.set_user_flags(engine, SYSTEM, uid, is_active=False)
    assert accounts.session_principal(engine, token) is None
    refused(engine, PermissionDenied, "auth.wrong_password", accounts.password_sign_in, "anna", STRONG,
            exclude=("attempts",))  # fmt: skip


def test_the_last_active_admin_stays_one(engine):
    uid = make_user(engine, is_admin=True)
    refused(engine, Conflict, "user.last_admin", accounts.set_user_flags, SYSTEM, uid, is_admin=False)
    refused(engine, Conflict, "user.last_admin", accounts.set_user_flags, SYSTEM, uid, is_active=False)


def test_usernames_are_unique_however_they_are_typed(engine):
    make_user(engine, "Anna.Berg")
    refused(engine, Conflict, "user.duplicate", accounts.create_user, SYSTEM, "anna.berg", password=OTHER,
            field="username")  # fmt: skip
    refused(engine, ValidationError, "user.username_characters", accounts.create_user, SYSTEM, "anna berg",
            password=OTHER, field="username")  # fmt: skip


# ---------------------------------------------------------------- sessions


def test_a_session_expires_after_twelve_idle_hours(engine):
    make_user(engine)
    token = accounts.password_sign_in(engine, "anna", STRONG)
    age_sessions(engine, seen=SESSION_IDLE - dt.timedelta(minutes=1))
    assert accounts.session_principal(engine, token) is not None  # and its use is recorded
    with read(engine) as s:
        assert utcnow() - s.scalar(select(UserSession.last_seen_at)).replace(tzinfo=dt.UTC) < dt.timedelta(minutes=1)
    age_sessions(engine, seen=SESSION_IDLE + dt.timedelta(minutes=1))
    assert accounts.session_principal(engine, token) is None
    with read(engine) as s, pytest.raises(PermissionDenied):
        acting(s, token)


def test_a_session_in_daily_use_still_ends_seven_days_after_sign_in(engine):
    make_user(engine)
    token = accounts.password_sign_in(engine, "anna", STRONG)
    age_sessions(engine, created=SESSION_MAX - dt.timedelta(minutes=1), seen=dt.timedelta(0))
    assert accounts.session_principal(engine, token) is not None
    age_sessions(engine, created=SESSION_MAX + dt.timedelta(minutes=1), seen=dt.timedelta(0))
    assert accounts.session_principal(engine, token) is None


def test_signing_out_ends_the_session_and_the_consoles_opened_from_it(engine):
    s = make_setup(engine)
    make_user(engine, is_admin=True)
    token = accounts.password_sign_in(engine, "anna", STRONG)
    console = accounts.open_console(engine, token, s.workshop_id)
    assert ops.set_live_results(engine, console, s.round_id, True)
    accounts.sign_out(engine, token)
    assert accounts.session_principal(engine, token) is None
    refused(engine, PermissionDenied, "auth.facilitator_required", ops.set_live_results, console, s.round_id, False)


def test_sign_out_everywhere_ends_every_browser_of_that_organiser_only(engine):
    make_user(engine)
    make_user(engine, "bo", OTHER)
    laptop, phone = (accounts.password_sign_in(engine, "anna", STRONG) for _ in range(2))
    other = accounts.password_sign_in(engine, "bo", OTHER)
    accounts.sign_out_everywhere(engine, phone)
    assert accounts.session_principal(engine, laptop) is None
    assert accounts.session_principal(engine, phone) is None
    assert accounts.session_principal(engine, other) is not None
    assert accounts.session_principal(engine, accounts.password_sign_in(engine, "anna", STRONG)) is not None


def test_a_changed_password_ends_the_other_sessions_and_needs_the_current_one(engine):
    make_user(engine)
    here, elsewhere = (accounts.password_sign_in(engine, "anna", STRONG) for _ in range(2))
    refused(engine, PermissionDenied, "auth.wrong_password", accounts.change_password, here, "fel", OTHER,
            field="current_password")  # fmt: skip
    refused(engine, ValidationError, "input.too_easy_to_guess", accounts.change_password, here, STRONG,
            "qwertyuiop12", field="new_password")  # fmt: skip
    accounts.change_password(engine, here, STRONG, OTHER)
    assert accounts.session_principal(engine, here) is not None
    assert accounts.session_principal(engine, elsewhere) is None
    assert accounts.password_sign_in(engine, "anna", OTHER)


def test_a_password_change_or_sign_out_everywhere_without_a_session_is_refused_as_signed_out(engine):
    # The account page's tab can lose its session (signed out in another tab) while the form is open:
    # the engine refuses the missing token as it refuses a stale one, not with a crash on None.
    make_user(engine)
    for token in (None, ""):
        refused(engine, PermissionDenied, "auth.sign_in_required", accounts.change_password, token, STRONG, OTHER)
        refused(engine, PermissionDenied, "auth.sign_in_required", accounts.sign_out_everywhere, token)
    assert accounts.password_sign_in(engine, "anna", STRONG)


def test_a_console_opened_by_an_organiser_stops_when_the_role_is_taken_away(engine):
    s = make_setup(engine)
    uid = make_user(engine)
    grant = accounts.grant_role(engine, SYSTEM, uid, "facilitator", workshop_id=s.workshop_id)
    token = accounts.password_sign_in(engine, "anna", STRONG)
    console = accounts.open_console(engine, token, s.workshop_id)
    assert ops.set_live_results(engine, console, s.round_id, True)
    accounts.revoke_role(engine, SYSTEM, grant)
    refused(engine, PermissionDenied, "auth.facilitator_required", ops.set_live_results, console, s.round_id, False)
    refused(engine, PermissionDenied, "auth.facilitator_role_required", accounts.open_console, token, s.workshop_id)


def test_a_passcode_console_expires_when_idle_and_a_changed_passcode_ends_the_others(engine):
    s = make_setup(engine)
    other = ops.login_facilitator(engine, s.workshop_id, "test-passcode")
    ops.set_workshop_passcode(engine, s.fac, "ny-lösenkod-för-rummet")
    refused(engine, PermissionDenied, "auth.facilitator_required", ops.set_live_results, other, s.round_id, True)
    refused(engine, PermissionDenied, "auth.wrong_passcode", ops.login_facilitator, s.workshop_id, "test-passcode",
            field="passcode", exclude=("attempts", "audit_events"))  # fmt: skip
    assert ops.set_live_results(engine, s.fac, s.round_id, True)  # the one that changed it goes on
    age_sessions(engine, seen=SESSION_IDLE + dt.timedelta(minutes=1))
    refused(engine, PermissionDenied, "auth.facilitator_required", ops.set_live_results, s.fac, s.round_id, False)


@pytest.mark.parametrize("passcode", ["12345678", "        ", "aaaaaaaaaa", "password"])
def test_a_weak_passcode_is_refused_and_nothing_is_written(engine, passcode):
    s = make_setup(engine)
    refused(engine, ValidationError, "input.too_easy_to_guess", ops.create_workshop, SYSTEM, s.process_id, "W",
            passcode, field="passcode")  # fmt: skip
    refused(engine, ValidationError, "input.too_easy_to_guess", ops.set_workshop_passcode, s.fac, passcode,
            field="passcode")  # fmt: skip


def test_a_workshop_without_a_passcode_opens_to_no_passcode(engine):
    s = make_setup(engine)
    ws = ops.create_workshop(engine, SYSTEM, s.process_id, "Utan lösenkod")
    for guess in ("", "test-passcode"):
        with pytest.raises(PermissionDenied):
            ops.login_facilitator(engine, ws.id, guess)


# ---------------------------------------------------------------- the first account


def test_the_first_account_needs_the_setup_code_and_becomes_an_admin(engine):
    code = accounts.issue_setup_code(engine)
    assert code and accounts.issue_setup_code(engine) != code  # each start prints a new one
    code = accounts.issue_setup_code(engine)
    refused(engine, PermissionDenied, "setup.wrong_code", accounts.create_first_admin, "fel-kod", "anna", STRONG,
            field="setup_code", exclude=("attempts", "setup_codes"))  # fmt: skip
    uid = accounts.create_first_admin(engine, code.lower(), "anna", STRONG, display_name="Anna")
    with read(engine) as s:
        assert s.get(User, uid).is_admin
    assert accounts.issue_setup_code(engine) is None
    refused(engine, PermissionDenied, "setup.done", accounts.create_first_admin, code, "bo", OTHER)


def test_setup_code_guesses_are_throttled(engine):
    code = accounts.issue_setup_code(engine)
    for i in range(throttle.SETUP_CODES.per_session.count):
        with pytest.raises(PermissionDenied):
            accounts.create_first_admin(engine, f"gissning-{i}", "mallory", STRONG, client=Client("visitor"))
    refused(engine, PermissionDenied, "auth.throttled", accounts.create_first_admin, code, "mallory", STRONG,
            client=Client("visitor"))  # fmt: skip
    assert accounts.create_first_admin(engine, code, "anna", STRONG, client=Client("the laptop"))


# ---------------------------------------------------------------- OpenID Connect


def _claims(sub: str = "alice", **extra) -> dict:
    return {"iss": "https://idp.example", "sub": sub, "email": f"{sub}@region.example", "name": sub.title(),
            "iat": int(utcnow().timestamp()), **extra}  # fmt: skip


def test_an_oidc_sign_in_makes_an_account_without_roles_once(engine):
    token = accounts.oidc_sign_in(engine, _claims(), "signed-cookie-1")
    p = accounts.session_principal(engine, token)
    assert p.name == "Alice" and not p.is_admin and not (p.leads or p.observes or p.facilitates)
    again = accounts.oidc_sign_in(engine, _claims(), "signed-cookie-2")
    assert accounts.session_principal(engine, again).user_id == p.user_id
    with read(engine) as s:
        assert s.scalar(select(func.count(User.id))) == 1
        assert s.scalar(select(User.username)) == "alice@region.example"


def test_an_oidc_sign_in_takes_over_the_account_an_admin_made_ahead_with_its_roles(engine):
    s = make_setup(engine)
    ahead = accounts.create_user(engine, SYSTEM, "lena", display_name="Lena", email="Lena@Region.example")
    accounts.grant_role(engine, SYSTEM, ahead, "process_leader", process_id=s.process_id)
    p = accounts.session_principal(engine, accounts.oidc_sign_in(engine, _claims("lena"), "cookie-lena"))
    assert p.user_id == ahead and p.leads == {s.process_id}
    # Later sign-ins find it by the identity; the address no longer matters.
    again = accounts.oidc_sign_in(engine, _claims("lena", email="lena.new@region.example"), "cookie-lena-2")
    assert accounts.session_principal(engine, again).user_id == ahead


def test_an_oidc_sign_in_takes_over_no_account_with_a_password_an_identity_or_an_unverified_address(engine):
    with_password = make_user(engine, "anna", email="anna@region.example")
    accounts.create_user(engine, SYSTEM, "bo", email="bo@region.example")
    accounts.oidc_sign_in(engine, _claims("bo", iss="https://other-idp.example"), "cookie-bo-elsewhere")
    accounts.create_user(engine, SYSTEM, "cilla", email="cilla@region.example")
    for claims, key in (
        (_claims("anna"), "c-anna"),  # the account has a password
        (_claims("bo"), "c-bo"),  # already taken over by another identity
        (_claims("cilla", email_verified=False), "c-cilla"),  # the provider does not vouch for the address
    ):
        p = accounts.session_principal(engine, accounts.oidc_sign_in(engine, claims, key))
        assert p.user_id not in {with_password} and not (p.leads or p.observes or p.facilitates or p.is_admin)
    with read(engine) as s:
        made = s.scalars(select(User.username).where(User.oidc_subject.in_(["anna", "bo", "cilla"]))).all()
    assert len(made) == 4  # bo elsewhere, then three new accounts


def test_an_oidc_sign_in_older_than_seven_days_or_before_sign_out_everywhere_is_refused(engine):
    old = _claims(iat=int((utcnow() - SESSION_MAX - dt.timedelta(minutes=1)).timestamp()))
    refused(engine, PermissionDenied, "auth.session_expired", accounts.oidc_sign_in, old, "cookie-old")
    token = accounts.oidc_sign_in(engine, _claims(iat=int((utcnow() - dt.timedelta(minutes=5)).timestamp())), "c1")
    accounts.sign_out_everywhere(engine, token)
    refused(engine, PermissionDenied, "auth.session_expired", accounts.oidc_sign_in,
            _claims(iat=int((utcnow() - dt.timedelta(minutes=5)).timestamp())), "c1-again")  # fmt: skip
    assert accounts.oidc_sign_in(engine, _claims(iat=int(utcnow().timestamp()) + 1), "c2")


def test_a_copy_of_the_identity_cookie_does_not_sign_in_again_after_signing_out(engine):
    claims = _claims(iat=int((utcnow() - dt.timedelta(minutes=5)).timestamp()))
    token = accounts.oidc_sign_in(engine, claims, "the-cookie")
    w = make_setup(engine)
    accounts.grant_role(engine, SYSTEM, accounts.session_principal(engine, token).user_id, "facilitator",
                        workshop_id=w.workshop_id)  # fmt: skip
    console = accounts.open_console(engine, token, w.workshop_id)
    assert ops.set_live_results(engine, console, w.round_id, True)
    accounts.sign_out(engine, token)
    assert accounts.session_principal(engine, token) is None
    refused(engine, PermissionDenied, "auth.facilitator_required", ops.set_live_results, console, w.round_id, False)
    refused(engine, PermissionDenied, "auth.session_expired", accounts.oidc_sign_in, claims, "the-cookie")
    assert accounts.session_principal(engine, accounts.oidc_sign_in(engine, _claims(), "a-new-cookie"))


def test_an_oidc_identity_without_issuer_or_subject_is_refused(engine):
    for claims in ({"sub": "x"}, {"iss": "https://idp.example"}):
        refused(engine, PermissionDenied, "auth.sign_in_required", accounts.oidc_sign_in, claims, "cookie")


# ---------------------------------------------------------------- roles


def test_a_process_leader_grants_facilitators_of_their_own_process_only(engine):
    s = make_setup(engine)
    other = ops.create_process(engine, SYSTEM, "Annan process")
    other_ws = ops.create_workshop(engine, SYSTEM, other.id, "Annan workshop")
    leader, helper = make_user(engine), make_user(engine, "bo", OTHER)
    accounts.grant_role(engine, SYSTEM, leader, "process_leader", process_id=s.process_id)
    token = accounts.password_sign_in(engine, "anna", STRONG)
    assert accounts.grant_role(engine, token, helper, "facilitator", workshop_id=s.workshop_id)
    refused(engine, Conflict, "role.duplicate", accounts.grant_role, token, helper, "facilitator",
            workshop_id=s.workshop_id, field="role")  # fmt: skip
    refused(engine, PermissionDenied, "auth.process_leader_required", accounts.grant_role, token, helper,
            "facilitator", workshop_id=other_ws.id)  # fmt: skip
    refused(engine, PermissionDenied, "auth.admin_required", accounts.grant_role, token, helper, "process_leader",
            process_id=s.process_id)  # fmt: skip
    refused(engine, NotFound, "workshop.not_found", accounts.grant_role, token, helper, "facilitator",
            workshop_id=99999, field="workshop")  # fmt: skip


def test_a_facilitator_of_one_workshop_opens_its_console_and_no_other(engine):
    s = make_setup(engine)
    second = ops.create_workshop(engine, SYSTEM, s.process_id, "Andra workshoppen")
    uid = make_user(engine)
    accounts.grant_role(engine, SYSTEM, uid, "facilitator", workshop_id=s.workshop_id)
    token = accounts.password_sign_in(engine, "anna", STRONG)
    assert accounts.open_console(engine, token, s.workshop_id)
    refused(engine, PermissionDenied, "auth.facilitator_role_required", accounts.open_console, token, second.id)


def test_a_passcode_console_cannot_open_another_console_or_act_as_an_organiser(engine):
    s = make_setup(engine)
    second = ops.create_workshop(engine, SYSTEM, s.process_id, "Andra workshoppen")
    refused(engine, PermissionDenied, "auth.facilitator_role_required", accounts.open_console, s.fac, second.id)
    refused(engine, PermissionDenied, "auth.sign_in_required", accounts.open_console, s.fac, s.workshop_id)
    refused(engine, PermissionDenied, "auth.process_leader_required", ops.create_workshop, s.fac, s.process_id, "X")


def test_old_attempts_are_forgotten_as_new_ones_come(engine):
    make_user(engine)
    with pytest.raises(PermissionDenied):
        accounts.password_sign_in(engine, "anna", "fel", client=Client("a"))
    with write(engine) as s:
        s.execute(update(Attempt).values(at=utcnow() - throttle.PASSWORDS.per_scope.window - dt.timedelta(minutes=1)))
    with pytest.raises(PermissionDenied):
        accounts.password_sign_in(engine, "anna", "fel", client=Client("a"))
    assert table_counts(engine)["attempts"] == 1


def test_passwords_are_hashed_with_argon2id_at_a_memory_hard_cost():
    shipped = accounts.PASSWORD_HASHER  # the test suite hashes with a cheaper one (tests/conftest.py)
    assert shipped.type.name == "ID" and shipped.memory_cost >= 64 * 1024 and shipped.time_cost >= 3
    assert shipped.verify(shipped.hash("fjällräv-kanot-2026"), "fjällräv-kanot-2026")
