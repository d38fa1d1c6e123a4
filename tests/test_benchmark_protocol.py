"""The load benchmark's protocol client (benchmarks/load.py): the messages it sends and how it reads what
the server sends back. No server here: messages are built as Streamlit builds them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import load  # noqa: E402
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402


def _element(kind: str, **fields) -> bytes:
    msg = ForwardMsg()
    element = msg.delta.new_element
    getattr(element, kind).SetInParent()
    for name, value in fields.items():
        setattr(getattr(element, kind), name, value)
    return msg.SerializeToString()


def _finished(status: int) -> bytes:
    msg = ForwardMsg()
    msg.script_finished = status
    return msg.SerializeToString()


def _new_session() -> bytes:
    msg = ForwardMsg()
    msg.new_session.page_script_hash = "abc"
    return msg.SerializeToString()


def test_the_rerun_message_is_what_a_browser_sends_on_opening_a_page():
    msg = BackMsg.FromString(load.rerun_message("http://127.0.0.1:8501/overview", "sites=Camp+Liberty")
                             .SerializeToString())
    assert msg.WhichOneof("type") == "rerun_script"
    state = msg.rerun_script
    assert (state.page_name, state.query_string, state.page_script_hash) == ("overview", "sites=Camp+Liberty", "")
    assert state.HasField("widget_states") and not state.widget_states.widgets
    assert state.context_info.url == "http://127.0.0.1:8501/overview?sites=Camp+Liberty"
    assert (state.context_info.timezone, state.context_info.locale) == ("UTC", "en-US")
    assert load.script_reruns([msg.SerializeToString(), msg.SerializeToString()]) == 2


def test_a_page_served_whole_is_counted_element_by_element():
    frames = [_new_session(), _element("heading", body="Overview"), _element("metric", label="Remaining"),
              _element("metric", label="Relocated"), _element("plotly_chart", spec="{}"),
              _element("plotly_chart", spec="{}"), _finished(ForwardMsg.FINISHED_SUCCESSFULLY)]
    received = load.tally(frames)
    assert dict(received.elements) == {"heading": 1, "metric": 2, "plotly_chart": 2}
    assert received.charts == 2
    assert received.runs == ["FINISHED_SUCCESSFULLY"] and received.finished
    assert received.messages == 7 and received.bytes == sum(len(f) for f in frames)
    assert received.problems(2) == []
    assert received.problems(3) == ["2 charts received, 3 expected"]


def test_a_rerun_counts_the_last_run_only_and_is_not_finished_until_it_ends():
    received = load.tally([_new_session(), _element("plotly_chart", spec="{}"),
                           _finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), _new_session()])
    assert not received.finished and received.charts == 0
    received.add(_element("plotly_chart", spec="{}"))
    received.add(_finished(ForwardMsg.FINISHED_SUCCESSFULLY))
    assert received.finished and received.charts == 1
    assert received.runs == ["FINISHED_EARLY_FOR_RERUN", "FINISHED_SUCCESSFULLY"]


@pytest.mark.parametrize(("frame", "problem"), [
    (_element("exception", type="ValueError", message="bad date"), "exception: ValueError: bad date"),
    (_element("alert", body="The database could not be opened", format=Alert.ERROR),
     "error: The database could not be opened"),
])
def test_an_exception_or_an_error_is_a_problem(frame, problem):
    received = load.tally([_new_session(), frame, _element("plotly_chart", spec="{}"),
                           _finished(ForwardMsg.FINISHED_SUCCESSFULLY)])
    assert received.problems(1) == [problem]


def test_a_warning_is_no_problem_and_an_unfinished_script_is():
    received = load.tally([_new_session(), _element("alert", body="2 sites have no count", format=Alert.WARNING)])
    assert received.elements["alert"] == 1 and received.errors == []
    assert received.problems(0) == ["script not finished (runs: [])"]
