"""Widgets for signing in (pages/signin.py) and for one's own account (pages/account.py): the
password sign-in (a link to the form that sets the session cookie, edp/ui/routes.py), OpenID Connect
through st.login, the first account of an empty instance, password change and signing out."""

from __future__ import annotations

import html
from collections.abc import Mapping

import streamlit as st

from edp import accounts
from edp.errors import EdpError
from edp.queries import overview
from edp.ui.common import engine, lang, t
from edp.ui.facilitator import done
from edp.ui.routes import sign_in_url
from edp.ui.session import client, organiser_token, principal, sign_out_organiser
from edp.ui.text import plain, show_error

FIRST_DONE = "_first_account_made"


def oidc_providers() -> list[str | None]:
    """The identity providers configured in secrets.toml [auth]: None for a single unnamed one."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file at all
        return []
    if not isinstance(auth, Mapping):
        return []
    named = [name for name, section in auth.items() if isinstance(section, Mapping) and "client_id" in section]
    return ([None] if "client_id" in auth else []) + named


# A plain link in this tab (st.link_button opens a new one, which would sign in another tab than this),
# styled as a primary button. Our fixed text: the label is a translation, escaped; the URL is ours.
LINK = (
    '<a class="edp-signin" href="{url}" style="display:inline-block;padding:0.6rem 1.1rem;'
    "border-radius:0.5rem;background:#1f4e9c;color:#fff;font-weight:600;text-decoration:none;"
    'min-height:44px;box-sizing:border-box">{label}</a>'
)


def sign_in_choices(next_path: str = "/") -> None:
    """A password sign-in that comes back to `next_path` (a path on this site; anything else means
    Start), and one button per configured identity provider (st.login comes back to Start)."""
    url, label = sign_in_url(lang(), next_path), t("ui.signin.with_password")
    with st.container(key="signin-password"):
        st.html(LINK.format(url=html.escape(url), label=html.escape(label)))
    for provider in oidc_providers():
        name = provider.replace("_", " ").title() if provider else "OpenID Connect"
        label = t("ui.signin.with_provider", name=name)
        if st.button(label, key=f"oidc-{provider or 'default'}", icon=":material/login:"):
            st.login(provider) if provider else st.login()


def first_account_form() -> None:
    """On an instance without accounts: the first organiser (an admin), with the server's setup code."""
    st.info(t("ui.signin.first_intro"), icon=":material/rocket_launch:")
    with st.form("first-account"):
        code = st.text_input(t("field.setup_code"), key="first-code", help=t("ui.signin.setup_code_help"))
        username = st.text_input(t("field.username"), key="first-username")
        shown = st.text_input(t("field.organiser_name"), key="first-name")
        password = st.text_input(t("field.password"), type="password", key="first-password",
                                 help=t("ui.admin.password_help"))  # fmt: skip
        again = st.text_input(t("ui.signin.password_again"), type="password", key="first-again")
        if not st.form_submit_button(t("ui.signin.create_first"), type="primary"):
            return
    if password != again:
        st.error(t("ui.signin.password_mismatch"))
        return
    try:
        accounts.create_first_admin(engine(), code, username, password, display_name=shown, client=client())
    except EdpError as err:
        show_error(err)
        return
    st.session_state[FIRST_DONE] = True
    st.rerun()


# ---------------------------------------------------------------- one's own account


def who_am_i() -> None:
    p = principal()
    if p is None:
        return
    plain(p.name, key="account-name", kind="title")
    roles = []
    if p.is_admin:
        roles.append(t("ui.role.admin"))
    titles = {}
    for proc in overview(engine()):
        titles[f"p{proc['id']}"] = proc["title"]
        for w in proc["workshops"]:
            titles[f"w{w['id']}"] = w["title"]
    roles += [f"{t('ui.role.process_leader')}: {titles.get(f'p{pid}', pid)}" for pid in sorted(p.leads)]
    roles += [f"{t('ui.role.observer')}: {titles.get(f'p{pid}', pid)}" for pid in sorted(p.observes)]
    roles += [f"{t('ui.role.facilitator')}: {titles.get(f'w{wid}', wid)}" for wid in sorted(p.facilitates)]
    st.caption(t("ui.account.roles"))
    plain("\n".join(roles) or t("ui.account.no_roles"), key="account-roles")


def password_section() -> None:
    """A new password, for an account that has one; an identity-provider account is told where its
    password lives."""
    st.subheader(t("ui.account.password_heading"))
    p = principal()
    if p is not None and not p.has_password:
        st.caption(t("ui.account.password_at_provider"))
        return
    password_form()


def password_form() -> None:
    with st.form("account-password"):
        current = st.text_input(t("field.current_password"), type="password", key="account-pw-current")
        new = st.text_input(t("field.new_password"), type="password", key="account-pw-new",
                            help=t("ui.admin.password_help"))  # fmt: skip
        again = st.text_input(t("ui.signin.password_again"), type="password", key="account-pw-again")
        if not st.form_submit_button(t("ui.account.change_password")):
            return
    if new != again:
        st.error(t("ui.signin.password_mismatch"))
        return
    try:
        accounts.change_password(engine(), organiser_token(), current, new)
    except EdpError as err:
        show_error(err)
        return
    done("ui.account.password_changed")


def sign_out_buttons() -> None:
    a, b = st.columns(2)
    # Signing out of the identity provider takes the browser there and back: no page switch then.
    signed_out = False
    if a.button(t("ui.account.sign_out"), key="account-signout", icon=":material/logout:", type="primary"):
        signed_out = not sign_out_organiser()
    if b.button(t("ui.account.sign_out_everywhere"), key="account-signout-all", icon=":material/devices:"):
        signed_out = not sign_out_organiser(everywhere=True)
    if signed_out:
        st.switch_page("pages/home.py")
    st.caption(t("ui.account.sign_out_everywhere_help"))
