"""The home page through Streamlit's AppTest: demo content, language, an empty database, typed text shown literally.

Every test points EDP_DATABASE_URL at its own SQLite file, so the engine that edp.ui.common caches per URL
is never shared between tests.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from edp import workshop as ops
from edp.access import SYSTEM
from tests.app.support import APP, TIMEOUT_S
from tests.factory import PASSCODE, make_setup

DEMO_TITLE = "Upplevelser: kulturarv och kulturella och kreativa branscher"
JOIN_CODE = "JAMT26"

# What a user might type into a title: Markdown emphasis, an HTML tag and a link.
TYPED_TITLE = "**Fet** <b>x</b> [länk](http://e.se)"
TYPED_WS_TITLE = "_kursiv_ `kod` # rubrik"
TYPED_VENUE = "<i>Sal</i> ![bild](http://e.se/x.png) ~~struken~~"
TYPED_DESCRIPTION = "# Inte en rubrik\n* inte en lista\n<script>alert(1)</script>"


def run_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def values(elements) -> list[str]:  # noqa: ANN001
    return [e.value for e in elements]


def texts(at: AppTest) -> list[str]:
    return values(at.text)


def test_home_shows_demo_process_and_open_join_code(use_db, demo_template):
    use_db(demo_template)
    at = run_app()

    assert DEMO_TITLE in texts(at)
    open_lines = [v for v in texts(at) if JOIN_CODE in v]
    assert len(open_lines) == 1, texts(at)
    assert "Öppen" in open_lines[0]
    assert not at.error


def test_swedish_is_default_and_sidebar_switches_to_english(use_db, demo_template):
    use_db(demo_template)
    at = run_app()
    assert "Processer" in values(at.header)
    assert "Processes" not in values(at.header)
    switch = at.sidebar.selectbox(key="lang_select")
    assert switch.value == "sv"
    assert switch.label == "Språk"

    switch.select("en").run()

    assert not at.exception, [e.value for e in at.exception]
    assert "Processes" in values(at.header)
    assert "Processer" not in values(at.header)
    assert any(JOIN_CODE in v and "Open" in v for v in texts(at))
    # Not re-read here: the sidebar selectbox itself. AppTest (1.67) drops sidebar elements that come before
    # st.navigation on a rerun; a real browser keeps them (tests/e2e checks the switched label).


def test_empty_database_says_there_are_no_processes(use_db):
    use_db()
    at = run_app()

    assert values(at.header) == ["Processer"]
    assert [v for v in values(at.info) if v.startswith("Det finns inga processer än")]
    assert not texts(at)
    assert not at.error


def test_typed_markup_is_shown_literally(use_db):
    engine = use_db()
    proc = ops.create_process(engine, SYSTEM, TYPED_TITLE, description=TYPED_DESCRIPTION)
    ops.create_workshop(engine, SYSTEM, proc.id, TYPED_WS_TITLE, PASSCODE, venue=TYPED_VENUE)
    at = run_app()

    shown = texts(at)
    # st.text never interprets anything: each typed value is there exactly as typed.
    assert TYPED_TITLE in shown
    assert TYPED_DESCRIPTION in shown
    assert any(line.startswith(f"{TYPED_WS_TITLE} · {TYPED_VENUE} · ") for line in shown), shown

    # No element that interprets Markdown or HTML carries any of the typed text.
    markdown_like = [*at.title, *at.header, *at.subheader, *at.markdown, *at.caption]
    for element in markdown_like:
        for typed in ("Fet", "kursiv", "Sal", "Inte en rubrik"):
            assert typed not in element.value
    assert not [e.value for e in at.markdown if e.proto.allow_html]


def test_typed_character_references_icons_and_urls_are_text(use_db):
    engine = use_db()
    typed = "Pris &lt;100&gt; &amp; mer :material/home: http://e.se"
    ops.create_process(engine, SYSTEM, typed)
    at = run_app()
    assert typed in texts(at)


# --- The room is not a way in: join codes are the room's, the way in is labelled -------------------------------


def shown_anywhere(at: AppTest) -> str:
    """Every element of the page as its protocol message says it (labels, values, links, help)."""
    out: list[str] = []

    def walk(node) -> None:  # noqa: ANN001
        if (proto := getattr(node, "proto", None)) is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def console(s) -> AppTest:  # noqa: ANN001
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.session_state["fac_token"] = s.fac
    at.session_state["fac_workshop"] = s.workshop_id
    at = at.switch_page("pages/facilitate.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_home_lists_no_join_code_until_the_facilitator_shows_it_in_the_console(use_db):
    engine = use_db()
    s = make_setup(engine)
    closed = make_setup(engine)
    ops.set_workshop_open(engine, closed.fac, False)

    at = run_app()
    assert s.join_code not in shown_anywhere(at) and closed.join_code not in shown_anywhere(at)
    assert any(v.startswith("Testworkshop · Öppen") for v in texts(at)), texts(at)

    fac = console(s)
    show = fac.toggle(key="fac-showcode-False")
    assert show.label == "Visa anslutningskoden på den offentliga startsidan" and show.value is False
    show.set_value(True).run()
    assert not fac.exception
    at = run_app()
    assert [v for v in texts(at) if s.join_code in v] == [f"Testworkshop · Öppen – anslutningskod {s.join_code}"]
    assert closed.join_code not in shown_anywhere(at)

    fac = console(s)
    fac.toggle(key="fac-showcode-True").set_value(False).run()
    assert s.join_code not in shown_anywhere(run_app())


def test_home_has_a_labelled_way_to_join(use_db):
    use_db()
    at = run_app()
    [link] = [e for e in at.get("page_link") if e.proto.label == "Gå med i en workshop"]
    assert link.proto.page.endswith("anslut"), link.proto
    assert "Har du fått en anslutningskod" in " ".join(values(at.caption))


def test_strategy_period_is_printed_once_whether_or_not_the_title_names_it(engine):
    from edp.region import set_region

    region = "Region Jämtland Härjedalen"
    set_region(engine, SYSTEM, region, strategy_title="S3-strategi 2021–2027", period_start=2021, period_end=2027)
    lines = texts(run_app())
    assert "S3-strategi 2021–2027" in lines
    assert not any("2021–2027 2021–2027" in v for v in lines), lines

    set_region(engine, SYSTEM, region, strategy_title="S3-strategi", period_start=2021, period_end=2027)
    assert "S3-strategi 2021–2027" in texts(run_app())


# --- One tap from the plain address to joining ----------------------------------------------------------------


def show_code(s) -> None:  # noqa: ANN001
    """The facilitator shows the join code on the public home page (the console's toggle)."""
    fac = console(s)
    fac.toggle(key="fac-showcode-False").set_value(True).run()
    assert not fac.exception


def test_an_open_workshop_whose_code_is_shown_has_a_join_button_in_the_join_box(use_db):
    engine = use_db()
    s = make_setup(engine)
    show_code(s)
    at = run_app()
    joins = [e for e in at.get("page_link") if e.proto.label == "Gå med"]
    assert len(joins) == 1
    assert joins[0].proto.page.endswith("anslut")
    assert f"join={s.join_code}" in str(joins[0].proto), joins[0].proto
    assert "Testworkshop" in texts(at)  # the workshop it joins, as plain text beside it


def test_a_workshop_whose_code_is_not_shown_has_no_join_button_but_the_code_field(use_db):
    engine = use_db()
    s = make_setup(engine)
    at = run_app()
    assert not [e for e in at.get("page_link") if e.proto.label == "Gå med"]
    assert s.join_code not in shown_anywhere(at)
    assert at.text_input(key="home-code").label == "Anslutningskod"
    assert [b.label for b in at.button if b.key and "home-join-code" in b.key] == ["Gå med"]


def test_the_code_field_without_a_code_names_the_field_and_goes_nowhere(use_db):
    use_db()
    at = run_app()
    at.text_input(key="home-code").input("  ")
    [go] = [b for b in at.button if b.key and "home-join-code" in b.key]
    go.click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Anslutningskod: skriv koden som visas på skärmen i rummet (bokstäver och siffror)."
    ]
    assert "Processer" in values(at.header)  # still the home page


def test_the_code_field_takes_a_typed_code_to_the_join_page(use_db):
    engine = use_db()
    s = make_setup(engine)
    at = run_app()
    at.text_input(key="home-code").input(f" {s.join_code.lower()[:3]}-{s.join_code.lower()[3:]} ")
    [go] = [b for b in at.button if b.key and "home-join-code" in b.key]
    go.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params.get("join") in (s.join_code, [s.join_code])
    assert "Gå med i workshopen" in values(at.title)
