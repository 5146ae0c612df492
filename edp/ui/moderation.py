"""The console's moderation tab: the likely duplicates to merge, then the round's themes, searched
and paged, each with its actions (withdraw, restore, edit the wording, merge, unmerge), and a
theme added by the facilitator.

It stays small with a thousand proposals: one page of cards, and the edit form and the merge
picker (one searchable selectbox) only for the one theme the facilitator opened them on.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from edp import workshop as ops
from edp.errors import ValidationError
from edp.live import RoundView, ThemeView, WorkshopView
from edp.ui.common import engine, t
from edp.ui.facilitator import bump_nonce, call, done, helix_label, nonce, num
from edp.ui.session import facilitator_token
from edp.ui.text import plain, show_error
from edp.workshop import moderation

SEARCH = "queue-search"
STATUS = "queue-status"
PAGE = "_queue_page"
EDITING = "_mod_editing"  # the theme whose wording is being edited
MERGING = "_mod_merging"  # the theme being merged into another
GROUP = "_mod_group"  # the suggested group being merged (its first theme's id)
SUGGESTION_PAGE = "_mod_suggestion_page"
SUGGESTIONS_PER_PAGE = 5
STATUS_CHOICES = ("all", *moderation.STATUSES)


def option(titles: dict[int, str]) -> Any:
    """A theme as a selectbox option: its title and id, so that two equal titles stay two options."""
    return lambda tid: t("ui.mod.option", title=titles.get(tid, ""), id=tid)


def _set(key: str, value: Any) -> Any:
    return lambda: st.session_state.__setitem__(key, value)


def moderation_queue(wv: WorkshopView, rv: RoundView | None) -> None:
    if rv is None:
        st.info(t("ui.fac.no_rounds"))
        return
    status = st.session_state.get(STATUS, "all")

    def read(search: str) -> moderation.ThemeQueue:
        return moderation.theme_queue(
            engine(),
            facilitator_token() or "",  # none: a console the engine refuses
            rv.id,
            search=search,
            status=None if status == "all" else status,
            page=st.session_state.get(PAGE, 0),
        )

    try:
        q = read(st.session_state.get(SEARCH, ""))
    except ValidationError as err:  # a search the engine refuses: say why, and show the queue unsearched
        show_error(err)
        q = read("")
    locked = rv.phase == "voting"
    st.caption(t("ui.fac.queue_summary", seq=rv.seq, **q.counts))
    if locked:
        st.info(t("ui.fac.locked_while_voting"), icon=":material/lock:")
    else:
        suggestions(rv)
    queue(q, locked)
    if rv.phase in ("draft", "proposing", "reviewing"):
        _add_theme_form(rv)


# ---------------------------------------------------------------- likely duplicates


def suggestions(rv: RoundView) -> None:
    groups = moderation.duplicate_suggestions(engine(), facilitator_token() or "", rv.id)
    with st.container(border=True, key="dup-suggestions"):
        st.markdown(f"**{t('ui.mod.dups_heading')}**")
        if not groups:
            st.caption(t("ui.mod.dups_none"))
            return
        st.caption(t("ui.mod.dups_count", groups=len(groups), themes=sum(len(g) for g in groups)))
        pages = (len(groups) + SUGGESTIONS_PER_PAGE - 1) // SUGGESTIONS_PER_PAGE
        page = min(st.session_state.get(SUGGESTION_PAGE, 0), pages - 1)
        for group in groups[page * SUGGESTIONS_PER_PAGE : (page + 1) * SUGGESTIONS_PER_PAGE]:
            _suggested_group(group)
        if pages > 1:
            pager("dup", SUGGESTION_PAGE, page, pages)


def wordings(group: tuple[ThemeView, ...]) -> dict[str, list[int]]:
    """The group's titles as typed, each once, with the themes that carry it (in the order proposed):
    a flood of copies is one line, not sixty."""
    out: dict[str, list[int]] = {}
    for th in group:
        out.setdefault(th.title, []).append(th.id)
    return out


def wording_label(title: str, ids: list[int]) -> str:
    return t("ui.mod.wording", title=title, n=len(ids)) if len(ids) > 1 else title


def _suggested_group(group: tuple[ThemeView, ...]) -> None:
    gid = group[0].id
    typed = wordings(group)
    with st.container(border=True, key=f"dup-group-{gid}"):
        titles, action = st.columns([4, 1])
        with titles:
            plain("\n".join(f"• {wording_label(w, ids)}" for w, ids in typed.items()), key=f"dup-group-{gid}-titles")
        if st.session_state.get(GROUP) != gid:
            action.button(t("ui.mod.group_open"), key=f"dup-open-{gid}", on_click=_set(GROUP, gid))
            return
        _group_merge(gid, typed)


def _group_merge(gid: int, typed: dict[str, list[int]]) -> None:
    """Which wording is kept, which others are merged into it (every copy of a wording goes with it),
    the preview, and the merge."""
    order = list(typed)

    def label(i: int) -> str:
        return wording_label(order[i], typed[order[i]])

    keep, merged = 0, []
    if len(order) > 1:  # copies of one wording alone: nothing to choose
        keep = st.selectbox(
            t("ui.mod.keep"), range(len(order)), format_func=label, key=f"dup-keep-{gid}", placeholder=t("ui.choose")
        )
        others = [i for i in range(len(order)) if i != keep]
        merged = st.multiselect(
            t("ui.mod.group_members"),
            others,
            default=others,
            format_func=label,
            key=f"dup-members-{gid}-{keep}",
            placeholder=t("ui.choose_many"),
        )
    into, *copies = typed[order[keep]]
    chosen = copies + [tid for i in merged for tid in typed[order[i]]]
    if chosen:
        preview = call(moderation.merge_group_preview, facilitator_token(), chosen, into)
        if preview is not None:
            show_merge_preview(preview, f"group-{gid}")
    go, cancel = st.columns(2)
    if cancel.button(t("ui.fac.cancel"), key=f"dup-cancel-{gid}"):
        st.session_state.pop(GROUP, None)
        st.rerun()
    if (
        go.button(
            t("ui.mod.group_confirm", n=len(chosen) + 1), type="primary", key=f"dup-merge-{gid}", disabled=not chosen
        )
        and call(moderation.merge_group, facilitator_token(), chosen, into) is not None
    ):
        st.session_state.pop(GROUP, None)
        done("ui.mod.group_merged", n=len(chosen) + 1)


# ---------------------------------------------------------------- the queue


def _first_page() -> None:
    st.session_state[PAGE] = 0


def queue(q: moderation.ThemeQueue, locked: bool) -> None:
    st.markdown(f"**{t('ui.mod.queue_heading')}**")
    search, status = st.columns([3, 2])
    search.text_input(
        t("ui.mod.search"),
        key=SEARCH,
        placeholder=t("ui.mod.search_placeholder"),
        on_change=_first_page,
    )
    status.selectbox(
        t("ui.mod.show"),
        STATUS_CHOICES,
        format_func=lambda s: t(f"ui.mod.show_{s}"),
        key=STATUS,
        on_change=_first_page,
        placeholder=t("ui.choose"),
    )
    if not q.matching:
        st.info(t("ui.mod.no_match") if q.counts != dict.fromkeys(q.counts, 0) else t("ui.fac.no_themes"))
        return
    first = q.page * moderation.QUEUE_PAGE_SIZE + 1
    st.caption(t("ui.mod.showing", first=first, last=first + len(q.themes) - 1, n=q.matching))
    for th in q.themes:
        _theme_card(th, q, locked)
    if q.pages > 1:
        pager("queue", PAGE, q.page, q.pages)


def pager(key: str, state: str, page: int, pages: int) -> None:
    """Previous / page x of y / next, for a list shown a page at a time (page is 0-based)."""
    with st.container(key=f"{key}-pager"):
        prev, where, nxt = st.columns([1, 2, 1], vertical_alignment="center")
        prev.button(
            t("ui.mod.prev"), key=f"{key}-prev", disabled=page == 0, on_click=_set(state, page - 1),
            icon=":material/chevron_left:",
        )  # fmt: skip
        where.caption(t("ui.mod.page", page=page + 1, pages=pages))
        nxt.button(
            t("ui.mod.next"), key=f"{key}-next", disabled=page >= pages - 1, on_click=_set(state, page + 1),
            icon=":material/chevron_right:",
        )  # fmt: skip


def _theme_card(th: ThemeView, q: moderation.ThemeQueue, locked: bool) -> None:
    fac = facilitator_token()
    with st.container(border=True, key=f"theme-{th.id}"):
        plain(th.title, key=f"theme-{th.id}-title", kind="strong")
        if th.description:
            plain(th.description, key=f"theme-{th.id}-description")
        st.caption(f"{t(f'ui.fac.status.{th.status}')} · {helix_label(th.helix)}")
        if th.status == "merged" and th.merged_into_id is not None:  # always both (a check constraint)
            st.caption(t("ui.fac.merged_into"))
            plain(q.titles.get(th.merged_into_id, f"#{th.merged_into_id}"), key=f"theme-{th.id}-into")
        # The actions in one row under the text: a card stays low, so a page of them fits a laptop.
        with st.container(horizontal=True, key=f"actions-{th.id}"):
            if th.status == "active":
                if st.button(t("ui.fac.withdraw"), key=f"withdraw-{th.id}", disabled=locked) and call(
                    ops.withdraw_theme, fac, th.id
                ):
                    done("ui.fac.withdrawn")
                if not locked:
                    st.button(t("ui.mod.edit"), key=f"edit-open-{th.id}", on_click=_open, args=(EDITING, th.id))
                    st.button(t("ui.mod.merge"), key=f"merge-open-{th.id}", on_click=_open, args=(MERGING, th.id))
            elif th.status == "withdrawn":
                if st.button(t("ui.fac.restore"), key=f"restore-{th.id}", disabled=locked) and call(
                    ops.restore_theme, fac, th.id
                ):
                    done("ui.fac.restored")
            elif st.button(t("ui.fac.unmerge"), key=f"unmerge-{th.id}", disabled=locked) and call(
                ops.unmerge_theme, fac, th.id
            ):
                done("ui.fac.unmerged")
        if th.status != "active" or locked:
            return
        if st.session_state.get(EDITING) == th.id:
            _edit_form(th)
        if st.session_state.get(MERGING) == th.id:
            _merge_picker(th, q)


def _open(state: str, theme_id: int) -> None:
    """Open the edit form or the merge picker on one theme (a second click closes it)."""
    st.session_state[state] = None if st.session_state.get(state) == theme_id else theme_id


def _edit_form(th: ThemeView) -> None:
    with st.form(f"edit-{th.id}"):
        title = st.text_input(t("field.title"), th.title, key=f"edit-{th.id}-title")
        description = st.text_area(t("field.description"), th.description, key=f"edit-{th.id}-description")
        partners = st.text_area(t("field.partners"), th.partners, key=f"edit-{th.id}-partners")
        next_steps = st.text_area(t("field.next_steps"), th.next_steps, key=f"edit-{th.id}-next")
        if st.form_submit_button(t("ui.fac.save_wording")):
            data = ops.ThemeInput(title, description, th.strength_area_id, partners, next_steps)
            if call(ops.edit_theme, facilitator_token(), th.id, data):
                st.session_state.pop(EDITING, None)
                done("ui.fac.edited")


def _merge_picker(th: ThemeView, q: moderation.ThemeQueue) -> None:
    """The one merge picker: a searchable list of the round's other active themes, the preview of
    the chosen merge, and its confirmation."""
    others = [tid for tid in q.active if tid != th.id]
    if not others:
        st.caption(t("ui.mod.nothing_to_merge_with"))
        return
    into = st.selectbox(
        t("ui.fac.merge_into"),
        others,
        index=None,
        format_func=option(q.titles),
        placeholder=t("ui.mod.merge_search"),
        key=f"merge-into-{th.id}",
    )
    if into is None:
        return
    preview = call(moderation.merge_preview, facilitator_token(), th.id, into)
    if preview is None:
        return
    show_merge_preview(preview, str(th.id))
    if st.button(t("ui.fac.merge_confirm"), type="primary", key=f"merge-confirm-{th.id}-{into}") and call(
        ops.merge_themes, facilitator_token(), th.id, into
    ):
        st.session_state.pop(MERGING, None)
        st.session_state.pop(f"merge-into-{th.id}", None)
        done("ui.fac.merged")


def show_merge_preview(p: dict[str, Any], key: str) -> None:
    """What a merge (of one theme or a group) does to the votes, before it is confirmed."""
    with st.container(border=True, key=f"merge-preview-{key}"):
        st.caption(t("ui.fac.preview_kept_title"))
        plain(p["kept_title"], key=f"merge-preview-{key}-title", kind="strong")
        if len(p["duplicates"]) == 1:
            dup = p["duplicates"][0]
            votes = t(
                "ui.fac.preview_votes",
                dup_entries=dup["entries"],
                dup_ballots=dup["ballots"],
                into_entries=p["into"]["entries"],
                into_ballots=p["into"]["ballots"],
            )
        else:
            votes = t(
                "ui.mod.preview_group_votes",
                n=len(p["duplicates"]),
                entries=p["moved"]["entries"],
                ballots=p["moved"]["ballots"],
                into_entries=p["into"]["entries"],
                into_ballots=p["into"]["ballots"],
            )
        st.caption(votes)
        if not p["rounds"]:
            st.caption(t("ui.fac.preview_no_ballots"))
        for r in p["rounds"]:
            st.caption(
                t(
                    "ui.fac.preview_round",
                    seq=r["seq"],
                    before=num(r["before"]),
                    after=num(r["after"]),
                    rank_before=r["rank_before"] or "–",
                    rank_after=r["rank_after"] or "–",
                )
            )


def _add_theme_form(rv: RoundView) -> None:
    n = nonce("add-theme")
    with st.form(f"add-theme-{n}"):
        st.markdown(f"**{t('ui.fac.add_theme')}**")
        title = st.text_input(t("field.title"), key=f"add-theme-title-{n}")
        description = st.text_area(t("field.description"), key=f"add-theme-description-{n}")
        if st.form_submit_button(t("ui.fac.add_theme_button")) and call(
            ops.add_theme, facilitator_token(), rv.id, ops.ThemeInput(title, description)
        ):
            bump_nonce("add-theme")
            done("ui.fac.theme_added")
