"""Settings read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "edp.sqlite"
DEFAULT_LANG = "sv"
LANGUAGES = ("sv", "en")


def database_url() -> str:
    """EDP_DATABASE_URL, or the embedded SQLite file under data/."""
    return os.environ.get("EDP_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def default_lang() -> str:
    lang = os.environ.get("EDP_LANG", DEFAULT_LANG)
    return lang if lang in LANGUAGES else DEFAULT_LANG
