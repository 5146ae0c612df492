"""The projector's screen: its size (reported by the browser in the address), how many proposals fit
on one page, and which page or view is on the screen now. Laid out for 1920×1080, scaled to the screen.

Plotly draws text in pixels, so the page needs the screen's size to size the ranking: a small script
of our own puts the window's size into the address (?vw=…&vh=…) and reloads once when it is missing
or changed (a projector's window is resized rarely). Without it, the layout assumes 1920×1080.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import streamlit as st

from edp.charts import projector_font

DESIGN_WIDTH, DESIGN_HEIGHT = 1920, 1080
PAGE_SECONDS = 8  # each page of proposals stays this long
RANKING_SECONDS, FUNNEL_SECONDS = 12, 6  # after a reveal the ranking comes first, then the funnel, in turn
VIEWS = ("ranking", "funnel")
TEXT_EM = 0.5  # a character's mean width in em in the app's font (Source Sans), on the safe side

# Our own fixed script: nothing in it comes from a user.
VIEWPORT_SCRIPT = """
<script>
(() => {
  const fit = () => {
    const url = new URL(window.location.href);
    const w = window.innerWidth, h = window.innerHeight;
    const off = (name, v) => Math.abs((parseInt(url.searchParams.get(name), 10) || 0) - v) > 8;
    if (w > 0 && h > 0 && (off("vw", w) || off("vh", h))) {
      url.searchParams.set("vw", w);
      url.searchParams.set("vh", h);
      window.location.replace(url.toString());
    }
  };
  if (!window.edpProjectorFit) {
    window.edpProjectorFit = true;
    let timer;
    window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(fit, 800); });
  }
  fit();
})();
</script>
"""


@dataclass(frozen=True)
class Screen:
    """The projector's window in CSS px."""

    width: int = DESIGN_WIDTH
    height: int = DESIGN_HEIGHT
    title_lines: int = 1  # the workshop's title may wrap: each further line is taken from the views below it

    @property
    def font(self) -> int:
        """The smallest text on the screen, as the CSS sets it: 28 px at 1080p, the same share of any screen."""
        return projector_font(self.height)

    def vh(self, share: float) -> float:
        return self.height * share / 100

    def vw(self, share: float) -> float:
        return self.width * share / 100

    @property
    def header(self) -> float:
        """The workshop's title and the round's line above every view (padding included), as drawn."""
        return self.vh(2) + self.title_lines * self.font * 1.5 * 1.25 + self.font * 1.35 + 2 * 16

    def with_title(self, title: str) -> Screen:
        """This screen with room for `title` on as many lines as it takes at the title's size."""
        per_line = (self.width - 2 * self.vw(2.5)) / (self.font * 1.5 * TEXT_EM)
        lines = len(textwrap.wrap(title, max(8, int(per_line)), break_long_words=True)) or 1
        return replace(self, title_lines=lines)

    @property
    def ranking_size(self) -> tuple[int, int]:
        """The ranking chart's width and height: the whole screen below the header, less a caption line."""
        width = self.width - 2 * self.vw(2.5)
        return int(width), int(self.height - self.header - self.font * 1.4 - 16 - self.vh(3))

    @property
    def live_turnout(self) -> float:
        """The heading and the row of turnout figures above live results."""
        return self.font * 1.5 * 1.4 + self.font * 1.1 * 1.5 + self.font * 1.5 * 1.1 + 3 * 16

    def funnel_height_for(self, stages: int) -> int:
        """The funnel's height: bars about four lines of text high, within the screen below its heading and note."""
        room = self.height - self.header - self.font * 2.6 - 2 * 16 - self.font * 3 - self.vh(4)
        return int(min(room, 40 + stages * self.font * 4))


def screen() -> Screen:
    """The screen's size from the address (put there by VIEWPORT_SCRIPT), within sane bounds."""

    def size(name: str, default: int) -> int:
        raw = st.query_params.get(name, "")
        return min(max(int(raw), 320), 8000) if raw.isdigit() else default

    return Screen(size("vw", DESIGN_WIDTH), size("vh", DESIGN_HEIGHT))


def report_viewport() -> None:
    st.html(VIEWPORT_SCRIPT, unsafe_allow_javascript=True)


PROPOSAL_COLUMNS = 2
PROPOSALS_SHARE = 0.70  # of the screen's width; the join code and a small QR code stand at the right


def proposal_lines(title: str, chars: int) -> int:
    return len(textwrap.wrap(f"• {title}", chars, break_long_words=True, break_on_hyphens=False)) or 1


def proposal_pages(titles: Sequence[str], scr: Screen) -> list[list[list[int]]]:
    """The proposals, by index into `titles`, as pages of columns that fit the screen below the
    header and the list's heading: never a proposal split across columns or pages."""
    f = scr.font
    column_px = (scr.width - 2 * scr.vw(2.5)) * PROPOSALS_SHARE / PROPOSAL_COLUMNS - 24
    chars = max(12, int(column_px / (f * TEXT_EM)))
    room = scr.height - scr.header - f * 1.5 * 1.4 - 16 - scr.vh(3)  # less the heading and a margin
    pages: list[list[list[int]]] = [[[]]]
    used = 0.0
    for i, title in enumerate(titles):
        need = proposal_lines(title, chars) * f * 1.3 + 12  # lines, then the gap between proposals
        column = pages[-1][-1]
        if column and used + need > room:
            if len(pages[-1]) < PROPOSAL_COLUMNS:
                pages[-1].append([])
            else:
                pages.append([[]])
            used = 0.0
        pages[-1][-1].append(i)
        used += need
    return pages


def rotating(count: int, seconds: float, anchor_key: str, *, now: float | None = None) -> int:
    """Which of `count` pages is on the screen now, each shown `seconds`, counted from the first time
    this screen showed them (so the first page comes first)."""
    now = time.time() if now is None else now
    anchor = st.session_state.setdefault(anchor_key, now)
    return int((now - anchor) // seconds) % count if count else 0


def reveal_view(anchor_key: str, *, now: float | None = None) -> str:
    """After a reveal: the ranking, then the funnel and helix details, in turn (or as ?view= pins it)."""
    pinned = st.query_params.get("view")
    if pinned in VIEWS:
        return pinned
    now = time.time() if now is None else now
    anchor = st.session_state.setdefault(anchor_key, now)
    return "ranking" if (now - anchor) % (RANKING_SECONDS + FUNNEL_SECONDS) < RANKING_SECONDS else "funnel"
