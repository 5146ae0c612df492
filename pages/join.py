"""Joining a workshop: the code (prefilled from ?join=), a name and an organisation, then the
personal URL ?p=TOKEN. Scanning the QR code to being ready takes three steps: name, organisation, Join.

The engine checks the code and throttles this browser session (and its address) for wrong codes
and joins (edp/throttle.py). A closed workshop's code gets the same answer as a code never used."""

import streamlit as st

from edp import workshop as ops
from edp.errors import EdpError, NotFound
from edp.live import workshop_view
from edp.models import HELIX_GROUPS
from edp.security import typed_join_code
from edp.ui.common import engine, t
from edp.ui.session import become_participant, client, join_code_param
from edp.ui.text import plain, show_error

NEW_ACTOR = -1  # the organisation option "not in the list, add it"
WRONG_CODES = "_join_wrong_codes"  # code -> the engine's refusal, for this browser session


def verdict(code: str) -> tuple[int | None, EdpError | None]:
    """The open workshop a code names, or the engine's refusal. A wrong code is counted against
    this session once: the page's reruns (typing a name, switching language) do not count it again."""
    wrong: dict[str, EdpError] = st.session_state.setdefault(WRONG_CODES, {})
    if (known := wrong.get(typed_join_code(code))) is not None:
        return None, known
    try:
        return ops.open_workshop_for_code(engine(), code, client=client()), None
    except NotFound as err:
        wrong[typed_join_code(code)] = err
        return None, err
    except EdpError as err:  # not a code at all, or this session is throttled: nothing was counted
        return None, err


# Our own, fixed CSS: the join page's buttons and fields are tap targets of at least 44 px on a phone.
st.html(
    "<style>.st-key-join-continue button, .st-key-join-submit button, "
    '[class*="st-key-join-"] [data-baseweb="input"], [class*="st-key-join-"] [data-baseweb="select"] > div '
    "{ min-height: 44px; }</style>"
)
st.title(t("ui.join.title"), anchor=False)

code = join_code_param()
workshop_id, refusal = verdict(code) if code else (None, None)

if workshop_id is None:
    # No usable code in the URL: type it (the refusal of a ?join= code shows at once).
    st.caption(t("ui.join.code_intro"))
    typed = st.text_input(t("ui.join.code"), value=code, key="join-code")
    if st.button(t("ui.join.continue"), key="join-continue", type="primary"):
        workshop_id, refusal = verdict(typed)
        if workshop_id is not None:
            st.query_params["join"] = typed_join_code(typed)
            st.rerun()
    if refusal is not None:
        show_error(refusal)
    st.stop()

try:
    ws = workshop_view(engine(), workshop_id)
except EdpError as err:
    show_error(err)
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
            participant = ops.join(
                engine(), ws.join_code, name, actor_name=new_name or None, helix=new_helix, client=client()
            )
        else:
            participant = ops.join(engine(), ws.join_code, name, actor_id=actor, client=client())
    except EdpError as err:
        show_error(err)
    else:
        assert participant.token is not None  # join hands the new participant's token over, once
        become_participant(participant.token)
        st.rerun()
