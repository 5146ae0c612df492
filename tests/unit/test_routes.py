"""The password sign-in route (edp/ui/routes.py), served by Starlette beside the pages: it signs in
with the right password only, sets a session cookie the pages read, and makes its own checks (a
custom route gets none of Streamlit's): the Host, the Origin and its form token."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from edp import accounts
from edp.access import SYSTEM
from edp.ui import routes
from edp.ui.session import SESSION_COOKIE

STRONG = "fjällräv-kanot-2026"
BASE = "http://localhost"


@pytest.fixture
def client(engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    from streamlit import config as st_config

    real = st_config.get_option
    monkeypatch.setattr(
        st_config, "get_option", lambda key: ["localhost"] if key == "server.allowedHosts" else real(key)
    )
    monkeypatch.setenv("EDP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    accounts.create_user(engine, SYSTEM, "anna", password=STRONG)
    return TestClient(Starlette(routes=routes.ROUTES), base_url=BASE, follow_redirects=False)


def form_token(client: TestClient, path: str = routes.SIGN_IN_PATH) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)


def post(client: TestClient, token: str, password: str = STRONG, **headers: str):  # noqa: ANN201
    return client.post(
        f"{routes.SIGN_IN_PATH}?next=/fardplaner&lang=sv",
        data={"form_token": token, "username": "anna", "password": password},
        headers={"origin": BASE, **headers},
    )


def test_the_right_password_sets_a_working_session_cookie_and_goes_on(client, engine):
    response = post(client, form_token(client))
    assert response.status_code == 303 and response.headers["location"] == "/fardplaner"
    token = response.cookies[SESSION_COOKIE]
    assert accounts.session_principal(engine, token).name == "anna"


def test_a_wrong_password_shows_the_form_again_with_the_message_and_no_cookie(client):
    response = post(client, form_token(client), password="fel-lösenord")
    assert response.status_code == 401
    assert "Fel användarnamn eller lösenord." in response.text
    assert SESSION_COOKIE not in response.cookies
    assert 'value="anna"' in response.text  # the username stays typed


def test_a_post_from_another_origin_or_without_the_form_token_signs_nobody_in(client):
    token = form_token(client)
    assert post(client, token, origin="http://evil.example").status_code == 403
    assert post(client, "a-forged-token").status_code == 400
    client.cookies.clear()
    assert post(client, token).status_code == 400  # the form token must match this browser's cookie


def test_a_host_not_on_the_allow_list_is_refused(client):
    assert client.get(routes.SIGN_IN_PATH, headers={"host": "evil.example"}).status_code == 403


def test_the_session_cookie_is_http_only_and_same_site(client):
    response = post(client, form_token(client))
    header = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in header and "HttpOnly" in header and "SameSite=lax" in header
    assert "Path=/" in header and "Max-Age=604800" in header


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example", "/\\evil", "evil", "/\t/evil.example", "/\r\n/evil", "/ /e"]
)
def test_the_next_address_stays_on_this_site(target):
    assert routes.safe_next(target) == "/"
    assert routes.safe_next("/anslut?join=X") == "/anslut?join=X"


def test_the_form_is_in_the_chosen_language_with_labels_for_every_field(client):
    page = client.get(f"{routes.SIGN_IN_PATH}?lang=en").text
    assert '<html lang="en">' in page
    for field in ("username", "password"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert "Sign in as an organiser" in page
    assert "http" not in page.split("<body>")[1].replace('href="/', "")  # nothing loaded from elsewhere
