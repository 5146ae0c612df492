"""Helpers the AppTest modules share."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT_S = 30


def ok(at: AppTest) -> AppTest:
    """The run raised nothing (a traceback on any screen is a failure)."""
    assert not at.exception, [e.value for e in at.exception]
    return at


STRONG = "fjällräv-kanot-2026"


def organiser_token(engine, username: str = "ledare", *, admin: bool = False, leads: int | None = None,
                    observes: int | None = None, facilitates: int | None = None) -> str:  # fmt: skip
    """A signed-in organiser's session token (an account made for the test, with these roles)."""
    from edp import accounts
    from edp.access import SYSTEM

    uid = accounts.create_user(engine, SYSTEM, username, password=STRONG, is_admin=admin)
    for role, key, scope in (("process_leader", "process_id", leads), ("observer", "process_id", observes),
                             ("facilitator", "workshop_id", facilitates)):  # fmt: skip
        if scope is not None:
            accounts.grant_role(engine, SYSTEM, uid, role, **{key: scope})
    return accounts.password_sign_in(engine, username, STRONG)


def as_organiser(token: str, page: str | None = None, **state) -> AppTest:
    """The app (or `page`) for a browser tab holding this organiser session."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.session_state["org_token"] = token
    for key, value in state.items():
        at.session_state[key] = value
    ok(at.run())  # the router first: a first run that starts on another page skips it in AppTest
    return ok(at.switch_page(page).run()) if page else at
