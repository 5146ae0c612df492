"""The nginx configuration that docs/deploy.md gives, made runnable on loopback: the doc's ```nginx
block with given replica ports, a given listening port and server name, and no TLS. Used by the
cross-replica bench (bench/live.py) and by tests/e2e/test_nginx.py, so both run what the doc says."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DOC_NAME = "edp.example.se"  # the public name in docs/deploy.md
STICKY_COOKIE = "edp_replica"
STICKY_KEY = "$edp_replica"  # what the doc's upstream hashes: the cookie, or the first response's random key


def deploy_doc() -> str:
    return (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def deploy_config(upstreams: list[int], listen: int, prefix: Path, server_name: str) -> str:
    """The ```nginx block of docs/deploy.md, with these replica ports, listening on loopback at
    `listen` for `server_name`, without TLS; its access log (prefix/access.log) names, for every
    request, the sticky key and the replica it went to."""
    (block,) = re.findall(r"```nginx\n(.*?)```", deploy_doc(), re.S)
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstreams)
    block = re.sub(
        r"(upstream edp \{\n(?:.*\n)*?)((?:    server 127\.0\.0\.1:\d+;\n)+)", lambda m: m.group(1) + servers, block
    )
    block = block.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen};")
    block = block.replace(f"server_name {DOC_NAME};", f"server_name {server_name};")
    assert f"127.0.0.1:{upstreams[-1]}" in block and f"listen 127.0.0.1:{listen}" in block
    assert f"server_name {server_name};" in block
    assert f"hash {STICKY_KEY} consistent;" in block and not re.search(r"^\s*ip_hash\s*;", block, re.M)
    return f"""
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    log_format sticky '{STICKY_KEY} $upstream_addr $status "$request"';
    access_log {prefix}/access.log sticky;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{block}
}}
"""


@contextmanager
def nginx_proxy(upstreams: list[int], listen: int, prefix: Path, server_name: str) -> Iterator[Path]:
    """Debian's nginx with the doc's configuration in front of `upstreams`; yields its access log."""
    conf = prefix / "nginx.conf"
    conf.write_text(deploy_config(upstreams, listen, prefix, server_name))
    subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(prefix)], check=True, capture_output=True)
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{listen}/_stcore/health", timeout=2) as resp:  # noqa: S310
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield prefix / "access.log"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def routed(log: Path) -> dict[str, list[tuple[str, str]]]:
    """Sticky key -> (replica, request line) of every request nginx has logged so far."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in log.read_text(encoding="utf-8").splitlines():
        key, upstream, _status, request = line.split(" ", 3)
        out[key].append((upstream, request.strip('"')))
    return out


def sticky_keys(listen: int, log: Path, upstreams: list[int], tries: int = 64) -> dict[int, str]:
    """A sticky cookie value for each replica port: values are tried against the proxy, and its
    log says where each one went (the doc's hash decides; nothing here imitates it)."""
    for i in range(tries):
        req = urllib.request.Request(
            f"http://127.0.0.1:{listen}/_stcore/health", headers={"Cookie": f"{STICKY_COOKIE}=bench-{i}"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
            resp.read()
    deadline = time.monotonic() + 5
    while True:
        found: dict[int, str] = {}
        for key, requests in routed(log).items():
            for upstream, _request in requests:
                port = int(upstream.rsplit(":", 1)[1]) if ":" in upstream else None
                if key.startswith("bench-") and port in upstreams:
                    found.setdefault(port, key)
        if len(found) == len(upstreams) or time.monotonic() > deadline:
            missing = [p for p in upstreams if p not in found]
            if missing:
                raise RuntimeError(f"no sticky key reached replica(s) {missing} in {tries} tries")
            return found
        time.sleep(0.2)
