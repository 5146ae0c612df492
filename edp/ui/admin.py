"""Widgets for the instance admin's page (pages/admin.py): the region and its S3 strategy, the
strength areas (one by one or from a CSV/XLSX file), the processes with their process leaders,
and the organiser accounts with their roles. The engine checks the admin role on every call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from edp import accounts, region
from edp import workshop as ops
from edp.errors import EdpError, RowErrors
from edp.models import ORG_ROLES
from edp.queries import overview
from edp.ui.common import engine, lang, t
from edp.ui.facilitator import bump_nonce, call, done, nonce
from edp.ui.session import organiser_token
from edp.ui.text import plain, show_error

# ---------------------------------------------------------------- the region


def region_form() -> None:
    current = region.region(engine())
    with st.form("admin-region"):
        name = st.text_input(t("field.region_name"), current.name if current else "", key="admin-region-name")
        strategy = st.text_input(
            t("field.strategy_title"), current.strategy_title if current else "", key="admin-region-strategy"
        )
        a, b = st.columns(2)
        start = a.number_input(t("field.period_start"), 2000, 2100, current.period_start if current else None,
                               key="admin-region-start")  # fmt: skip
        end = b.number_input(t("field.period_end"), 2000, 2100, current.period_end if current else None,
                             key="admin-region-end")  # fmt: skip
        description = st.text_area(
            t("ui.admin.region_description"), current.description if current else "", key="admin-region-description"
        )
        if not st.form_submit_button(t("ui.admin.save"), type="primary"):
            return
    if call(region.set_region, organiser_token(), name, strategy_title=strategy, period_start=start,
            period_end=end, description=description):  # fmt: skip
        done("ui.admin.region_saved")


# ---------------------------------------------------------------- strength areas


def areas_panel() -> None:
    areas = region.strength_areas(engine())
    if areas:
        st.dataframe(
            pd.DataFrame(
                [{t("field.code"): a.code, t("field.name_sv"): a.name_sv, t("field.name_en"): a.name_en} for a in areas]
            ),
            hide_index=True,
            key="admin-areas",
        )
    else:
        st.info(t("ui.admin.no_areas"))
    with st.expander(t("ui.admin.add_area"), expanded=not areas, icon=":material/add:"):
        n = nonce("area-add")
        with st.form(f"admin-area-add-{n}"):
            code = st.text_input(t("field.code"), key=f"admin-area-code-{n}", help=t("ui.admin.area_code_help"))
            name_sv = st.text_input(t("field.name_sv"), key=f"admin-area-sv-{n}")
            name_en = st.text_input(t("field.name_en"), key=f"admin-area-en-{n}")
            description = st.text_area(t("field.description"), key=f"admin-area-desc-{n}")
            if st.form_submit_button(t("ui.admin.add_area"), type="primary") and call(
                region.create_strength_area, organiser_token(), code, name_sv, name_en, description
            ):
                bump_nonce("area-add")
                done("ui.admin.area_added")
    if areas:
        with st.expander(t("ui.admin.edit_area"), icon=":material/edit:"):
            by_id = {a.id: a for a in areas}
            aid = st.selectbox(
                t("ui.admin.pick_area"),
                list(by_id),
                format_func=lambda i: by_id[i].name(lang()),
                key="admin-area-pick",
                placeholder=t("ui.choose"),
            )
            a = by_id[aid]
            with st.form(f"admin-area-edit-{aid}"):
                name_sv = st.text_input(t("field.name_sv"), a.name_sv, key=f"admin-area-esv-{aid}")
                name_en = st.text_input(t("field.name_en"), a.name_en, key=f"admin-area-een-{aid}")
                description = st.text_area(t("field.description"), a.description, key=f"admin-area-edesc-{aid}")
                if st.form_submit_button(t("ui.admin.save")):
                    act("ui.admin.saved", region.update_strength_area, aid, name_sv=name_sv, name_en=name_en,
                        description=description)  # fmt: skip
    with st.expander(t("ui.admin.import_areas"), icon=":material/upload:"):
        st.caption(t("ui.admin.import_areas_help"))
        n = nonce("area-import")
        upload = st.file_uploader(t("field.file"), type=["csv", "xlsx"], key=f"admin-area-file-{n}")
        if st.button(t("ui.admin.import"), key="admin-area-import", disabled=upload is None) and upload is not None:
            try:
                rows = region.parse_strength_areas(upload.getvalue(), upload.name)
                count = region.import_strength_areas(engine(), organiser_token(), rows)
            except RowErrors as err:
                show_error(err)
                lines = [t("ui.setup.import_row", line=line, message=e.message(lang())) for line, e in err.rows]
                plain("\n".join(lines), key="admin-area-import-errors")
            except EdpError as err:
                show_error(err)
            else:
                bump_nonce("area-import")
                done("ui.admin.areas_imported", n=count)


# ---------------------------------------------------------------- processes


def _users() -> list[accounts.UserRow]:
    return call(accounts.list_users, organiser_token()) or []


def processes_panel() -> None:
    processes = overview(engine())
    users = _users()
    leaders: dict[int, list[str]] = {}
    for u in users:
        for _, role, pid, _wid in u.grants:
            if role == "process_leader" and pid is not None:  # a leader's grant names its process
                leaders.setdefault(pid, []).append(u.display_name)
    if processes:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("field.title"): p["title"],
                        t("field.leader"): ", ".join(leaders.get(p["id"], [])) or "–",
                        t("ui.admin.workshops"): len(p["workshops"]),
                    }
                    for p in processes
                ]
            ),
            hide_index=True,
            key="admin-processes",
        )
    else:
        st.info(t("ui.no_processes"))
    areas = {a.code: a.name(lang()) for a in region.strength_areas(engine())}
    by_id = {u.id: u for u in users}
    with st.expander(t("ui.admin.new_process"), expanded=not processes, icon=":material/add:"):
        n = nonce("process-add")
        with st.form(f"admin-process-{n}"):
            title = st.text_input(t("field.title"), key=f"admin-p-title-{n}")
            description = st.text_area(t("field.description"), key=f"admin-p-desc-{n}")
            financier = st.text_input(t("field.financier"), key=f"admin-p-fin-{n}")
            a, b = st.columns(2)
            start = a.number_input(t("field.period_start"), 2000, 2100, None, key=f"admin-p-start-{n}")
            end = b.number_input(t("field.period_end"), 2000, 2100, None, key=f"admin-p-end-{n}")
            codes = st.multiselect(t("field.strength_areas"), list(areas), format_func=areas.__getitem__,
                                   key=f"admin-p-areas-{n}", placeholder=t("ui.choose_many"))  # fmt: skip
            leader = st.selectbox(
                t("field.leader"),
                [None, *by_id],
                format_func=lambda i: t("ui.admin.no_leader") if i is None else by_id[i].display_name,
                key=f"admin-p-leader-{n}",
                placeholder=t("ui.choose"),
            )
            if not st.form_submit_button(t("ui.admin.create_process"), type="primary"):
                return
        created = call(
            ops.create_process, organiser_token(), title, description=description, financier=financier,
            period_start=start, period_end=end, strength_area_codes=codes, leader_user_id=leader,
        )  # fmt: skip
        if created:
            bump_nonce("process-add")
            done("ui.admin.process_created")


# ---------------------------------------------------------------- accounts and roles


def _scope_label(role: str, process_id: int | None, workshop_id: int | None, names: dict[str, str]) -> str:
    where = names.get(f"p{process_id}") if process_id else names.get(f"w{workshop_id}")
    return f"{t(f'ui.role.{role}')}: {where or '?'}"


def _scope_names() -> dict[str, str]:
    out = {}
    for p in overview(engine()):
        out[f"p{p['id']}"] = p["title"]
        for w in p["workshops"]:
            out[f"w{w['id']}"] = f"{w['title']} ({p['title']})"
    return out


def users_panel() -> None:
    users = _users()
    names = _scope_names()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("field.username"): u.username,
                    t("field.organiser_name"): u.display_name,
                    t("ui.admin.col.admin"): u.is_admin,
                    t("ui.admin.col.active"): u.is_active,
                    t("ui.admin.col.roles"): "; ".join(_scope_label(r, p, w, names) for _, r, p, w in u.grants),
                }
                for u in users
            ]
        ),
        hide_index=True,
        key="admin-users",
    )
    with st.expander(t("ui.admin.new_user"), icon=":material/person_add:"):
        _new_user_form()
    if users:
        with st.expander(t("ui.admin.roles"), expanded=True, icon=":material/badge:"):
            _grant_form(users, names)
        with st.expander(t("ui.admin.account_settings"), icon=":material/manage_accounts:"):
            _account_form(users)


def _new_user_form() -> None:
    n = nonce("user-add")
    with st.form(f"admin-user-{n}"):
        username = st.text_input(t("field.username"), key=f"admin-u-name-{n}")
        shown = st.text_input(t("field.organiser_name"), key=f"admin-u-shown-{n}")
        email = st.text_input(t("field.email"), key=f"admin-u-email-{n}")
        password = st.text_input(t("field.password"), type="password", key=f"admin-u-pw-{n}",
                                 help=t("ui.admin.password_help"))  # fmt: skip
        is_admin = st.checkbox(t("ui.admin.make_admin"), key=f"admin-u-admin-{n}")
        if not st.form_submit_button(t("ui.admin.create_user"), type="primary"):
            return
    created = call(
        accounts.create_user, organiser_token(), username, display_name=shown, email=email,
        password=password or None, is_admin=is_admin,
    )  # fmt: skip
    if created:
        bump_nonce("user-add")
        done("ui.admin.user_created")


def _grant_form(users: list[accounts.UserRow], names: dict[str, str]) -> None:
    by_id = {u.id: u for u in users}
    uid = st.selectbox(
        t("field.user"),
        list(by_id),
        format_func=lambda i: by_id[i].display_name,
        key="admin-g-user",
        placeholder=t("ui.choose"),
    )
    user = by_id[uid]
    for gid, role, pid, wid in user.grants:
        left, right = st.columns([4, 1])
        left.text(_scope_label(role, pid, wid, names))
        if right.button(t("ui.admin.revoke"), key=f"admin-revoke-{gid}"):
            act("ui.admin.revoked", accounts.revoke_role, gid)
    role = st.selectbox(
        t("field.role"),
        ORG_ROLES,
        format_func=lambda r: t(f"ui.role.{r}"),
        key="admin-g-role",
        placeholder=t("ui.choose"),
    )
    prefix = "w" if role == "facilitator" else "p"
    scopes = {k: v for k, v in names.items() if k.startswith(prefix)}
    if not scopes:
        st.info(t("ui.admin.no_scope"))
        return
    scope = st.selectbox(
        t("field.workshop") if prefix == "w" else t("field.process"),
        list(scopes),
        format_func=scopes.__getitem__,
        key=f"admin-g-scope-{prefix}",
        placeholder=t("ui.choose"),
    )
    if st.button(t("ui.admin.grant"), type="primary", key="admin-grant"):
        target = int(scope[1:])
        granted = call(
            accounts.grant_role, organiser_token(), uid, role,
            process_id=target if prefix == "p" else None, workshop_id=target if prefix == "w" else None,
        )  # fmt: skip
        if granted:
            done("ui.admin.granted")


def _account_form(users: list[accounts.UserRow]) -> None:
    by_id = {u.id: u for u in users}
    uid = st.selectbox(
        t("field.user"),
        list(by_id),
        format_func=lambda i: by_id[i].display_name,
        key="admin-acct-user",
        placeholder=t("ui.choose"),
    )
    u = by_id[uid]
    a, b = st.columns(2)
    if a.button(t("ui.admin.revoke_admin") if u.is_admin else t("ui.admin.make_admin"), key=f"admin-adm-{uid}"):
        act("ui.admin.saved", accounts.set_user_flags, uid, is_admin=not u.is_admin)
    if b.button(t("ui.admin.disable") if u.is_active else t("ui.admin.enable"), key=f"admin-act-{uid}"):
        act("ui.admin.saved", accounts.set_user_flags, uid, is_active=not u.is_active)
    with st.form(f"admin-pw-{uid}"):
        password = st.text_input(t("field.new_password"), type="password", key=f"admin-pw-new-{uid}",
                                 help=t("ui.admin.password_help"))  # fmt: skip
        if st.form_submit_button(t("ui.admin.set_password")):
            act("ui.admin.password_set", accounts.set_password, uid, password)


def act(message_key: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """fn(engine, the organiser's token, *args); on success report `message_key` after a rerun,
    on a refusal show the engine's message here."""
    try:
        fn(engine(), organiser_token(), *args, **kwargs)
    except EdpError as err:
        show_error(err)
    except SQLAlchemyError:
        st.error(t("ui.database_error"))
    else:
        done(message_key)
