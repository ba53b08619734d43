"""Production traffic replayed over real HTTP: the API started by the replay command on 127.0.0.1, a few
hundred unlabelled applications sent four at a time, every one stored as an event that the monitoring
reads back exactly as sent."""

from __future__ import annotations

import pytest

from pipelines.credit import monitoring, replay
from pipelines.credit.data import read_application

pytestmark = pytest.mark.slow
REPLAYED = 200


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, credit_model_dir):
    directory = tmp_path_factory.mktemp("replay")
    bodies = replay.payloads(read_application(replay.DEFAULT_APPLICATIONS, labelled=False).head(REPLAYED))
    url = f"sqlite:///{directory / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDIT_MODEL_DIR", str(credit_model_dir))
        with replay.serving(url) as base_url:
            statuses = replay.replay(base_url, bodies, concurrency=4)
    replay.export(url, directory / "traffic.jsonl.gz")
    return bodies, statuses, monitoring.read_recorded(directory / "traffic.jsonl.gz")


def test_every_replayed_application_is_scored_and_stored_as_sent(replayed) -> None:
    bodies, statuses, events = replayed
    assert statuses == {200: REPLAYED}
    assert len(events) == REPLAYED and set(events["http_status"]) == {200}
    by_client = {row["SK_ID_CURR"]: row for row in events["inputs"]}
    assert [by_client[body["SK_ID_CURR"]] for body in bodies] == bodies  # nothing added, nothing lost
    assert events["probability"].between(0, 1).all() and events["latency_ms"].gt(0).all()


def test_the_monitoring_reads_the_replayed_traffic(replayed) -> None:
    _, _, events = replayed
    ops = monitoring.operations(events)
    assert (ops["requests"], ops["scored"], ops["server_errors"]) == (REPLAYED, REPLAYED, 0)
    assert len(monitoring.production_inputs(events)) == REPLAYED


def test_a_replay_to_no_server_counts_connection_failures() -> None:
    assert replay.replay("http://127.0.0.1:9", [{"SK_ID_CURR": 1}], concurrency=1, timeout_s=2) == {0: 1}
