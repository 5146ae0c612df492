"""Who is using this browser tab: participant (?p=TOKEN), projector (?projector=ID), lead actor
(?u=TOKEN, their roadmap update link), facilitator (a login held in session_state) or visitor.
Tokens live in the URL or session only; everything else is read from the database on each run."""

from __future__ import annotations

import streamlit as st

from edp.errors import EdpError
from edp.live import participant_workshop_id
from edp.throttle import Client
from edp.ui.common import engine

FAC_TOKEN = "fac_token"
FAC_WORKSHOP = "fac_workshop"


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


def projector_workshop() -> int | None:
    raw = st.query_params.get("projector", "")
    return int(raw) if raw.isdigit() else None


def actor_token() -> str | None:
    """A lead actor's update link. Not checked here: the update page explains a stale link
    instead of falling back to the visitor's pages."""
    return st.query_params.get("u") or None


def join_code_param() -> str:
    return st.query_params.get("join", "")


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


def role() -> str:
    if projector_workshop() is not None:
        return "projector"
    if participant_token() is not None:
        return "participant"
    if actor_token():
        return "actor"
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
