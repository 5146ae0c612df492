"""Pre-registration: import the registration list, print personal QR cards, see who has arrived.

The cards can be printed once only: the database keeps only hashes of the tokens. The PDF is made
when the list is imported (or a lost card is replaced) and offered until the facilitator says it
is saved; it lives in this browser session only, so a reload shows no card and no link."""

import streamlit as st

from edp.config import public_url
from edp.errors import EdpError, RowErrors
from edp.files import CSV_MAX_BYTES, megabytes, read_capped
from edp.io.cards import cards_pdf
from edp.io.exporters import mime_type
from edp.live import WorkshopView, facilitator_view
from edp.models import Participant
from edp.ui.common import engine, lang, t
from edp.ui.session import facilitator_token
from edp.ui.text import plain, show_error
from edp.workshop import set_workshop_options
from edp.workshop.registrations import card_rows, import_registrations, registered_participants, reissue_card

NEW_CARDS = "_reg_new_cards"  # the PDF made just now: {"workshop", "pdf", "file", "n", "replaced"}
IMPORT, REISSUE = "import", "reissue"  # where the offer shows: under the form that made the cards


def keep_cards(ws: WorkshopView, people: list[Participant], replaced: str | None = None) -> None:
    pdf = cards_pdf(card_rows(people), ws.title, public_url(st.get_option("server.port")), lang())
    suffix = f"-{people[0].id}" if replaced else ""
    st.session_state[NEW_CARDS] = {
        "workshop": ws.id, "pdf": pdf, "file": f"qr-cards-{ws.join_code}{suffix}.pdf", "n": len(people),
        "replaced": replaced, "where": REISSUE if replaced else IMPORT,
    }  # fmt: skip


def offer_cards(ws: WorkshopView, where: str) -> None:
    new = st.session_state.get(NEW_CARDS)
    if not new or new["workshop"] != ws.id or new["where"] != where:
        return
    with st.container(key="reg-new-cards", border=True):
        if new["replaced"]:
            st.info(t("ui.reg.card_replaced"))
            plain(new["replaced"], key="reg-replaced-name", kind="strong")
        st.warning(t("ui.reg.cards_once", n=new["n"]), icon=":material/qr_code_2:")
        st.download_button(
            t("ui.reg.download_cards"), new["pdf"], file_name=new["file"], mime=mime_type("pdf"),
            key="cards_pdf", on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        if st.button(t("ui.reg.cards_saved"), key="cards_saved"):
            del st.session_state[NEW_CARDS]
            st.rerun()


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
                keep_cards(ws, created)
                st.success(t("ui.reg.imported", n=len(created)))
            except RowErrors as err:
                show_error(err)
                for line, row_err in err.rows:
                    st.text(t("ui.reg.row_error", line=line, message=row_err.message(lang())))
            except EdpError as err:
                show_error(err)
offer_cards(ws, IMPORT)

people = registered_participants(engine(), token)
if not people:
    st.info(t("ui.reg.none"))
    st.stop()
arrived = sum(1 for *_, here in people if here)
st.metric(t("ui.reg.arrived"), f"{arrived} / {len(people)}")
st.dataframe(
    [{t("ui.reg.col_name"): n, t("ui.reg.col_org"): o, t("ui.reg.col_arrived"): here} for _, n, o, here in people],
    hide_index=True,
)

st.subheader(t("ui.reg.lost_card"))
st.caption(t("ui.reg.lost_card_help_anonymous" if ws.anonymous else "ui.reg.lost_card_help"))
names = {pid: f"{n} ({o})" for pid, n, o, _ in people}
with st.form("reissue_card"):
    who = st.selectbox(
        t("field.participant"),
        list(names),
        index=None,
        format_func=lambda pid: names[pid],
        key="reissue_who",
        placeholder=t("ui.choose"),
    )
    if st.form_submit_button(t("ui.reg.reissue")):
        if who is None:
            st.error(t("ui.reg.pick_someone"))
        else:
            try:
                p = reissue_card(engine(), token, who)
                keep_cards(ws, [p], replaced=p.display_name)
                st.rerun()
            except EdpError as err:
                show_error(err)
offer_cards(ws, REISSUE)
