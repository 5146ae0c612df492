"""Pre-registration: import the registration list, print personal QR cards, see who has arrived."""

import streamlit as st

from edp.cards import cards_pdf
from edp.config import public_url
from edp.errors import EdpError, RowErrors
from edp.files import CSV_MAX_BYTES, megabytes, read_capped
from edp.live import facilitator_view
from edp.registrations import import_registrations, registered_participants
from edp.ui.common import engine, lang, t
from edp.ui.session import facilitator_token
from edp.ui.text import show_error
from edp.workshop import set_workshop_options

st.title(t("ui.reg.title"))
token = facilitator_token()
if not token:
    st.info(t("ui.reg.login_first"))
    st.stop()
try:
    ws = facilitator_view(engine(), token)
except EdpError as err:
    show_error(err)
    st.stop()

st.caption(t("ui.reg.intro"))
allow = st.toggle(t("ui.reg.allow_unregistered"), value=ws.allow_unregistered, key="allow_unregistered")
if allow != ws.allow_unregistered:
    try:
        set_workshop_options(engine(), token, allow_unregistered=allow)
        st.rerun()
    except EdpError as err:
        show_error(err)

with st.form("registration_import", clear_on_submit=True):
    limit = megabytes(CSV_MAX_BYTES)
    upload = st.file_uploader(
        t("ui.reg.upload"), type=["csv", "txt"], max_upload_size=limit,
        help=f"{t('ui.reg.upload_help')} {t('file.upload_limit', max=limit)}",
    )  # fmt: skip
    if st.form_submit_button(t("ui.reg.import"), type="primary"):
        if upload is None:
            st.error(t("ui.reg.no_file"))
        else:
            try:
                created = import_registrations(engine(), token, read_capped(upload, CSV_MAX_BYTES))
                st.success(t("ui.reg.imported", n=len(created)))
            except RowErrors as err:
                show_error(err)
                for line, row_err in err.rows:
                    st.text(t("ui.reg.row_error", line=line, message=row_err.message(lang())))
            except EdpError as err:
                show_error(err)

people = registered_participants(engine(), token)
if not people:
    st.info(t("ui.reg.none"))
    st.stop()
arrived = sum(1 for *_, here in people if here)
st.metric(t("ui.reg.arrived"), f"{arrived} / {len(people)}")
st.dataframe(
    [{t("ui.reg.col_name"): n, t("ui.reg.col_org"): o, t("ui.reg.col_arrived"): here} for _, n, o, _, here in people],
    hide_index=True,
)
base = public_url(st.get_option("server.port"))
st.download_button(
    t("ui.reg.download_cards"),
    data=cards_pdf([(n, o, tok) for _, n, o, tok, _ in people], ws.title, base, lang()),
    file_name=f"qr-cards-{ws.join_code}.pdf",
    mime="application/pdf",
    key="cards_pdf",
)
