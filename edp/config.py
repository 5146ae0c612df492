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


def lan_address() -> str:
    """This machine's address on the local network, or 127.0.0.1 when it has none.

    Connecting a UDP socket sends nothing; it only asks the OS which interface would be used.
    """
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, never contacted
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def public_url(port: int) -> str:
    """The base URL the room uses to reach this server: EDP_PUBLIC_URL, else the LAN address."""
    explicit = os.environ.get("EDP_PUBLIC_URL", "").strip()
    if explicit:
        return explicit.rstrip("/")
    return f"http://{lan_address()}:{port}"


def is_loopback(url: str) -> bool:
    from urllib.parse import urlparse

    host = urlparse(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")
