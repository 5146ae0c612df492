"""Signing in through the region's identity provider (OpenID Connect, st.login), in a real browser
against a local provider (oidc-provider-mock): the first sign-in makes an account with no role, a
role granted by an admin takes effect, signing out ends the session for good (a copy of the identity
cookie does not bring it back), and a disabled account is signed out on its next page."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import select

from edp import accounts
from edp import workshop as ops
from edp.access import SYSTEM
from edp.db import make_engine, read
from edp.models import User, UserSession
from edp.queries import overview
from tests.e2e.screenshot import free_port, make_empty_database, streamlit_process, wait_for_app
from tests.e2e.test_workshop_browser import main

pytestmark = pytest.mark.browser

PROCESS = "Upplevelser 2026"
CLAIMS = {"sub": "anna-berg", "email": "anna.berg@regionjh.example", "name": "Anna Berg"}
PROVIDER_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The issuer URL of a local OpenID Connect provider with one predefined user."""
    port = free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    cmd = [sys.executable, "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(port),
           "--user-claims", json.dumps(CLAIMS)]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + PROVIDER_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OIDC provider did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield issuer
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL on localhost, database URL): the app with [auth] in its secrets, on a database with
    an admin and one process. The flow starts on the redirect URI's own origin (localhost)."""
    tmp = tmp_path_factory.mktemp("e2e-oidc")
    db_url = make_empty_database(tmp / "oidc.sqlite")
    engine = make_engine(db_url)
    try:
        accounts.create_user(engine, SYSTEM, "admin", password="fjällräv-kanot-2026", is_admin=True)
        ops.create_process(engine, SYSTEM, PROCESS)
    finally:
        engine.dispose()
    port = free_port()
    base_url = f"http://localhost:{port}"
    secrets_file = tmp / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{base_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "edp-workshop"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {"STREAMLIT_SECRETS_FILES": str(secrets_file)}
    with streamlit_process(db_url, tmp / "streamlit.log", port=port, env=env):
        yield base_url, db_url


def only_local(route: Route) -> None:
    """The provider's pages pull a stylesheet from a CDN: nothing leaves the machine."""
    host = route.request.url.split("/")[2].split(":")[0]
    route.continue_() if host in ("127.0.0.1", "localhost") else route.abort()


def new_page(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", only_local)
    return context, context.new_page()


def sidebar(page: Page):  # noqa: ANN201
    return page.get_by_test_id("stSidebar")


def signed_in(page: Page) -> None:
    expect(sidebar(page).get_by_role("link", name="Mitt konto", exact=True)).to_be_visible()
    expect(sidebar(page).get_by_role("link", name="Logga in", exact=True)).to_have_count(0)


def signed_out(page: Page) -> None:
    expect(sidebar(page).get_by_role("link", name="Logga in", exact=True)).to_be_visible()
    expect(sidebar(page).get_by_role("link", name="Mitt konto", exact=True)).to_have_count(0)


def sign_in_at_provider(page: Page, base_url: str) -> None:
    page.goto(base_url)
    wait_for_app(page)
    sidebar(page).get_by_role("link", name="Logga in", exact=True).click()
    wait_for_app(page)
    main(page).get_by_role("button", name="Logga in med OpenID Connect", exact=True).click()
    page.wait_for_url("http://127.0.0.1:*/oauth2/authorize*")
    page.get_by_role("button", name=CLAIMS["sub"], exact=True).first.click()
    page.wait_for_url(f"{base_url}/**")
    wait_for_app(page)


def account_of(db_url: str) -> tuple[int, int]:
    """(user id, live sessions) of the provider's user."""
    engine = make_engine(db_url)
    try:
        with read(engine) as s:
            user = s.scalar(select(User).where(User.oidc_subject == CLAIMS["sub"]))
            assert user is not None, "the first sign-in made no account"
            sessions = s.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
            return user.id, sum(1 for us in sessions if us.ended_at is None)
    finally:
        engine.dispose()


def test_an_organiser_signs_in_through_the_identity_provider_and_gets_the_role_an_admin_grants(
    browser: Browser, server
) -> None:
    base_url, db_url = server
    context, page = new_page(browser)
    sign_in_at_provider(page, base_url)
    signed_in(page)

    # The first sign-in makes an account, named from the ID token, with no role at all.
    user_id, live = account_of(db_url)
    assert live == 1
    sidebar(page).get_by_role("link", name="Mitt konto", exact=True).click()
    wait_for_app(page)
    expect(main(page).get_by_text(CLAIMS["name"], exact=True)).to_be_visible()
    expect(main(page).get_by_text("Inga roller än.", exact=False)).to_be_visible()
    # Its password lives at the provider: no form to change one here.
    expect(main(page).get_by_text("lösenordet byter du där", exact=False)).to_be_visible()
    expect(main(page).get_by_label("Nuvarande lösenord")).to_have_count(0)
    sidebar(page).get_by_role("link", name="Förbered", exact=True).click()
    wait_for_app(page)
    expect(main(page).get_by_text("Du leder ingen process än.", exact=False)).to_be_visible()
    expect(sidebar(page).get_by_role("link", name="Administration", exact=True)).to_have_count(0)

    # An admin makes them the process's leader: the next page shows the process.
    engine = make_engine(db_url)
    try:
        [process_id] = [p["id"] for p in overview(engine) if p["title"] == PROCESS]
        accounts.grant_role(engine, SYSTEM, user_id, "process_leader", process_id=process_id)
    finally:
        engine.dispose()
    page.reload()
    wait_for_app(page)
    expect(main(page).get_by_role("combobox", name="Process")).to_have_value(PROCESS)
    context.close()


def test_signing_out_holds_even_against_a_copy_of_the_identity_cookie_and_a_disabled_account_is_signed_out(
    browser: Browser, server
) -> None:
    base_url, db_url = server
    context, page = new_page(browser)
    sign_in_at_provider(page, base_url)
    signed_in(page)
    copied = context.cookies()  # what a hostile visitor could lift from an unlocked laptop
    live = account_of(db_url)[1]  # this browser's session, and any other the account still has
    assert any(c["name"].startswith("_streamlit_user") for c in copied)

    sidebar(page).get_by_role("link", name="Mitt konto", exact=True).click()
    wait_for_app(page)
    main(page).get_by_role("button", name="Logga ut", exact=True).click()
    # Signing out here also ends the sign-in at the provider (its end-session page), then comes back.
    page.wait_for_url("http://127.0.0.1:*/oauth2/end_session*")
    page.get_by_role("button", name="End session", exact=True).click()
    page.wait_for_url(f"{base_url}/**")
    wait_for_app(page)
    signed_out(page)
    page.reload()
    wait_for_app(page)
    signed_out(page)
    assert account_of(db_url)[1] == live - 1
    context.close()

    # The copied cookie, in another browser: refused, with a message, and no new session.
    thief, stolen = new_page(browser)
    thief.add_cookies(copied)
    stolen.goto(f"{base_url}/inloggning")
    wait_for_app(stolen)
    signed_out(stolen)
    expect(main(stolen).get_by_text("Inloggningen har gått ut", exact=False)).to_be_visible()
    assert account_of(db_url)[1] == live - 1
    thief.close()

    # Signed in again, then the admin disables the account: the next page is signed out.
    context, page = new_page(browser)
    sign_in_at_provider(page, base_url)
    signed_in(page)
    engine = make_engine(db_url)
    try:
        accounts.set_user_flags(engine, SYSTEM, account_of(db_url)[0], is_active=False)
    finally:
        engine.dispose()
    page.goto(f"{base_url}/inloggning")
    wait_for_app(page)
    signed_out(page)
    expect(main(page).get_by_text("Kontot är avstängt", exact=False)).to_be_visible()
    context.close()
