"""Joining a workshop: the code (prefilled from ?join=), a name and an organisation, then the
personal URL ?p=TOKEN. Scanning the QR code to being ready takes three steps: name, organisation, Join."""

import streamlit as st

from edp import workshop as ops
from edp.errors import EdpError
from edp.live import open_workshop_id, workshop_view
from edp.models import HELIX_GROUPS
from edp.ui.common import engine, lang, t
from edp.ui.session import become_participant, join_code_param
from edp.ui.text import plain, show_error

NEW_ACTOR = -1  # the organisation option "not in the list, add it"


def code_refusal(code: str) -> str:
    """The engine's own verdict on a code that opens no workshop (unknown, closed or empty).
    join() checks the code before anything else and refuses before writing anything."""
    try:
        ops.join(engine(), code, "")
    except EdpError as err:
        return err.message(lang())
    return ""


st.title(t("ui.join.title"))

code = join_code_param()
try:
    workshop_id = open_workshop_id(engine(), code) if code else None
    ws = workshop_view(engine(), workshop_id) if workshop_id is not None else None
except EdpError as err:
    show_error(err)
    st.stop()

if ws is None:
    # No usable code in the URL: type it (the error for a bad ?join= code shows at once).
    st.caption(t("ui.join.code_intro"))
    typed = st.text_input(t("ui.join.code"), value=code, key="join-code")
    if st.button(t("ui.join.continue"), key="join-continue", type="primary"):
        if open_workshop_id(engine(), typed) is not None:
            st.query_params["join"] = typed.strip()
            st.rerun()
        st.error(code_refusal(typed))
    elif code:
        st.error(code_refusal(code))
    st.stop()

plain(ws.title, key="join-workshop", kind="title")
plain(t("ui.join.code_line", code=ws.join_code), key="join-code-line")

name = st.text_input(t("ui.join.name"), key="join-name")
actors = {actor_id: f"{actor_name} ({t(f'helix.{helix}')})" for actor_id, actor_name, helix in ws.actors}
# A "new organisation" already chosen stays chosen if the facilitator turns the option off
# meanwhile, so the engine's refusal explains what happened instead of the choice vanishing.
offer_new = ws.allow_new_actors or st.session_state.get("join-actor") == NEW_ACTOR
options = [*actors, NEW_ACTOR] if offer_new else list(actors)
actor = st.selectbox(
    t("ui.join.organisation"),
    options,
    index=None,
    placeholder=t("ui.join.organisation_choose"),
    format_func=lambda a: t("ui.join.organisation_new") if a == NEW_ACTOR else actors[a],
    key="join-actor",
)
new_name, new_helix = "", None
if actor == NEW_ACTOR:
    new_name = st.text_input(t("ui.join.new_name"), key="join-new-name")
    new_helix = st.radio(
        t("ui.join.new_helix"), HELIX_GROUPS, index=None, format_func=lambda g: t(f"helix.{g}"), key="join-new-helix"
    )

if st.button(t("ui.join.submit"), key="join-submit", type="primary", width="stretch"):
    try:
        if actor == NEW_ACTOR:
            participant = ops.join(engine(), ws.join_code, name, actor_name=new_name or None, helix=new_helix)
        else:
            participant = ops.join(engine(), ws.join_code, name, actor_id=actor)
    except EdpError as err:
        show_error(err)
    else:
        become_participant(participant.token)
        st.rerun()
