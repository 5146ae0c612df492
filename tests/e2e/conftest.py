"""Browser tests: a real `streamlit run app.py` (on a demo database, or an empty one for the workshop scenario),
driven by Debian's chromium via pytest-playwright.

Without /usr/bin/chromium the browser tests are skipped locally and fail under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.screenshot import APP_TIMEOUT_MS, PHONE, make_demo_database, streamlit_server

expect.set_options(timeout=APP_TIMEOUT_MS // 2)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test item, so a fixture's teardown can tell a failed test (rep_call)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_demo_database(tmp_path_factory.mktemp("e2e-demo") / "demo.sqlite")


@pytest.fixture(scope="session")
def app_url(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a Streamlit server on the demo database (started once, stopped by its PID at the end)."""
    log = tmp_path_factory.mktemp("e2e-server") / "streamlit.log"
    with streamlit_server(demo_db_url, log) as base_url:
        yield base_url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page in a fresh 360x740 browser context (a participant's phone)."""
    context = browser.new_context(viewport=PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()
