"""A voting method's face in Streamlit: its settings in the round form, its ballot and the stored
ballot in words. One subclass per method (edp/ui/methods/<name>.py), found by the method's name,
as the engine finds the method itself (edp.voting)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

import streamlit as st

from edp.live import RoundView, ThemeView
from edp.ui.common import t

Row = tuple[int, int | None, int]  # theme_id, criterion_id, value: as edp.live.ParticipantView.ballot
Reader = Callable[[], object]  # returns the ballot's choices as the widgets stand

FORMS: dict[str, MethodForm] = {}


class MethodForm:
    """One method's widgets. Subclasses set `name` (the edp.voting method's) and draw its ballot."""

    name: ClassVar[str]
    # Drawn inside an st.form whose one Send button submits it; a method that brings its own
    # buttons (dots: + and − per theme) sets this False and stores its choices itself (unsent_ballot).
    in_form: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            FORMS[cls.name] = cls()

    def settings(self, key: str) -> dict[str, Any]:
        """The method's own fields in the round form, as edp.workshop.RoundSpec keyword arguments."""
        return {}

    def ballot(self, rnd: RoundView, stored: Sequence[Row], key: str, *, confirm_unused: bool) -> Reader | None:
        """Draw the ballot, pre-filled from `stored`; returns how to read it (None when not in_form)."""
        raise NotImplementedError

    def summary(self, rnd: RoundView, stored: Sequence[Row], language: str) -> list[str]:
        """The stored ballot in words, one line per entry (user text: shown with plain())."""
        raise NotImplementedError


def form(method: str) -> MethodForm:
    return FORMS[method]


# ---------------------------------------------------------------- shared by the methods' ballots


def ordinal(n: int, language: str) -> str:
    """1:a, 2:a, 3:e ... in Swedish; 1st, 2nd, 3rd ... in English."""
    if language == "sv":
        return f"{n}:{'a' if n % 10 in (1, 2) and n % 100 not in (11, 12) else 'e'}"
    if language == "en":
        suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return f"{n}."


def theme_labels(themes: Sequence[ThemeView]) -> dict[int, str]:
    """Titles for choosing between themes; equal titles get a number, since a selectbox tells
    its options apart by their text."""
    seen: dict[str, int] = {}
    out = {}
    for th in themes:
        seen[th.title] = seen.get(th.title, 0) + 1
        out[th.id] = th.title if seen[th.title] == 1 else f"{th.title} ({seen[th.title]})"
    return out


def sticky_bar(key: str):  # noqa: ANN201 - a container
    """The bar under a ballot that stays on screen while the ballot scrolls: what is left, and Send."""
    return st.container(key=f"{key}-edpbar", gap="small")


def submit_button(button, key: str, read: Reader) -> None:  # noqa: ANN001 - st.button or st.form_submit_button
    # The choices are taken in the click's callback, which runs before the script: a click that
    # arrives after voting closed (so the ballot is no longer drawn) still reaches the engine.
    def stash() -> None:
        st.session_state[f"{key}-sent"] = read()

    button(t("ui.ballot.submit"), key=f"{key}-submit", type="primary", width="stretch", on_click=stash)


def send_bar(
    key: str,
    left: str,
    read: Reader,
    *,
    unused: Callable[[], str | None],
    keep_giving: str,
    confirm_unused: bool,
    width: Literal["stretch", "content"] = "content",
) -> None:
    """The sticky bar of a ballot that spends a budget (dots, credits): what is left, and Send.

    `unused()` is the question to ask when something could still be given (None when nothing can),
    read from the draft as it stands: with `confirm_unused`, Send asks it first, and the bar keeps
    asking until it is answered ("send anyway" or "give more") or nothing is left to give. The
    choices are taken in the click's callback, as submit_button does."""
    asking = f"{key}-confirm"

    def sent() -> None:
        st.session_state.pop(asking, None)
        st.session_state[f"{key}-sent"] = read()

    def send() -> None:
        if confirm_unused and unused():
            st.session_state[asking] = True
            return
        sent()

    question = unused()
    if not question:
        st.session_state.pop(asking, None)
    with sticky_bar(key):
        ask = bool(question and st.session_state.get(asking))
        if ask:
            with st.container(key=f"{key}-unused"):
                st.warning(question, icon=":material/info:")
                with st.container(horizontal=True, gap="small"):
                    st.button(t("ui.ballot.send_anyway"), key=f"{key}-send-anyway", type="primary", on_click=sent)
                    st.button(keep_giving, key=f"{key}-keep-giving", on_click=st.session_state.pop, args=(asking, None))
        with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"{key}-counter"):
            st.markdown(f"**{left}**")
            if not ask:
                st.button(t("ui.ballot.submit"), key=f"{key}-submit", type="primary", width=width, on_click=send)
