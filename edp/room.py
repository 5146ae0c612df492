"""`python -m edp room`: serve the app to the devices in the room, on the venue network."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlparse

from edp import config
from edp.config import ROOT, is_loopback, public_url

# The names the shipped .streamlit/config.toml allows (server.allowedHosts): this computer only.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# Streamlit reads a list option from the environment as names separated by whitespace; a comma
# would make one name that matches nothing. The variable (like a flag) replaces the config file's list.
ALLOWED_HOSTS_ENV = "STREAMLIT_SERVER_ALLOWED_HOSTS"


def room_hosts(url: str) -> list[str]:
    """The Host names the room reaches the server by: loopback (the facilitator's own browser),
    the host of the join URL (the QR code), the LAN address, and any the operator already allows."""
    hosts = [*LOOPBACK_HOSTS, *os.environ.get(ALLOWED_HOSTS_ENV, "").split()]
    joined = urlparse(url).hostname  # `[fe80::1]` -> `fe80::1`, as Streamlit parses a Host header
    hosts += [h for h in (joined, config.lan_address()) if h]
    return list(dict.fromkeys(h.lower() for h in hosts))


def room_command(port: int) -> tuple[list[str], dict[str, str], list[str]]:
    """The streamlit command line, its environment and any warnings for the facilitator."""
    env = dict(os.environ)
    url = public_url(port)
    env["EDP_PUBLIC_URL"] = url
    # The shipped config allows loopback only (DNS rebinding); the phones come by the join URL's host.
    env[ALLOWED_HOSTS_ENV] = " ".join(room_hosts(url))
    warnings = []
    if is_loopback(url):
        warnings.append(
            f"warning: the join address {url} is only reachable from this computer. Connect to the venue's "
            "network, or set EDP_PUBLIC_URL to the address the room can reach."
        )
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.address", "0.0.0.0", "--server.port", str(port),
    ]  # fmt: skip
    return cmd, env, warnings


def main(port: int) -> int:
    cmd, env, warnings = room_command(port)
    for w in warnings:
        print(w, file=sys.stderr)
    print(f"participants join at {env['EDP_PUBLIC_URL']} (the projector page shows the QR code)")
    return subprocess.call(cmd, env=env, cwd=ROOT)
