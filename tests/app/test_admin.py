"""A region starts from nothing (AppTest): the first account with the setup code, then the admin's
page: the region and its strategy, strength areas (one, and from a file), a process with its
process leader, an account and its role. The sign-in and account pages for an organiser."""

from __future__ import annotations

import io

from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from edp import accounts, i18n, region
from edp.access import SYSTEM
from edp.queries import overview
from tests.app.support import APP, STRONG, TIMEOUT_S, as_organiser, ok, organiser_token
from tests.conftest import table_counts


def sv(key: str, **params) -> str:
    return i18n.t(key, "sv", **params)


def admin_page(engine) -> AppTest:
    return as_organiser(organiser_token(engine, "admin", admin=True), "pages/admin.py")


def submit(at: AppTest, prefix: str) -> AppTest:
    [button] = [b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:{prefix}")]
    return ok(button.click().run())


# ------------------------------------------------------------------ the first account


def test_an_empty_instance_offers_the_first_account_with_the_setup_code(engine):
    code = accounts.issue_setup_code(engine)
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/signin.py").run())
    assert sv("ui.signin.first_intro") in [i.value for i in at.info]
    at.text_input(key="first-code").input("FEL-KOD")
    at.text_input(key="first-username").input("anna")
    at.text_input(key="first-password").input(STRONG)
    at.text_input(key="first-again").input(STRONG)
    at = submit(at, "first-account")
    assert [e.value for e in at.error] == [sv("setup.wrong_code")]
    assert not accounts.users_exist(engine)

    at.text_input(key="first-code").input(code)
    at = submit(at, "first-account")
    assert sv("ui.signin.first_done") in [s.value for s in at.success]
    assert [u.is_admin for u in accounts.list_users(engine, SYSTEM)] == [True]
    body = at.get("html")[-1].proto.body
    assert 'href="/konto/logga-in?next=/&amp;lang=sv"' in body


def test_once_an_account_exists_the_sign_in_page_offers_only_signing_in(engine):
    organiser_token(engine)
    at = ok(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).switch_page("pages/signin.py").run())
    assert not [t for t in at.text_input if t.key == "first-code"]
    body = at.get("html")[-1].proto.body
    assert 'href="/konto/logga-in?next=/&amp;lang=sv"' in body and sv("ui.signin.with_password") in body


# ------------------------------------------------------------------ the admin's page


def test_a_process_leader_does_not_get_the_admin_page(engine):
    at = as_organiser(organiser_token(engine))
    # Not in a process leader's menu; by its address, the page says it is for admins and stops.
    at = ok(at.switch_page("pages/admin.py").run())
    assert [i.value for i in at.info] == [sv("ui.admin.only_admins")]
    assert not at.text_input and not at.tabs and not at.button
    # ... and the page itself, reached some other way, shows nothing of the admin's
    page = AppTest.from_file(str(APP.parent / "pages" / "admin.py"), default_timeout=TIMEOUT_S)
    page.session_state["org_token"] = at.session_state["org_token"]
    page = ok(page.run())
    assert not page.text_input and not page.tabs


def test_the_admin_describes_the_region_and_its_strategy(engine):
    at = admin_page(engine)
    at.text_input(key="admin-region-name").input("Region Västernorrland")
    at.text_input(key="admin-region-strategy").input("Smart specialisering 2021–2027")
    at.number_input(key="admin-region-start").set_value(2021)
    at.number_input(key="admin-region-end").set_value(2027)
    at = submit(at, "admin-region")
    assert sv("ui.admin.region_saved") in [s.value for s in at.success]
    r = region.region(engine)
    assert (r.name, r.strategy_title, r.period_start, r.period_end) == (
        "Region Västernorrland", "Smart specialisering 2021–2027", 2021, 2027)  # fmt: skip


def test_a_reversed_strategy_period_is_refused_naming_the_field_and_nothing_is_saved(engine):
    at = admin_page(engine)
    before = table_counts(engine)
    at.text_input(key="admin-region-name").input("Region X")
    at.number_input(key="admin-region-start").set_value(2027)
    at.number_input(key="admin-region-end").set_value(2021)
    at = submit(at, "admin-region")
    assert [e.value for e in at.error] == [sv("process.period_reversed", field="Slutår", start=2027)]
    assert table_counts(engine) == before


def test_strength_areas_are_added_one_by_one_and_from_a_spreadsheet(engine):
    at = admin_page(engine)
    at.text_input(key="admin-area-code-0").input("energi")
    at.text_input(key="admin-area-sv-0").input("Hållbar energi")
    at.text_input(key="admin-area-en-0").input("Sustainable energy")
    at = submit(at, "admin-area-add")
    assert sv("ui.admin.area_added") in [s.value for s in at.success]

    wb = Workbook()
    ws = wb.active
    ws.append(["kod", "namn", "name_en", "beskrivning"])
    ws.append(["DIGITALT", "Digitala lösningar", "Digital solutions", "Tjänster i en gles region"])
    ws.append(["UPPLEVELSER", "Upplevelser", "Experiences", ""])
    buf = io.BytesIO()
    wb.save(buf)
    at.file_uploader(key="admin-area-file-0").upload("omraden.xlsx", buf.getvalue(), "application/octet-stream")
    at = ok(at.run())
    at = ok(at.button(key="admin-area-import").click().run())
    assert sv("ui.admin.areas_imported", n=2) in [s.value for s in at.success]
    assert [a.code for a in region.strength_areas(engine)] == ["DIGITALT", "ENERGI", "UPPLEVELSER"]


def test_a_strength_area_file_with_a_bad_row_imports_nothing_and_lists_the_row(engine):
    region.create_strength_area(engine, SYSTEM, "ENERGI", "Energi", "Energy")
    at = admin_page(engine)
    before = table_counts(engine)
    data = "code,name_sv,name_en\nNYTT,Nytt område,New area\nENERGI,Energi igen,Energy again\n".encode()
    at.file_uploader(key="admin-area-file-0").upload("omraden.csv", data, "text/csv")
    at = ok(at.run())
    at = ok(at.button(key="admin-area-import").click().run())
    assert [e.value for e in at.error] == [sv("import.rows_invalid", count=1)]
    assert any("3" in t.value and "ENERGI" in t.value for t in at.text)
    assert table_counts(engine) == before


def test_a_process_is_created_with_its_process_leader_who_then_leads_it(engine):
    region.create_strength_area(engine, SYSTEM, "ENERGI", "Energi", "Energy")
    leader = accounts.create_user(engine, SYSTEM, "ledare", password=STRONG, display_name="Lena Ledare")
    at = admin_page(engine)
    at.text_input(key="admin-p-title-0").input("Hållbar energi 2026")
    at.multiselect(key="admin-p-areas-0").set_value(["ENERGI"])
    at.selectbox(key="admin-p-leader-0").set_value(leader)
    at = submit(at, "admin-process")
    assert sv("ui.admin.process_created") in [s.value for s in at.success]
    [proc] = overview(engine)
    assert proc["title"] == "Hållbar energi 2026" and [a["code"] for a in proc["strength_areas"]] == ["ENERGI"]
    token = accounts.password_sign_in(engine, "ledare", STRONG)
    assert accounts.session_principal(engine, token).leads == frozenset({proc["id"]})


def test_an_account_is_made_and_given_a_role(engine):
    from edp import workshop as ops

    proc = ops.create_process(engine, SYSTEM, "Upplevelser")
    at = admin_page(engine)
    at.text_input(key="admin-u-name-0").input("Olle.Observer")
    at.text_input(key="admin-u-shown-0").input("Olle")
    at.text_input(key="admin-u-pw-0").input(STRONG)
    at = submit(at, "admin-user")
    assert sv("ui.admin.user_created") in [s.value for s in at.success]
    olle = next(u for u in accounts.list_users(engine, SYSTEM) if u.username == "olle.observer")

    at.selectbox(key="admin-g-user").set_value(olle.id)
    at.selectbox(key="admin-g-role").set_value("observer")
    at = ok(at.run())
    at.selectbox(key="admin-g-scope-p").set_value(f"p{proc.id}")
    at = ok(at.button(key="admin-grant").click().run())
    assert sv("ui.admin.granted") in [s.value for s in at.success]
    token = accounts.password_sign_in(engine, "olle.observer", STRONG)
    assert accounts.session_principal(engine, token).observes == frozenset({proc.id})


def test_a_weak_password_for_a_new_account_is_refused_naming_the_field(engine):
    at = admin_page(engine)
    before = table_counts(engine)
    at.text_input(key="admin-u-name-0").input("bo")
    at.text_input(key="admin-u-pw-0").input("password123")
    at = submit(at, "admin-user")
    assert [e.value for e in at.error] == [sv("input.too_easy_to_guess", field="Lösenord")]
    assert table_counts(engine) == before


# ------------------------------------------------------------------ one's own account


def test_an_organiser_changes_their_password_and_signs_out(engine):
    token = organiser_token(engine)
    at = as_organiser(token, "pages/account.py")
    at.text_input(key="account-pw-current").input(STRONG)
    at.text_input(key="account-pw-new").input("myrstack-lavin-1979")
    at.text_input(key="account-pw-again").input("myrstack-lavin-1979")
    at = submit(at, "account-password")
    assert sv("ui.account.password_changed") in [s.value for s in at.success]
    assert accounts.password_sign_in(engine, "ledare", "myrstack-lavin-1979")

    at = ok(at.button(key="account-signout").click().run())
    assert accounts.session_principal(engine, token) is None
    assert sv("ui.nav.account") not in str(at.get("navigation"))
