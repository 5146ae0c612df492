"""Per-session basics for every page: the engine (cached, migrated), the language and translation."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from edp import config, i18n
from edp.db import make_engine, upgrade

LANG_KEY = "lang"
LANG_WIDGET = "lang_select"
LANG_NAMES = {"sv": "Svenska", "en": "English"}
# The page icon, a file of our own: Streamlit turns it into inline data. A ":material/…:" page
# icon would make every browser fetch it from Google's font servers (docs/security.md).
FAVICON = Path(__file__).with_name("favicon.svg")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = make_engine(url)
    # An embedded SQLite database is migrated on start; a server database is migrated by `python -m edp db upgrade`.
    if make_url(url).get_backend_name() == "sqlite":
        upgrade(engine)
    return engine


def engine() -> Engine:
    return _engine(config.database_url())


def lang() -> str:
    return st.session_state.get(LANG_KEY) or config.default_lang()


def t(key: str, **params) -> str:  # noqa: ANN003
    return i18n.t(key, lang(), **params)


def _chosen_language() -> None:
    st.session_state[LANG_KEY] = st.session_state[LANG_WIDGET]


def language_switch() -> None:
    """The sidebar language choice. The chosen language lives in session_state[LANG_KEY]; the
    widget only mirrors it, so a widget Streamlit re-creates (e.g. on the first run's page
    switch) shows the current language instead of falling back to its first option."""
    current = lang()
    st.session_state[LANG_KEY] = current
    options = i18n.available_languages()
    st.session_state[LANG_WIDGET] = current
    st.sidebar.selectbox(
        i18n.t("ui.language", current),
        options,
        key=LANG_WIDGET,
        on_change=_chosen_language,
        format_func=lambda code: LANG_NAMES.get(code, code),
        placeholder=i18n.t("ui.choose", current),
    )


LOCAL_TZ = "Europe/Stockholm"


def local_clock(at: dt.datetime, fmt: str = "%H:%M:%S") -> str:
    """A stored time (UTC) on the region's clock."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
    with contextlib.suppress(KeyError, ValueError):  # no time zone database: UTC is still right
        aware = aware.astimezone(ZoneInfo(LOCAL_TZ))
    return aware.strftime(fmt)
