"""Scale-out: two Streamlit replicas on one PostgreSQL. A participant votes on replica A and the
projector on replica B shows it by itself; all state lives in the database, none in a replica."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, text

from edp import workshop as ops
from edp.db import make_engine
from edp.live import participant_view
from tests.conftest import PG_URL, require_service
from tests.e2e.screenshot import streamlit_server, wait_idle
from tests.factory import make_setup, projector_key

pytestmark = pytest.mark.browser

CROSS_MS = 20_000  # the projector polls every 2 s


@pytest.fixture(scope="module")
def pg_engine(pg_url: str | None) -> Iterator[Engine]:
    require_service(pg_url is not None, f"PostgreSQL at {PG_URL}")
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def replicas(
    pg_url: str | None, pg_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    logs = tmp_path_factory.mktemp("replicas")
    with streamlit_server(pg_url, logs / "a.log") as a, streamlit_server(pg_url, logs / "b.log") as b:
        yield a, b


def test_a_vote_on_replica_a_shows_on_the_projector_of_replica_b(browser: Browser, replicas, pg_engine):
    a, b = replicas
    assert a != b
    s = make_setup(
        pg_engine,
        ops.RoundSpec(method="approval"),
        participants={"business": 2, "academia": 1},
        themes=3,
        phase="voting",
    )
    voter = s.tokens[0]
    with pg_engine.connect() as conn:  # both replicas really share this one database
        assert (
            conn.execute(
                text("SELECT count(*) FROM participants WHERE workshop_id = :w"), {"w": s.workshop_id}
            ).scalar()
            == 3
        )

    proj_ctx, phone_ctx = browser.new_context(), browser.new_context(viewport={"width": 390, "height": 844})
    try:
        projector = proj_ctx.new_page()
        projector.goto(f"{b}/?projector={projector_key(pg_engine, s.workshop_id)}")
        wait_idle(projector)
        turnout = projector.locator(".st-key-proj-turnout-overall").get_by_test_id("stMetricValue")
        expect(turnout).to_have_text("0 / 3", timeout=CROSS_MS)

        phone = phone_ctx.new_page()
        phone.goto(f"{a}/?p={voter}")
        wait_idle(phone)
        first = phone.locator(f".st-key-ballot-{s.round_id}-approve-{s.themes[0]}")
        first.get_by_text("Jag stöder det här temat").click()
        phone.get_by_role("button", name="Skicka min röst").click()
        expect(phone.get_by_text("Din röst är sparad")).to_be_visible()
        assert [tid for tid, _c, _v in participant_view(pg_engine, voter).ballot] == [s.themes[0]]

        # Replica B never saw the vote's request: it learns of it from PostgreSQL.
        expect(turnout).to_have_text("1 / 3", timeout=CROSS_MS)
        expect(projector.get_by_test_id("stException")).to_have_count(0)
        expect(phone.get_by_test_id("stException")).to_have_count(0)
    finally:
        proj_ctx.close()
        phone_ctx.close()
