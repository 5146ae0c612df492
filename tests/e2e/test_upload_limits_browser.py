"""Uploads in a real browser and server, on the shipped config: a file over the uploader's limit is
refused at once with a message naming the limit, and the server refuses any upload body over
server.maxUploadSize before the app sees it (a 158 MB registration CSV once took the server from
0.6 to 2.9 GB)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, expect

from edp.demo import DEMO_PASSCODE_DEFAULT
from edp.files import CSV_MAX_BYTES, MB, UPLOAD_MAX_MB
from tests.e2e.screenshot import wait_for_app

pytestmark = pytest.mark.browser
TITLE = "Anmälda deltagare"


def main(page: Page):  # noqa: ANN201
    return page.get_by_test_id("stMain")


def open_registrations(page: Page, base_url: str) -> None:
    page.goto(base_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Leda workshop", exact=True).click()
    wait_for_app(page)
    page.locator(".st-key-fac-login-passcode input").fill(DEMO_PASSCODE_DEFAULT)
    page.get_by_role("button", name="Logga in", exact=True).click()
    expect(page.locator(".st-key-fac-login-passcode")).to_have_count(0)
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Anmälningar", exact=True).click()
    expect(main(page).get_by_role("heading", name=TITLE)).to_be_visible()
    wait_for_app(page)


def test_red_team_an_oversized_upload_is_refused_at_once_by_the_page_and_by_the_server(page: Page, app_url: str):
    open_registrations(page, app_url)
    uploads: list[Request] = []
    page.on("request", lambda r: uploads.append(r) if "/_stcore/upload_file/" in r.url else None)
    chooser = main(page).locator("input[type='file']")

    # Over the uploader's 2 MB: refused in the page, naming the limit; nothing is sent.
    chooser.set_input_files({"name": "anmalan.csv", "mimeType": "text/csv", "buffer": b"a" * (CSV_MAX_BYTES + 1)})
    expect(main(page).get_by_text(re.compile(r"File must be 2(\.0)? ?MB or smaller"))).to_be_visible()
    assert not [r for r in uploads if r.method == "PUT"]

    # A small file goes through; its request shows the session's upload address and XSRF token.
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as info:
        chooser.set_input_files({"name": "ok.csv", "mimeType": "text/csv", "buffer": b"name,organisation,helix\n"})
    small = info.value
    xsrf = small.headers.get("x-xsrftoken", "")

    # The same address with a body over server.maxUploadSize: the server answers 413 at once,
    # as it would to a script that bypasses the page.
    big = page.request.put(
        re.sub(r"/[^/]+$", "/oversized", small.url),
        headers={"X-Xsrftoken": xsrf},
        multipart={"file": {"name": "big.csv", "mimeType": "text/csv", "buffer": b"a" * (UPLOAD_MAX_MB * MB + 1)}},
    )
    assert big.status == 413
    ok = page.request.put(
        re.sub(r"/[^/]+$", "/fits", small.url),
        headers={"X-Xsrftoken": xsrf},
        multipart={"file": {"name": "fits.csv", "mimeType": "text/csv", "buffer": b"name,organisation,helix\n"}},
    )
    assert ok.status == 204  # the same request with a small body is taken: the 413 is the size
