"""The store nodes on a real Chroma server (`chroma run`, on loopback): the RAG example
answers through it, and what it stored is a plain collection any `chromadb.HttpClient` sees."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert CHROMA.is_file() or shutil.which("chroma"), "the chromadb package's `chroma` command is missing"
    folder, port = tmp_path_factory.mktemp("chroma-server"), free_port()
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen([str(CHROMA if CHROMA.is_file() else "chroma"), "run", "--path", str(folder / "db"),
                             "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"chroma run exited with {proc.returncode}: {(folder / 'server.log').read_text()}")
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"chroma run did not answer within 120 s: {(folder / 'server.log').read_text()}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(30)
    log.close()


def rag(data: Path, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-m", "app.cli", "run", str(ROOT / "examples" / "rag.json"), "--json",
                           "--data-dir", str(data)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_rag_example_runs_against_a_chroma_server(chroma_server: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    embedded = rag(data, {k: v for k, v in os.environ.items() if k != "GENAISYS_CHROMA_URL"})
    assert (data / "chroma").is_dir() and embedded["nodes"]["store"]["status"] == "succeeded"

    # moving to a server is one setting: the cached collection handle names no collection there,
    # so the store node writes it again (docs/chroma.md); the rest of the ingest stays cached
    result = rag(data, {**os.environ, "GENAISYS_CHROMA_URL": chroma_server})
    assert "Bartholomew" in result["outputs"]["answer"]
    assert result["outputs"]["sources"][0]["metadata"]["source"] == "station.md"
    assert result["nodes"]["store"]["status"] == "succeeded"
    assert result["nodes"]["store"]["reason"].startswith("what it stored changed")
    assert [result["nodes"][n]["status"] for n in ("docs", "split", "embed_docs")] == ["cached"] * 3

    import chromadb
    from chromadb.config import Settings

    port = int(chroma_server.rsplit(":", 1)[1])
    plain = chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False))
    collection = plain.get_collection("rag-example")
    stored = result["nodes"]["store"]
    assert stored["status"] == "succeeded"
    assert collection.count() > 0
    texts = collection.get(include=["documents", "metadatas"])
    assert any("Bartholomew" in (t or "") for t in texts["documents"])
    assert {m["source"] for m in texts["metadatas"]} >= {"station.md"}
