"""`python -m edp room`: serve the app to the devices in the room, on the venue network."""

from __future__ import annotations

import os
import subprocess
import sys

from edp.config import ROOT, is_loopback, public_url


def room_command(port: int) -> tuple[list[str], dict[str, str], list[str]]:
    """The streamlit command line, its environment and any warnings for the facilitator."""
    env = dict(os.environ)
    url = public_url(port)
    env["EDP_PUBLIC_URL"] = url
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
