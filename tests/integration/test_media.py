"""Media through the real server: uploads checked by content, an image run with live step
previews, and artifacts served with their mime types."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import events, wait_run
from studio_server import Server

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "examples" / "assets" / "hello.wav"


def test_uploads_are_typed_by_content_and_stored_once(server, api):
    wav = CLIP.read_bytes()
    first = api.post("/api/uploads", params={"filename": "meeting.wav"}, content=wav)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["mime"] == "audio/wav" and body["size"] == len(wav)
    assert body["path"] == f"uploads/{body['sha256']}.wav"  # no server folder in the answer
    assert (server.data_dir / body["path"]).read_bytes() == wav
    again = api.post("/api/uploads", params={"filename": "other-name.wav"}, content=wav).json()
    assert again["path"] == body["path"]

    disguised = api.post("/api/uploads", params={"filename": "song.mp3"}, content=b"MZ\x90\x00 not audio at all" * 10)
    assert disguised.status_code == 415 and disguised.json()["error"]["code"] == "unsupported_media_type"
    notes = api.post("/api/uploads", params={"filename": "notes.md"}, content=b"# Notes\n\nplain text")
    assert notes.status_code == 201 and notes.json()["mime"] == "text/markdown"
    empty = api.post("/api/uploads", params={"filename": "x.wav"}, content=b"")
    assert empty.status_code == 422


def test_uploads_over_the_limit_are_refused(tmp_path):
    srv = Server(tmp_path / "data", env={"GENAISYS_MAX_UPLOAD_BYTES": "1000"}).start()
    try:
        with srv.client() as api:
            resp = api.post("/api/uploads", params={"filename": "big.wav"}, content=CLIP.read_bytes())
            assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
            assert not [p for p in (tmp_path / "data" / "uploads").iterdir() if not p.name.startswith(".")]
    finally:
        srv.stop()


@pytest.mark.slow
def test_an_uploaded_clip_is_transcribed(api):
    path = api.post("/api/uploads", params={"filename": "hello.wav"}, content=CLIP.read_bytes()).json()["path"]
    doc = {"schema": "genaisys.graph/1", "nodes": [
        {"id": "audio", "type": "io.audio_input", "params": {"value": path}},
        {"id": "stt", "type": "models.speech_to_text", "params": {}},
        {"id": "out", "type": "io.text_output", "params": {}}],
        "edges": [{"id": "a", "source": "audio", "source_port": "audio", "target": "stt", "target_port": "audio"},
                  {"id": "b", "source": "stt", "source_port": "text", "target": "out", "target_port": "value"}]}
    run = wait_run(api, api.post("/api/runs", json={"document": doc}).json()["id"], timeout=120)
    assert run["status"] == "succeeded", run
    assert "encoders" in run["outputs"]["out"].lower()


@pytest.mark.slow
def test_image_run_streams_previews_and_serves_a_png(server, api):
    doc = {"schema": "genaisys.graph/1", "nodes": [
        {"id": "sd", "type": "models.text_to_image", "params": {"prompt": "a lighthouse", "steps": 8, "seed": 3}},
        {"id": "out", "type": "io.image_output", "params": {}}],
        "edges": [{"id": "a", "source": "sd", "source_port": "image", "target": "out", "target_port": "value"}]}
    run_id = api.post("/api/runs", json={"document": doc}).json()["id"]
    got = events(server.ws_url, run_id, timeout=120)
    previews = [e["data"]["preview"] for e in got if e["type"] == "node_progress" and "preview" in e.get("data", {})]
    assert previews and previews[-1]["image"].startswith("data:image/png;base64,")
    run = wait_run(api, run_id)
    image = run["outputs"]["out"]
    assert image["mime"] == "image/png" and image["width"] == 64
    resp = api.get(image["url"])
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    assert resp.content.startswith(b"\x89PNG")
