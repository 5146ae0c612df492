"""Widgets for a process leader's set-up page (pages/setup.py): the processes they lead, each
process's workshops (a new one, opening its console), its actors (list, add, edit, CSV import)
and its description. Every operation passes the signed-in organiser's token; the engine checks
the role (edp.access) whatever this page shows."""

from __future__ import annotations

from typing import Any

import streamlit as st

from edp import validate
from edp import workshop as ops
from edp.accounts import open_console
from edp.errors import EdpError, RowErrors
from edp.files import CSV_MAX_BYTES, megabytes, read_capped
from edp.imports import decode_csv, import_actors, list_actors
from edp.models import HELIX_GROUPS
from edp.queries import overview
from edp.region import strength_areas
from edp.security import JOIN_CODE_MAX, JOIN_CODE_MIN
from edp.ui.common import engine, lang, t
from edp.ui.facilitator import PAPER, bump_nonce, call, done, helix_label, nonce, open_workshop_console, refuse
from edp.ui.session import organiser_token, principal, sign_in_facilitator
from edp.ui.text import plain, show_error

PROCESS = "setup-process"  # the chosen process (selectbox key)


# ---------------------------------------------------------------- which process


def led_processes() -> list[dict[str, Any]]:
    """The processes the signed-in organiser leads (all of them for an admin), from the overview."""
    p = principal()
    if p is None:
        return []
    return [proc for proc in overview(engine()) if p.may_lead(proc["id"])]


def pick_process(processes: list[dict[str, Any]]) -> dict[str, Any]:
    titles = {proc["id"]: proc["title"] for proc in processes}
    if st.session_state.get(PROCESS) not in titles:
        st.session_state.pop(PROCESS, None)
    pid = st.selectbox(
        t("ui.setup.process"), list(titles), format_func=titles.__getitem__, key=PROCESS, placeholder=t("ui.choose")
    )
    return next(proc for proc in processes if proc["id"] == pid)


def area_names() -> dict[str, str]:
    """code -> the strength area's name in the user's language."""
    return {a.code: a.name(lang()) for a in strength_areas(engine())}


# ---------------------------------------------------------------- workshops


def workshop_list(proc: dict[str, Any]) -> None:
    """The process's workshops, each with a button that opens its console."""
    if not proc["workshops"]:
        st.info(t("ui.setup.no_workshops"))
    for ws in proc["workshops"]:
        wid = ws["id"]
        with st.container(border=True, key=f"setup-ws-{wid}"):
            state = t("ui.workshop_open", code=ws["join_code"]) if ws["status"] == "open" else t("ui.workshop_closed")
            plain(
                " · ".join(x for x in (ws["title"], ws["date"], ws["venue"]) if x), key=f"setup-ws-{wid}", kind="strong"
            )
            st.caption(state)
            if st.button(t("ui.setup.open_console"), key=f"setup-open-{wid}", icon=":material/tune:"):
                open_workshop_console(wid)


def create_workshop_form(process_id: int) -> None:
    """A new workshop in the process; on success its console opens."""
    n = nonce("setup-ws")
    with st.form(f"setup-create-{n}"):
        title = st.text_input(t("field.title"), key=f"setup-w-title-{n}")
        a, b = st.columns(2)
        date = a.date_input(t("field.date"), None, key=f"setup-w-date-{n}", format="YYYY-MM-DD")
        venue = b.text_input(t("field.venue"), key=f"setup-w-venue-{n}")
        st.caption(t("ui.setup.passcode_optional_help"))
        a, b = st.columns(2)
        passcode = a.text_input(t("field.passcode"), type="password", key=f"setup-w-pass-{n}")
        again = b.text_input(t("ui.setup.passcode_again"), type="password", key=f"setup-w-pass2-{n}")
        join_code = st.text_input(
            t("ui.setup.join_code_optional"),
            key=f"setup-w-code-{n}",
            help=t("ui.setup.join_code_help", min=JOIN_CODE_MIN, max=JOIN_CODE_MAX),
        )
        anonymous = st.checkbox(
            t("ui.setup.anonymous"), True, key=f"setup-w-anon-{n}", help=t("ui.setup.anonymous_help")
        )
        allow = st.checkbox(t("ui.setup.allow_new_actors"), True, key=f"setup-w-allow-{n}")
        if not st.form_submit_button(t("ui.setup.create"), type="primary"):
            return
    if passcode != again:
        st.error(t("ui.setup.passcode_mismatch"))
        return
    try:
        validate.text(title, "title", min_len=1, max_len=200, multiline=False)
    except EdpError as err:
        refuse(err)
        return
    ws = call(
        ops.create_workshop,
        organiser_token(),
        process_id,
        title,
        passcode or None,
        date=date,
        venue=venue,
        anonymous=anonymous,
        join_code=join_code.strip() or None,
        allow_new_actors=allow,
    )
    if ws is None:
        return
    bump_nonce("setup-ws")
    token = call(open_console, organiser_token(), ws.id)
    if token:
        sign_in_facilitator(ws.id, token)
        st.session_state.pop(PAPER, None)
    done("ui.setup.created", code=ws.join_code)


# ---------------------------------------------------------------- the process's description


def process_form(proc: dict[str, Any]) -> None:
    areas = area_names()
    chosen = [a["code"] for a in proc["strength_areas"]]
    with st.form(f"setup-process-{proc['id']}"):
        title = st.text_input(t("field.title"), proc["title"], key=f"setup-p-title-{proc['id']}")
        description = st.text_area(t("field.description"), proc["description"], key=f"setup-p-desc-{proc['id']}")
        financier = st.text_input(t("field.financier"), proc["financier"], key=f"setup-p-fin-{proc['id']}")
        a, b = st.columns(2)
        start = a.number_input(t("field.period_start"), 2000, 2100, proc["period_start"], key=f"setup-p-s-{proc['id']}")
        end = b.number_input(t("field.period_end"), 2000, 2100, proc["period_end"], key=f"setup-p-e-{proc['id']}")
        codes = st.multiselect(
            t("field.strength_areas"),
            list(areas),
            [c for c in chosen if c in areas],
            format_func=areas.__getitem__,
            key=f"setup-p-areas-{proc['id']}",
            placeholder=t("ui.choose_many"),
        )
        if not st.form_submit_button(t("ui.setup.save_process"), type="primary"):
            return
    saved = call(
        ops.update_process,
        organiser_token(),
        proc["id"],
        title=title,
        description=description,
        financier=financier,
        period_start=start,
        period_end=end,
        strength_area_codes=codes,
    )
    if saved:
        done("ui.setup.process_saved")


# ---------------------------------------------------------------- actors


def _actors(process_id: int) -> list[dict[str, Any]]:
    return call(list_actors, organiser_token(), process_id) or []


def actor_list(process_id: int) -> int:
    """The process's actors, one line each; returns how many there are."""
    rows = _actors(process_id)
    st.caption(t("ui.setup.actor_count", n=len(rows)))
    if rows:
        lines = [
            " · ".join(x for x in (r["name"], t(f"helix.{r['helix']}"), r["municipality"] or "") if x) for r in rows
        ]
        plain("\n".join(lines), key="actor-list")
    return len(rows)


def actor_add_form(process_id: int) -> None:
    n = nonce("actor-add")
    with st.form(f"actor-add-{n}"):
        name = st.text_input(t("field.actor_name"), key=f"actor-add-name-{n}")
        helix = st.selectbox(
            t("field.helix"),
            HELIX_GROUPS,
            format_func=helix_label,
            key=f"actor-add-helix-{n}",
            placeholder=t("ui.choose"),
        )
        municipality = st.text_input(t("field.municipality"), key=f"actor-add-mun-{n}")
        if st.form_submit_button(t("ui.setup.add_actor")) and call(
            ops.add_actor, organiser_token(), process_id, name, helix, municipality
        ):
            bump_nonce("actor-add")
            done("ui.setup.actor_added")


def actor_edit_form(process_id: int) -> None:
    rows = {r["id"]: r for r in _actors(process_id)}
    if not rows:
        return
    aid = st.selectbox(
        t("ui.setup.edit_actor_pick"),
        list(rows),
        index=None,
        format_func=lambda i: rows[i]["name"],
        key="actor-edit-id",
        placeholder=t("ui.choose"),
    )
    if aid is None:
        return
    a = rows[aid]
    with st.form(f"actor-edit-{aid}"):
        name = st.text_input(t("field.actor_name"), a["name"], key=f"actor-edit-name-{aid}")
        helix = st.selectbox(
            t("field.helix"),
            HELIX_GROUPS,
            HELIX_GROUPS.index(a["helix"]),
            format_func=helix_label,
            key=f"actor-edit-helix-{aid}",
            placeholder=t("ui.choose"),
        )
        municipality = st.text_input(t("field.municipality"), a["municipality"] or "", key=f"actor-edit-mun-{aid}")
        if st.form_submit_button(t("ui.setup.save_actor")) and call(
            ops.update_actor, organiser_token(), aid, name=name, helix=helix, municipality=municipality
        ):
            done("ui.setup.actor_saved")


def actor_import(process_id: int) -> None:
    st.caption(t("ui.setup.import_help"))
    n = nonce("import")
    limit = megabytes(CSV_MAX_BYTES)
    upload = st.file_uploader(
        t("ui.setup.import_file"), type=["csv", "txt"], key=f"import-file-{n}",
        max_upload_size=limit, help=t("file.upload_limit", max=limit),
    )  # fmt: skip
    pasted = st.text_area(t("ui.setup.import_paste"), key=f"import-paste-{n}", height=120)
    if st.button(t("ui.setup.import_button"), key="import-go", icon=":material/upload:"):
        try:
            text = decode_csv(read_capped(upload, CSV_MAX_BYTES, field="csv")) if upload is not None else pasted
        except EdpError as err:
            show_error(err)
            return
        try:
            count = call(import_actors, organiser_token(), process_id, text)
        except RowErrors as err:
            show_error(err)
            lines = [t("ui.setup.import_row", line=line, message=e.message(lang())) for line, e in err.rows]
            with st.container(border=True, key="import-errors"):
                plain("\n".join(lines), key="import-row-errors")
            return
        if count:
            bump_nonce("import")
            done("ui.setup.imported", n=count)
