"""Figures to files: PNG, SVG and PDF through kaleido (headless Chromium), HTML through plotly alone.

One Chromium serves the whole process: it is started on the first image, kept for the next
ones (about 0.2 s per image instead of 2.5 s for a fresh browser), used by one caller at a
time (kaleido is not thread-safe) and closed at exit. It runs on its own event-loop thread,
so a caller never needs an event loop and a failed start surfaces as an error instead of a
hang. Kaleido finds Debian's /usr/bin/chromium itself; BROWSER_PATH overrides the path.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from edp.errors import EdpError

FORMATS = ("png", "svg", "pdf", "html")
IMAGE_FORMATS = ("png", "svg", "pdf")
DEFAULT_HEIGHT = 1080
START_TIMEOUT_S = 60
RENDER_TIMEOUT_S = 120

Progress = Callable[[float, str], None]

_log = logging.getLogger(__name__)


def browser_path() -> str | None:
    """The Chromium kaleido will use (BROWSER_PATH first), or None when there is none."""
    override = os.environ.get("BROWSER_PATH")
    if override:
        return override if Path(override).is_file() else None
    from choreographer.browsers.chromium import Chromium

    found = Chromium.find_browser(skip_local=False)
    return found if found and Path(found).is_file() else None


class Renderer:
    """One kaleido browser on a private event-loop thread; `render` is serialised by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self.starts = 0  # how many browsers this renderer has started (for tests and diagnostics)

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def _start(self) -> None:
        if browser_path() is None:
            raise EdpError("export.chromium_missing")
        import kaleido
        from choreographer.errors import ChromeNotFoundError

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="edp-kaleido", daemon=True)
        thread.start()

        async def open_browser() -> Any:  # noqa: ANN401 - a kaleido.Kaleido
            k = kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT_S, mathjax=False)  # no CDN: these hosts are offline
            await k.open()
            return k

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(START_TIMEOUT_S)
        except ChromeNotFoundError as e:
            self._stop_loop(loop, thread)
            raise EdpError("export.chromium_missing") from e
        except Exception as e:
            self._stop_loop(loop, thread)
            raise EdpError("export.failed", reason=type(e).__name__) from e
        self._loop, self._thread = loop, thread
        self.starts += 1

    @staticmethod
    def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    def _close(self) -> None:
        """Close the browser and the loop (caller holds the lock)."""
        k, loop, thread = self._kaleido, self._loop, self._thread
        self._kaleido = self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            if k is not None:
                asyncio.run_coroutine_threadsafe(k.close(), loop).result(10)
        except Exception:  # noqa: BLE001 - closing a broken browser is best effort
            _log.warning("kaleido did not close cleanly", exc_info=True)
        self._stop_loop(loop, thread)

    def stop(self) -> None:
        with self._lock:
            self._close()

    def render(self, fig: go.Figure | dict[str, Any], opts: dict[str, Any]) -> bytes:
        with self._lock:
            if self._kaleido is None:
                self._start()
            assert self._loop is not None
            future = asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(fig, opts=opts), self._loop)
            try:
                return future.result(RENDER_TIMEOUT_S + 10)
            except Exception as e:
                future.cancel()
                _log.warning("kaleido failed; the browser is restarted on the next image", exc_info=True)
                self._close()
                raise EdpError("export.failed", reason=type(e).__name__) from e


# The only address plotly.js names: where geo maps fetch their outlines. No roadmap chart is a map,
# and the file must work offline and never call out, so the default is blanked in the inlined bundle.
TOPOJSON_DEFAULT = 'topojsonURL:{valType:"string",noBlank:!0,dflt:"https://cdn.plot.ly/un/"}'


def _html(fig: go.Figure) -> str:
    """One self-contained page: plotly.js inlined (no CDN), works offline."""
    page = fig.to_html(full_html=True, include_plotlyjs=True, config={"displaylogo": False})
    return page.replace(TOPOJSON_DEFAULT, TOPOJSON_DEFAULT.replace("https://cdn.plot.ly/un/", ""))


_RENDERER = Renderer()
atexit.register(_RENDERER.stop)


def _height(fig: go.Figure, height: int | None) -> int:
    if height:
        return int(height)
    layout_height = fig.layout.height if isinstance(fig, go.Figure) else None
    return int(layout_height) if layout_height else DEFAULT_HEIGHT


def export_figure(
    fig: go.Figure,
    fmt: str,
    *,
    width: int = 1920,
    height: int | None = None,
    scale: float = 1,
    progress: Progress | None = None,
) -> bytes:
    """`fig` as png, svg, pdf (one page) or html (self-contained: plotly.js inlined, no CDN).

    Images are laid out `width` CSS pixels wide (1920 by default) and as tall as `height`, else
    the figure's own layout height, else 1080; `scale` multiplies a PNG's pixels (scale 2 keeps
    the layout of a 1000 px chart, with its legible text, at 2000 px sharpness). Raises EdpError("export.chromium_missing") when an image is
    asked for and no Chromium is installed.
    """
    fmt = str(fmt).lower().strip()
    if fmt not in FORMATS:
        raise EdpError("export.format_unknown", field="format", value=fmt, options=", ".join(FORMATS))
    if progress:
        progress(0.0, fmt)
    if fmt == "html":
        out = _html(fig).encode("utf-8")
    else:
        out = _RENDERER.render(
            fig, {"format": fmt, "width": int(width), "height": _height(fig, height), "scale": scale}
        )
    if progress:
        progress(1.0, fmt)
    return out


def export_many(
    figs: Sequence[go.Figure],
    fmt: str,
    *,
    width: int = 1920,
    height: int | None = None,
    progress: Progress | None = None,
) -> list[bytes]:
    """Several figures in one format, in order, through the one shared browser.

    `progress(fraction, "i/n")` is called before each figure and with 1.0 at the end.
    """
    out: list[bytes] = []
    n = len(figs)
    for i, fig in enumerate(figs):
        if progress:
            progress(i / n, f"{i + 1}/{n}")
        out.append(export_figure(fig, fmt, width=width, height=height))
    if progress:
        progress(1.0, f"{n}/{n}")
    return out


def stop() -> None:
    """Close the shared browser now (it starts again on the next image)."""
    _RENDERER.stop()
