"""The red team's join attacks, replayed as they were made: one websocket to a real `streamlit run`,
speaking Streamlit's own protocol, rerunning the join page as fast as the server answers.

- Join flood: one person joined 15 times at 5.9 joins a second (then proposed 20 themes from each).
- Code guessing: codes were guessed at 20 a second over one websocket.

Both must now be refused at the join throttle (edp/throttle.py), with its message on the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection

from edp import throttle
from edp.db import make_engine, read
from edp.models import Attempt, Participant
from tests.e2e.screenshot import make_empty_database, streamlit_server, ws_connect
from tests.factory import make_setup

pytestmark = pytest.mark.browser

RUN_TIMEOUT_S = 30
THROTTLED_JOINS = "Härifrån har någon gått med flera gånger på kort tid."
THROTTLED_CODES = "För många felaktiga anslutningskoder har provats härifrån."
WRONG_CODE = "Ingen öppen workshop har koden"


@dataclass
class Tab:
    """One browser tab at the protocol level: one websocket, one Streamlit session."""

    ws: ClientConnection
    widgets: dict[str, object] = field(default_factory=dict)  # user key -> the widget's element
    alerts: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # st.text elements (plain text)

    def run(self, query: str, states: list[dict] | None = None) -> None:
        """A rerun as the browser sends it, then read until the run (and any st.rerun) has finished."""
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = ""
        for state in states or []:
            w = msg.rerun_script.widget_states.widgets.add()
            for k, v in state.items():
                setattr(w, k, v)
        self.widgets, self.alerts, self.texts = {}, [], []
        self.ws.send(msg.SerializeToString())
        while True:
            m = ForwardMsg()
            m.ParseFromString(self.ws.recv(timeout=RUN_TIMEOUT_S))
            kind = m.WhichOneof("type")
            if kind == "new_session":
                self.widgets, self.alerts, self.texts = {}, [], []
            elif kind == "delta" and m.delta.WhichOneof("type") == "new_element":
                el = m.delta.new_element
                body = getattr(el, el.WhichOneof("type"))
                if el.WhichOneof("type") == "exception":
                    raise AssertionError(f"the page raised: {body.message}")
                if el.WhichOneof("type") == "alert":
                    self.alerts.append(body.body)
                if el.WhichOneof("type") == "text":
                    self.texts.append(body.body)
                wid = getattr(body, "id", "")
                if wid.startswith("$$ID-"):
                    self.widgets[wid.split("-", 2)[2]] = body
            elif kind == "script_finished" and m.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return

    def join(self, code: str, name: str, organisation: str) -> None:
        self.run(f"join={code}")
        if "join-name" not in self.widgets:
            return  # refused before the form: the refusal is in self.alerts
        actor = self.widgets["join-actor"]
        [label] = [o for o in actor.options if o.startswith(organisation)]
        self.run(
            f"join={code}",
            [
                {"id": self.widgets["join-name"].id, "string_value": name},
                {"id": actor.id, "string_value": label},
                {"id": self.widgets["join-submit"].id, "trigger_value": True},
            ],
        )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    url = make_empty_database(tmp_path / "room.sqlite")
    with streamlit_server(url, tmp_path / "streamlit.log") as base_url:
        yield url, int(base_url.rsplit(":", 1)[1])


@pytest.fixture
def tab(server) -> Iterator[Tab]:
    _url, port = server
    with ws_connect(port, f"127.0.0.1:{port}") as ws:
        yield Tab(ws)


def counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        with read(engine) as s:
            people = s.scalar(select(func.count()).select_from(Participant))
            guesses = s.scalar(select(func.count()).where(Attempt.kind == "wrong_code"))
        return people, guesses
    finally:
        engine.dispose()


def setup_in(db_url: str):  # noqa: ANN201
    """The factory's workshop, made in the server's database."""
    engine = make_engine(db_url)
    try:
        return make_setup(engine)
    finally:
        engine.dispose()


def test_red_team_join_flood_over_one_websocket_is_refused_at_the_throttle(server, tab):
    db_url, _port = server
    s = setup_in(db_url)

    outcomes = []
    for i in range(15):
        tab.join(s.join_code, f"Klon {i}", "Aktör civil")
        outcomes.append("refused" if any(a.startswith(THROTTLED_JOINS) for a in tab.alerts) else "joined")

    allowed = throttle.JOINS_PER_SESSION.count
    assert outcomes == ["joined"] * allowed + ["refused"] * (15 - allowed)
    assert counts(db_url)[0] == allowed


def test_red_team_code_guessing_over_one_websocket_is_refused_at_the_throttle(server, tab):
    db_url, _port = server
    s = setup_in(db_url)

    answers = []
    for i in range(20):
        tab.run(f"join=ZZZ{i:03d}")
        # A wrong code is quoted back: a fixed alert, then the message in plain text (edp.ui.text.show_error).
        shown = tab.alerts + tab.texts
        answers.append(
            "wrong" if any(a.startswith(WRONG_CODE) for a in shown)
            else "throttled" if any(a.startswith(THROTTLED_CODES) for a in shown)
            else repr(shown)
        )  # fmt: skip
    allowed = throttle.WRONG_CODES_PER_SESSION.count
    assert answers == ["wrong"] * allowed + ["throttled"] * (20 - allowed)
    tab.run(f"join={s.join_code}")  # the right code is refused too: the answer must not tell it apart
    assert [a[: len(THROTTLED_CODES)] for a in tab.alerts] == [THROTTLED_CODES] and "join-name" not in tab.widgets
    assert counts(db_url) == (0, allowed)
