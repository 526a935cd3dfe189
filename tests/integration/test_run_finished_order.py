"""A client told that a run finished reads it finished: ``run_finished`` goes out on the run's
websocket only after the run's row is committed, however slow the disk is. The commits here
are slowed to a quarter second each, as on a busy machine; before, the event went out first
and a `GET` made on it answered `running` with no outputs."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from helpers import graph
from sqlalchemy import event

from app.main import create_app
from app.settings import Settings


def test_a_run_read_when_its_finish_arrives_is_finished(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", seed_examples=False))
    with TestClient(app, base_url="http://localhost") as client:
        event.listen(app.state.sessions, "before_commit", lambda session: time.sleep(0.25))
        for attempt in range(3):
            run_id = client.post("/api/runs", json={"document": graph("Order", text=f"words {attempt}")}).json()["id"]
            with client.websocket_connect(f"ws://localhost/api/runs/{run_id}/events") as ws:
                while (message := ws.receive_json()[-1])["type"] != "run_finished":
                    pass  # each message is a list of events in order; run_finished is the last
                run = client.get(f"/api/runs/{run_id}").json()  # at once, as the canvas does
            assert run["status"] == "succeeded", run
            assert run["outputs"] == {"out": f"words {attempt}"}
            assert message["data"]["status"] == "succeeded"
