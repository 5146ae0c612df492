"""What the server does besides running pages (st.App in app.py): at start, migrate an embedded
SQLite database and, on an instance without accounts, print the setup code for the first one;
then carry change events to the live screens' sockets (edp.ui.push), and on PostgreSQL listen
for the changes other replicas make (edp.events.PgListener)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from edp import accounts, config, events
from edp.db import shared_engine, upgrade
from edp.ui import push

log = logging.getLogger("edp.server")


def first_start() -> str | None:
    """Migrate SQLite; on an instance without accounts, a fresh setup code (None otherwise)."""
    url = config.database_url()
    engine = shared_engine(url)
    if make_url(url).get_backend_name() == "sqlite":
        upgrade(engine)
    try:
        return accounts.issue_setup_code(engine)
    except SQLAlchemyError:  # a server database not migrated yet: `python -m edp db upgrade`
        log.warning("could not check for organiser accounts; is the database migrated?", exc_info=True)
        return None


def setup_banner(code: str) -> str:
    return (
        "\n  No organiser account exists yet. Open the app, choose 'Logga in / Sign in' and create the\n"
        f"  first one with this setup code: {code}\n"
        "  (or on this machine: python -m edp user add NAME --admin)\n"
    )


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:  # noqa: ANN401 - the st.App
    code = await run_in_threadpool(first_start)
    if code:
        print(setup_banner(code), file=sys.stderr, flush=True)
    push.HUB.start(asyncio.get_running_loop())
    url = config.database_url()
    # On PostgreSQL, changes made on any replica reach this one's screens through LISTEN/NOTIFY.
    listener = events.PgListener(url).start() if events.is_postgres(url) else None
    log.info("live updates: %s", events.channel(url))
    try:
        yield
    finally:
        if listener is not None:
            await run_in_threadpool(listener.stop)
