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

from edp.errors import EdpError, ValidationError

FORMATS = ("png", "svg", "pdf", "html")
IMAGE_FORMATS = ("png", "svg", "pdf")
DEFAULT_HEIGHT = 1080
START_TIMEOUT_S = 60
RENDER_TIMEOUT_S = 120
# Each export drawn for where it is used (charts' smallest text is 14 CSS px):
PAGE_SIZES_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}  # a chart's PDF page, landscape
PX_PER_MM = 96 / 25.4  # CSS pixels; kaleido's PDF page is the layout's size at 96 px an inch
PT_PER_PX = 0.75
# A PNG or SVG for a projector: laid out 1100 px wide, a 14 px label shown slide-wide (960 pt) is 12.2 pt;
# drawn at twice the pixels, so it stays sharp.
PROJECTOR_WIDTH_PX = 1100
PROJECTOR_SCALE = 2

Progress = Callable[[float, str], None]

_log = logging.getLogger(__name__)
# kaleido and choreographer log through the standard logging module. With no handler set up (the
# command line), Python's last-resort handler printed their warnings and tracebacks on stderr
# during a run that succeeded ("JSONError decoding message. Ignoring"). Their records go on at
# DEBUG, under this module's logger, for whoever asks for them.
THIRD_PARTY_LOGGERS = ("choreographer", "kaleido", "logistro")


class _AtDebug(logging.Handler):
    """Passes a third-party record on at DEBUG, under edp.io.imaging.browser."""

    def emit(self, record: logging.LogRecord) -> None:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        target = logging.getLogger(f"{__name__}.browser")
        if target.isEnabledFor(logging.DEBUG):
            target.handle(record)


def _quiet_third_party() -> None:
    for name in THIRD_PARTY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, _AtDebug) for h in logger.handlers):
            logger.addHandler(_AtDebug())
        logger.propagate = False


_quiet_third_party()


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


def page_size_of(value: object) -> str:
    """ "A4" or "A3" (any case); anything else is refused with a message naming the field and the choices."""
    size = str(value if value is not None else "").strip().upper()
    if size not in PAGE_SIZES_MM:
        raise ValidationError(
            "export.page_size_unknown", field="paper_size", value=str(value), options=", ".join(PAGE_SIZES_MM)
        )
    return size


def layout_width(fmt: str, page_size: str = "A4") -> int:
    """The width a chart is laid out at for a format's medium (its labels are placed for it)."""
    if fmt == "pdf":
        return round(PAGE_SIZES_MM[page_size_of(page_size)][0] * PX_PER_MM)
    return PROJECTOR_WIDTH_PX if fmt in ("png", "svg") else 1000


def pdf_scale(fig: go.Figure, page_size: str = "A4") -> tuple[float, float, float]:
    """(layout width, layout height, shrink) of a figure on a landscape page: laid out as wide as the page
    in CSS pixels (14 px text = 10.5 pt) and as tall as the figure, or, when the figure is taller than the
    page, that much larger and then shrunk (`shrink` < 1) to fit the page."""
    w_mm, h_mm = PAGE_SIZES_MM[page_size_of(page_size)]
    page_w, page_h = w_mm * PX_PER_MM, h_mm * PX_PER_MM
    fig_h = _height(fig, None)
    k = max(1.0, fig_h / page_h)
    return page_w * k, fig_h, 1 / k


def pdf_page(fig: go.Figure, page_size: str = "A4") -> bytes:
    """`fig` as a one-page PDF of exactly `page_size` (A4 or A3, landscape): the chart across the page's
    width at the top, its own height (a short chart is not stretched), shrunk only when taller than the page."""
    import io

    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.generic import RectangleObject

    width, height, shrink = pdf_scale(fig, page_size)
    data = _RENDERER.render(fig, {"format": "pdf", "width": round(width), "height": round(height), "scale": 1})
    w_mm, h_mm = PAGE_SIZES_MM[page_size_of(page_size)]
    page_w, page_h = w_mm * PX_PER_MM * PT_PER_PX, h_mm * PX_PER_MM * PT_PER_PX
    writer = PdfWriter()
    page = writer.add_page(PdfReader(io.BytesIO(data)).pages[0])
    drawn_h = float(page.mediabox.height) * shrink
    page.add_transformation(Transformation().scale(shrink, shrink).translate(0, page_h - drawn_h))
    for box in ("mediabox", "cropbox", "trimbox", "artbox", "bleedbox"):
        setattr(page, box, RectangleObject((0, 0, page_w, page_h)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def export_chart(fig: go.Figure, fmt: str, *, page_size: str = "A4", progress: Progress | None = None) -> bytes:
    """A roadmap chart drawn for its medium: PNG (twice the pixels) and SVG laid out for a projector
    (PROJECTOR_WIDTH_PX), PDF on an A4 or A3 landscape page (`page_size`), HTML interactive.
    A bad format or page size is refused before anything is drawn."""
    fmt = str(fmt).lower().strip()
    if fmt not in FORMATS:
        raise EdpError("export.format_unknown", field="format", value=fmt, options=", ".join(FORMATS))
    size = page_size_of(page_size)
    if fmt == "pdf":
        if progress:
            progress(0.0, fmt)
        out = pdf_page(fig, size)
        if progress:
            progress(1.0, fmt)
        return out
    if fmt == "html":
        return export_figure(fig, fmt, progress=progress)
    scale = PROJECTOR_SCALE if fmt == "png" else 1
    return export_figure(fig, fmt, width=PROJECTOR_WIDTH_PX, scale=scale, progress=progress)


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
