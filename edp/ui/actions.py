"""How a page calls the engine and tells the user what happened: one operation wrapper, one
section guard and one flash, shared by the facilitator's, the participant's and the roadmap pages.

- `attempt` runs an operation; a refusal is shown where it happened (in the user's language) and
  nothing else changes, so the user can correct the field the message names.
- `flash` keeps a confirmation for the next run, which shows the new state: the confirmation says
  what is now stored, drawn after the write, not before it.
- `flash_slot` is always the same container, message or not: an element that comes and goes would
  shift every element after it, and Streamlit would rebuild those (tabs jump back, expanders close).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp.errors import EdpError
from edp.ui.common import engine, t
from edp.ui.text import plain, show_error

FLASH = "_flash"  # slot -> (message, notice lines): a confirmation shown after the rerun


def attempt(
    fn: Callable[..., Any], *args: Any, refusal: Callable[[EdpError], None] = show_error, **kwargs: Any
) -> tuple[bool, Any]:
    """(True, fn(engine, *args, **kwargs)), or (False, None) once a refusal (shown by `refusal`)
    or a database failure has been shown here. The engine checks who may do it."""
    try:
        return True, fn(engine(), *args, **kwargs)
    except EdpError as err:
        refusal(err)
    except SQLAlchemyError:
        st.error(t("ui.database_error"))
    return False, None


@contextmanager
def guard() -> Iterator[None]:
    """One section of a page: a refusal or a database failure while drawing it is shown as a
    message in that section, and the rest of the page still works (st.rerun/st.stop pass through)."""
    try:
        yield
    except EdpError as err:
        show_error(err)
    except SQLAlchemyError:
        st.error(t("ui.database_error"))


def flash(message: str, *, slot: str = "page", notices: Sequence[str] = ()) -> None:
    """Confirm `message` in `slot` on the next run (which shows the new state) and rerun now;
    `notices` are warnings that go with it (e.g. dates outside the period), one line each."""
    st.session_state.setdefault(FLASH, {})[slot] = (message, list(notices))
    st.rerun()


def flash_slot(slot: str = "page", *, key: str) -> None:
    """Where `slot`'s confirmation shows, once: a container with a fixed key, message or not."""
    with st.container(key=key):
        message, lines = st.session_state.get(FLASH, {}).pop(slot, (None, []))
        if message:
            st.success(message, icon=":material/check_circle:")
        notice_lines(lines, key=f"flash-{slot}")


def notice_lines(lines: Sequence[str], *, key: str) -> None:
    """Warnings: a fixed heading, then each line as plain text (a line may quote what a user typed)."""
    if lines:
        st.warning(t("ui.rm.notices", n=len(lines)), icon=":material/warning:")
        plain("\n".join(lines), key=f"notices-{key}")


def nonce(name: str) -> int:
    """A counter in widget keys: bumping it gives a form fresh, empty widgets."""
    return st.session_state.get(f"_nonce_{name}", 0)


def bump_nonce(name: str) -> None:
    st.session_state[f"_nonce_{name}"] = nonce(name) + 1
