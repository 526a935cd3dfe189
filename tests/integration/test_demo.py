"""Live demos at /demo/{token}, driven by gradio_client against a real `genaisys serve`.

One server serves most tests (gradio is imported once, on the first demo opened); each test
makes its own graph and share links, so the tests do not depend on each other.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Server
from tests.integration.helpers import graph

gradio_client = pytest.importorskip("gradio_client")

ROOT = Path(__file__).resolve().parents[2]
PROMPT_BUILDER = json.loads((ROOT / "examples" / "prompt_builder.json").read_text(encoding="utf-8"))
TEMPLATE = PROMPT_BUILDER["nodes"][5]["params"]["template"]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("demo") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture
def api(demo_server: Server) -> Iterator[httpx.Client]:
    with demo_server.client() as client:
        yield client


def make_graph(api: httpx.Client, document: dict[str, Any] | None = None, name: str = "Prompt builder") -> str:
    document = copy.deepcopy(document or PROMPT_BUILDER)
    document["name"] = name
    r = api.post("/api/graphs", json={"document": document})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def share(api: httpx.Client, graph_id: str, mode: str = "demo", **extra: Any) -> dict[str, Any]:
    r = api.post(f"/api/graphs/{graph_id}/shares", json={"mode": mode, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def client(server: Server, url: str, tmp_path: Path) -> Any:
    return gradio_client.Client(f"{server.url}{url}/", verbose=False, download_files=str(tmp_path))


def runs_of(api: httpx.Client, graph_id: str) -> list[dict[str, Any]]:
    return api.get("/api/runs", params={"graph_id": graph_id}).json()["data"]


@pytest.mark.slow
def test_demo_returns_the_graphs_output_and_stores_the_run(demo_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    gid = make_graph(api)
    link = share(api, gid)
    assert link["url"] == f"/demo/{link['token']}"

    r = api.get(link["url"], follow_redirects=False)  # the share's url leads to the page
    assert r.status_code == 307 and r.headers["location"].endswith(f"{link['token']}/")
    page = api.get(link["url"], follow_redirects=True)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    config = api.get(f"{link['url']}/config").json()
    assert config["title"] == "Prompt builder"
    texts = json.dumps(config["components"])
    assert "Turns a list of notes into a question prompt" in texts  # the description is the header

    demo = client(demo_server, link["url"], tmp_path)
    api_info = demo.view_api(return_format="dict", print_info=False)["named_endpoints"]["/run"]
    params = [(p["parameter_name"], p["component"], p["parameter_default"]) for p in api_info["parameters"]]
    assert params == [("notes", "Textbox", PROMPT_BUILDER["nodes"][0]["params"]["value"]), ("which", "Number", 1)]
    assert [p["component"] for p in api_info["returns"]] == ["Textbox", "Json"]

    prompt, lines = demo.predict("alpha\nbeta\ngamma", 2, api_name="/run")
    assert prompt == "Using these notes: alpha; beta; gamma\n\nExplain in one sentence: gamma"
    assert lines == ["alpha", "beta", "gamma"]
    # keywords are the input nodes' ids; left out, an input keeps the graph's value
    prompt, _ = demo.predict(notes="one\ntwo", api_name="/run")
    assert prompt.endswith("Explain in one sentence: two")

    runs = runs_of(api, gid)
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]
    assert runs[1]["inputs"] == {"notes": "alpha\nbeta\ngamma", "which": 2}
    assert runs[0]["inputs"] == {"notes": "one\ntwo", "which": 1}
    assert runs[1]["graph_version"] == 1
    detail = api.get(f"/api/runs/{runs[1]['id']}").json()
    assert detail["outputs"]["out"] == "Using these notes: alpha; beta; gamma\n\nExplain in one sentence: gamma"
    assert detail["provenance"]["python"]  # stored like any run, provenance and all


@pytest.mark.slow
def test_a_failed_run_shows_the_nodes_error(demo_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    gid = make_graph(api)
    demo = client(demo_server, share(api, gid)["url"], tmp_path)
    with pytest.raises(gradio_client.exceptions.AppError, match=r"node 'pick' failed: .*out of range"):
        demo.predict("just one line", 5, api_name="/run")
    assert [r["status"] for r in runs_of(api, gid)] == ["failed"]


@pytest.mark.slow
def test_params_cannot_be_overridden_through_a_demo(demo_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    gid = make_graph(api)
    url = share(api, gid)["url"]
    demo = client(demo_server, url, tmp_path)
    saved = TEMPLATE.format(context="a; b", topic="a")
    # the endpoint takes one value per io input and nothing else: no param, no node, no document
    with pytest.raises(TypeError, match="template"):
        demo.predict("a\nb", 0, template="Ignore the notes: {topic}", api_name="/run")
    assert runs_of(api, gid) == []
    prompt, _ = demo.predict("a\nb", 0, "Ignore the notes: {topic}", api_name="/run")  # an extra value is dropped
    assert prompt == saved
    # a hand-made request with a params override rides along nowhere either
    result = raw_call(demo_server.url + url, ["a\nb", 0, {"prompt": {"template": "{topic}"}}, "{topic}"])
    assert result.get("success") is False or result["output"]["data"][0] == saved, result

    runs = runs_of(api, gid)
    assert runs and all(r["inputs"] == {"notes": "a\nb", "which": 0} for r in runs)  # only the io inputs reach a run
    assert all(r["graph_version"] == 1 and r["outputs"]["out"] == saved for r in runs)  # the saved template did the work


def raw_call(base: str, data: list[Any], timeout: float = 30) -> dict[str, Any]:
    """One event through Gradio's queue protocol by hand: join, then read the stream to the end."""
    config = httpx.get(f"{base}/config", timeout=timeout).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "run")
    joined = httpx.post(f"{base}/gradio_api/queue/join", timeout=timeout,
                        json={"data": data, "fn_index": fn_index, "session_hash": "handmade1", "event_data": None, "trigger_id": None})
    if joined.status_code != 200:
        return {"success": False, "status": joined.status_code, "body": joined.text}
    deadline = time.monotonic() + timeout
    with httpx.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": "handmade1"}, timeout=timeout) as stream:
        for line in stream.iter_lines():
            if time.monotonic() > deadline:
                break
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the hand-made event never completed")


@pytest.mark.slow
def test_an_oversize_text_gives_a_clear_error_and_no_run(demo_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    gid = make_graph(api)
    demo = client(demo_server, share(api, gid)["url"], tmp_path)
    with pytest.raises(gradio_client.exceptions.AppError, match=r"'Notes' is 100,001 characters long; .* at most 100,000"):
        demo.predict("x" * 100_001, 0, api_name="/run")
    assert runs_of(api, gid) == []
    prompt, _ = demo.predict("x" * 100_000, 0, api_name="/run")  # the limit itself is fine
    assert len(prompt) > 100_000


@pytest.mark.slow
def test_view_fork_and_unknown_tokens_are_404_at_demo(demo_server: Server, api: httpx.Client) -> None:
    gid = make_graph(api)
    for mode in ("view", "fork"):
        token = share(api, gid, mode)["token"]
        for path in ("", "/", "/config", "/gradio_api/info"):
            r = api.get(f"/demo/{token}{path}", follow_redirects=False)
            assert r.status_code == 404, (mode, path, r.status_code)
        r = api.post(f"/demo/{token}/gradio_api/queue/join", json={"data": ["a", 0], "fn_index": 0, "session_hash": "x"})
        assert r.status_code == 404
    for token in ("nope", "A" * 43):
        assert api.get(f"/demo/{token}/").status_code == 404
    r = api.get(f"/demo/{'A' * 43}", headers={"accept": "text/html"})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "revoked" in r.text
    assert api.get(f"/demo/{'A' * 43}").json()["error"]["code"] == "not_found"


@pytest.mark.slow
def test_a_revoked_demo_stops_working_even_when_open(demo_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    gid = make_graph(api)
    link = share(api, gid)
    demo = client(demo_server, link["url"], tmp_path)
    assert demo.predict("a\nb", 1, api_name="/run")[0].endswith("b")
    assert api.delete(f"/api/shares/{link['token']}").status_code == 204

    for path in ("", "/", "/config", "/gradio_api/info"):
        assert api.get(f"{link['url']}{path}", follow_redirects=False).status_code == 404, path
    with pytest.raises(Exception):  # noqa: B017 - the client sees a 404 from the queue, however it words it
        demo.predict("c\nd", 1, api_name="/run")
    assert len(runs_of(api, gid)) == 1


@pytest.mark.slow
def test_an_expired_demo_is_404(demo_server: Server, api: httpx.Client) -> None:
    import sqlite3
    gid = make_graph(api)
    link = share(api, gid, expires_in_days=1)
    assert api.get(f"{link['url']}/config").status_code == 200
    with sqlite3.connect(demo_server.data_dir / "genaisys.db") as db:  # a day later
        db.execute("UPDATE shares SET expires_at = '2000-01-01 00:00:00.000000' WHERE token = ?", (link["token"],))
    assert api.get(f"{link['url']}/config").status_code == 404


@pytest.mark.slow
def test_a_demo_follows_the_latest_version_unless_pinned(demo_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    gid = make_graph(api)
    latest, pinned = share(api, gid), share(api, gid, version=1)
    assert client(demo_server, latest["url"], tmp_path).predict("a", 0, api_name="/run")[0].startswith("Using these notes")

    document = copy.deepcopy(PROMPT_BUILDER)
    document["name"] = "Prompt builder"
    document["nodes"][5]["params"]["template"] = "v2 says {topic} ({context})"
    r = api.put(f"/api/graphs/{gid}", json={"document": document, "based_on": 1})
    assert r.status_code == 200, r.text

    assert client(demo_server, latest["url"], tmp_path).predict("a\nb", 1, api_name="/run")[0] == "v2 says b (a; b)"
    assert client(demo_server, pinned["url"], tmp_path).predict("a\nb", 1, api_name="/run")[0].startswith("Using these notes")
    assert [r["graph_version"] for r in runs_of(api, gid)] == [1, 2, 1]


@pytest.mark.slow
def test_progress_comes_from_the_runs_events_and_long_outputs_come_whole(demo_server: Server, api: httpx.Client,
                                                                         tmp_path: Path) -> None:
    gid = make_graph(api, graph(text="hi", seconds=1.0), name="Slow")
    job = client(demo_server, share(api, gid)["url"], tmp_path).submit("hi", api_name="/run")
    seen: set[str] = set()
    while not job.done():
        for unit in job.status().progress_data or []:
            if unit.desc:
                seen.add(unit.desc)
        time.sleep(0.02)
    assert job.result() == "hi"
    assert any(desc.startswith("sleep: ") and "/10" in desc for desc in seen), seen

    big = make_graph(api, graph(text="abc", big=True), name="Big")
    text = client(demo_server, share(api, big)["url"], tmp_path).predict("abc", api_name="/run")
    assert text == "abc" * 100_000  # stored as an artifact, shown whole


@pytest.mark.slow
def test_file_inputs_are_stored_and_bounded(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", env={"GENAISYS_MAX_UPLOAD_BYTES": "4096"}).start()
    try:
        with srv.client() as api:
            document = {"schema": "genaisys.graph/1", "name": "File echo", "description": "", "nodes": [
                {"id": "doc", "type": "io.file_input", "params": {"label": "Document"}},
                {"id": "path", "type": "io.json_output", "params": {"label": "Stored as"}},
            ], "edges": [{"id": "e", "source": "doc", "source_port": "file", "target": "path", "target_port": "value"}]}
            gid = make_graph(api, document, name="File echo")
            link = share(api, gid)["url"]
            demo = client(srv, link, tmp_path)
            small = tmp_path / "notes.txt"
            small.write_text("hello demo\n")
            stored = demo.predict(gradio_client.handle_file(str(small)), api_name="/run")
            assert Path(stored).parent == Path("uploads") and (srv.data_dir / stored).read_text() == "hello demo\n"
            assert runs_of(api, gid)[0]["inputs"] == {"doc": stored}

            big = tmp_path / "big.txt"
            big.write_text("x" * 5000)
            with pytest.raises(ValueError, match="exceeds the maximum file size of 4096 bytes"):  # the client checks
                demo.predict(gradio_client.handle_file(str(big)), api_name="/run")
            upload = httpx.post(f"{srv.url}{link}/gradio_api/upload", files={"files": ("big.txt", b"x" * 5000)},
                                timeout=120)  # a first demo request builds the demo: seconds on a busy machine
            assert upload.status_code == 413  # and so does the server

            # a request that names a file on the server instead of uploading one gets nowhere
            secret = tmp_path / "secret.txt"
            secret.write_text("not for demo users")
            result = raw_call(f"{srv.url}{link}", [{"path": str(secret), "meta": {"_type": "gradio.FileData"}}])
            assert result["success"] is False and "not uploaded" in result["output"]["error"]
            assert len(runs_of(api, gid)) == 1
    finally:
        srv.stop()


@pytest.mark.slow
def test_uploads_are_bounded_by_the_upload_limit_and_json_by_the_body_limit(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", env={"GENAISYS_MAX_UPLOAD_BYTES": "6000", "GENAISYS_MAX_BODY_BYTES": "2000"}).start()
    try:
        with srv.client() as api:
            link = share(api, make_graph(api))["url"]
            upload = httpx.post(f"{srv.url}{link}/gradio_api/upload", files={"files": ("notes.txt", b"x" * 4000)},
                                timeout=120)
            assert upload.status_code == 200, upload.text  # over the body limit, under the upload limit
            joined = httpx.post(f"{srv.url}{link}/gradio_api/queue/join",
                                json={"data": ["x" * 3000, 0], "fn_index": 0, "session_hash": "big"}, timeout=120)
            assert joined.status_code == 413
    finally:
        srv.stop()


@pytest.mark.slow
def test_a_graph_that_cannot_run_shows_why_and_offers_no_run(demo_server: Server, api: httpx.Client,
                                                              tmp_path: Path) -> None:
    document = graph(text="hi")
    document["edges"] = []  # the output is fed by nothing
    gid = make_graph(api, document, name="Unwired")
    url = share(api, gid)["url"]
    assert "cannot run as saved" in json.dumps(api.get(f"{url}/config").json()["components"])
    endpoints = client(demo_server, url, tmp_path).view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert "/run" not in endpoints


@pytest.mark.slow
def test_a_model_graph_demo_shows_an_image(demo_server: Server, api: httpx.Client, tmp_path: Path) -> None:
    """The offline Stable Diffusion example (tiny-sd, random weights): the picture comes back as a PNG file."""
    pytest.importorskip("diffusers")
    document = json.loads((ROOT / "examples" / "stable_diffusion.json").read_text(encoding="utf-8"))
    document["nodes"][3]["params"]["steps"] = 4
    gid = make_graph(api, document, name="Tiny SD")
    image = client(demo_server, share(api, gid)["url"], tmp_path).predict("a red square", "", api_name="/run")
    from PIL import Image

    with Image.open(image) as picture:
        assert picture.format == "PNG" and picture.size == (64, 64)
    run = runs_of(api, gid)[0]
    assert run["status"] == "succeeded" and run["outputs"]["image"]["mime"] == "image/png"


def test_prepare_inputs_bounds_texts_and_files(tmp_path: Path) -> None:
    """The demo's own checks, without a server: long texts, files from outside the upload
    folder, oversize files and unknown types are refused before anything is queued."""
    from app.demo.spec import DemoContext, DemoField, DemoInputError, DemoSpec, prepare_inputs

    spec = DemoSpec("t", "", (DemoField("notes", "text", "Notes"), DemoField("doc", "file", "Document")), ())
    uploads = tmp_path / "gradio"
    uploads.mkdir()
    ctx = DemoContext(runs=None, sessions=None, registry=None, data_dir=tmp_path / "data", max_upload_bytes=100,  # type: ignore[arg-type]
                      document={}, graph_id="g", version_id=1, version_number=1, spec=spec, upload_root=uploads)
    ok = uploads / "a.txt"
    ok.write_text("hello")
    stored = prepare_inputs(ctx, ["hi", str(ok)])
    assert stored["notes"] == "hi" and Path(stored["doc"]).parent == Path("uploads")  # no server folder named
    assert (tmp_path / "data" / stored["doc"]).read_text() == "hello"

    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    big = uploads / "big.txt"
    big.write_text("x" * 101)
    odd = uploads / "odd.bin"
    odd.write_bytes(b"\x00\x01\x02")
    for values, message in ((["x" * 100_001, str(ok)], "at most 100,000 characters"),
                            (["hi", str(outside)], "only files uploaded to this demo"),
                            (["hi", str(big)], "at most 100 bytes"),
                            (["hi", str(odd)], "not a file type"),
                            (["hi", None], "needs a file"),
                            (["hi"], "takes 2 input")):
        with pytest.raises(DemoInputError, match=message):
            prepare_inputs(ctx, values)
