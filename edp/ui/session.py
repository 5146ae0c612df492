"""Who is using this browser tab: participant (?p=TOKEN), projector (?projector=KEY), lead actor
(?u=TOKEN, their roadmap update link), a signed-in organiser (an account: the session cookie that
/konto/logga-in sets, or an OpenID Connect sign-in through st.login), a workshop console (opened
with the passcode, or by an organiser; held in session_state) or visitor.

Tokens live in the URL, a cookie or the session only; what they allow is decided by the engine on
every operation (edp.access), never by this module, which only chooses what to show."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

import streamlit as st

from edp import accounts
from edp.access import Principal
from edp.errors import EdpError, PermissionDenied
from edp.live import participant_workshop_id, projector_workshop_id
from edp.throttle import Client
from edp.ui.common import engine

FAC_TOKEN = "fac_token"
FAC_WORKSHOP = "fac_workshop"
ORG_TOKEN = "org_token"  # a session token this tab holds itself (AppTest; an OIDC sign-in's key)
ENDED = "_org_token_ended"  # a token this tab signed out: the cookie may still carry it until the next sign-in
PRINCIPAL = "_principal"  # this run's organiser, for choosing pages and menus only
OIDC_REFUSED = "_oidc_refused"
SESSION_COOKIE = "edp_session"  # set by edp.ui.routes after a password sign-in
OIDC_COOKIE = "_streamlit_user"  # Streamlit's signed identity cookie after st.login


CHECKED_TOKEN = "_participant_token_checked"


def participant_token() -> str | None:
    """The participant link's token, if it names a participant. Checked against the database once
    per browser session: the page itself reads the participant on every run and explains a token
    that stopped working, so the router need not ask again on each of a room's many reruns."""
    token = st.query_params.get("p")
    if not token:
        return None
    if st.session_state.get(CHECKED_TOKEN) == token:
        return token
    if participant_workshop_id(engine(), token) is not None:
        st.session_state[CHECKED_TOKEN] = token
        return token
    return None


CHECKED_PROJECTOR = "_projector_key_checked"


def projector_workshop() -> int | None:
    """The workshop whose projector address (?projector=KEY) this tab shows; looked up once per session."""
    key = st.query_params.get("projector", "")
    if not key:
        return None
    checked = st.session_state.get(CHECKED_PROJECTOR)
    if checked and checked[0] == key:
        return checked[1]
    workshop_id = projector_workshop_id(engine(), key)
    if workshop_id is not None:
        st.session_state[CHECKED_PROJECTOR] = (key, workshop_id)
    return workshop_id


def actor_token() -> str | None:
    """A lead actor's update link. Not checked here: the update page explains a stale link
    instead of falling back to the visitor's pages."""
    return st.query_params.get("u") or None


def join_code_param() -> str:
    return st.query_params.get("join", "")


JOIN_PATH = "anslut"  # the join page's own address (app.py)


def joins_by_default() -> bool:
    """The join page is the default (served at the plain address) when a join code came with the
    plain address, as the QR code's link does. At its own address (/anslut?join=…) it must stay a
    page of its own: a default page has no other address, and Streamlit would say "Page not found"."""
    if not join_code_param():
        return False
    return urlsplit(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1] != JOIN_PATH


def client() -> Client:
    """This browser session as the join throttles count it (edp/throttle.py): Streamlit's session
    id, and the address it comes from. The address is None on loopback; behind a proxy on loopback
    (nginx) the server takes it from X-Forwarded-For, which it trusts only from loopback."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return Client(session=ctx.session_id if ctx is not None else "", address=st.context.ip_address)


def facilitator_token() -> str | None:
    return st.session_state.get(FAC_TOKEN)


def facilitator_workshop() -> int | None:
    return st.session_state.get(FAC_WORKSHOP)


def sign_in_facilitator(workshop_id: int, token: str) -> None:
    st.session_state[FAC_TOKEN] = token
    st.session_state[FAC_WORKSHOP] = workshop_id


def sign_out_facilitator() -> None:
    """Forget the login here and end it in the database, so the token works nowhere else."""
    from edp.workshop import logout_facilitator

    if token := st.session_state.get(FAC_TOKEN):
        logout_facilitator(engine(), token)
    st.session_state.pop(FAC_TOKEN, None)
    st.session_state.pop(FAC_WORKSHOP, None)


def _oidc_cookie() -> str | None:
    """Streamlit's signed identity cookie, joined from its chunks if the browser split it."""
    cookies = st.context.cookies
    if not isinstance(cookies.get(OIDC_COOKIE), str):
        return None
    chunks = sorted((k for k in cookies if k.startswith(f"{OIDC_COOKIE}__")), key=lambda k: int(k.rsplit("__", 1)[1]))
    return cookies[OIDC_COOKIE] + "".join(cookies[k] for k in chunks)


def _oidc_token() -> str | None:
    """An OpenID Connect sign-in (st.login) as an organiser session, mapped once per browser session."""
    try:
        if not st.user.is_logged_in:
            return None
    except Exception:  # noqa: BLE001 - no identity provider configured
        return None
    key = _oidc_cookie()
    if not key:
        return None
    try:
        token = accounts.oidc_sign_in(engine(), st.user.to_dict(), key)
    except PermissionDenied as err:
        st.session_state[OIDC_REFUSED] = err
        return None
    st.session_state[ORG_TOKEN] = token
    return token


def organiser_token() -> str | None:
    """The organiser session this tab acts with, if any (the engine decides whether it still holds)."""
    cookie = st.context.cookies.get(SESSION_COOKIE)
    token = st.session_state.get(ORG_TOKEN) or (cookie if isinstance(cookie, str) else None) or _oidc_token()
    if not isinstance(token, str) or not token or token == st.session_state.get(ENDED):
        return None
    return token


def resolve_principal() -> Principal | None:
    """The signed-in organiser for this run (called once, by the router); None if nobody or expired."""
    token = organiser_token()
    p = accounts.session_principal(engine(), token) if token else None
    st.session_state[PRINCIPAL] = p
    return p


def principal() -> Principal | None:
    """This run's organiser as the router found it: for choosing what to show, never for deciding."""
    return st.session_state.get(PRINCIPAL)


def sign_out_organiser(*, everywhere: bool = False) -> bool:
    """End the organiser's session in the database (every session with `everywhere`), and forget it here.
    True when the browser is on its way to the identity provider's sign-out (st.logout), which then
    brings it back to the start page: the caller must not send it anywhere else."""
    token = organiser_token()
    if token:
        if everywhere:
            accounts.sign_out_everywhere(engine(), token)
        else:
            accounts.sign_out(engine(), token)
        st.session_state[ENDED] = token
    sign_out_facilitator()
    st.session_state.pop(ORG_TOKEN, None)
    st.session_state.pop(PRINCIPAL, None)
    try:
        if st.user.is_logged_in:
            st.logout()
            return True
    except Exception:  # noqa: BLE001 - no identity provider configured
        pass
    return False


def role() -> str:
    if st.query_params.get("projector"):  # the projector page explains a key that opens nothing
        return "projector"
    if participant_token() is not None:
        return "participant"
    if actor_token():
        return "actor"
    if resolve_principal() is not None:
        return "organiser"
    if facilitator_token():
        return "facilitator"
    return "visitor"


def become_participant(token: str) -> None:
    """The personal URL: reloading it, or opening it after a restart, is the same participant."""
    st.query_params.clear()
    st.query_params["p"] = token


def error_text(err: EdpError) -> str:
    from edp.ui.common import lang

    return err.message(lang())


# The sign-in page's query parameter: the page to come back to after a password sign-in.
SIGN_IN_NEXT = "next"


def sign_in_link() -> None:
    """A link to the sign-in page, for someone who is not signed in (in whose menu it always is). It
    names this page, so that the password sign-in brings the organiser back here, not to Start."""
    from streamlit.errors import StreamlitAPIException

    from edp.ui.common import t

    here = urlsplit(st.context.url or "").path
    back = {SIGN_IN_NEXT: here} if here.strip("/") else None
    with contextlib.suppress(StreamlitAPIException):  # a page run on its own, outside the router (AppTest)
        st.page_link("pages/signin.py", label=t("ui.nav.signin"), icon=":material/key:", query_params=back)


def organiser_page(*, admin: bool = False) -> Principal:
    """The signed-in organiser, or the page stops with a sign-in hint. Only for what to show: the
    engine checks the role on every operation whatever the page shows."""
    from edp.ui.common import t

    p = principal()
    if p is None or (admin and not p.is_admin):
        st.info(t("ui.admin.only_admins") if p is not None else t("ui.signin.needed"), icon=":material/lock:")
        if p is None:
            sign_in_link()
        st.stop()
    return p
