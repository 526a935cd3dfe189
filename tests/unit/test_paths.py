"""The one file fence (``nodes.runtime.paths``) and every node that opens a path a user typed:
links and ``..`` followed before the check, for files found inside folders too; no
environment variable ever expanded; the same answer for what exists and what does not
outside the fence; no server folder named in an error; upload paths that name no server
folder; and each user's Chroma store and cached results their own."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.engine.cache import ResultCache
from app.engine.context import CancelToken, RunContext
from app.engine.events import Emitter
from app.engine.executor import Executor
from nodes.api import Context, Input, Node, NodeError, Output
from nodes.registry import Registry
from nodes.runtime.paths import EXAMPLES_DIR, resolve_path

FENCED = "outside the folders this server lets graphs read"


def ctx(owner_id: str | None = None) -> RunContext:
    return RunContext("n", "r", Emitter("r", []), CancelToken(), owner_id=owner_id)


@pytest.fixture
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A data directory fenced as ``--auth`` fences it (uploads, models, examples), a private
    folder outside it, and a working directory that is neither."""
    data, private, cwd = tmp_path / "data", tmp_path / "private", tmp_path / "cwd"
    for folder in (data / "uploads", data / "models", private, cwd):
        folder.mkdir(parents=True)
    (private / "secret.txt").write_text("the server's private notes")
    monkeypatch.setenv("GENAISYS_DATA_DIR", str(data))
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", os.pathsep.join(map(str, (data / "uploads", data / "models", EXAMPLES_DIR))))
    monkeypatch.chdir(cwd)
    return SimpleNamespace(data=data, uploads=data / "uploads", models=data / "models", private=private, cwd=cwd)


def refusal(value: str, **kwargs: Any) -> str:
    with pytest.raises(NodeError) as caught:
        resolve_path(value, **kwargs)
    return str(caught.value)


def test_environment_variables_are_never_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.txt").write_text("reached through a variable")
    monkeypatch.setenv("SECRET_DIR", str(tmp_path))
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", "")  # even unfenced: a path is what the user wrote
    for value in ("$SECRET_DIR/x.txt", "${SECRET_DIR}/x.txt"):
        message = refusal(value)
        assert value in message and str(tmp_path) not in message, message


def test_tilde_names_no_home_on_a_fenced_server(studio: SimpleNamespace, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("export TOKEN=hunter2")
    monkeypatch.setenv("HOME", str(home))
    message = refusal("~/.bashrc")
    assert FENCED in message and str(home) not in message
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", "")  # a local studio: ~ is the user's own home
    assert resolve_path("~/.bashrc") == (home / ".bashrc").resolve()


def test_outside_the_fence_answers_alike_whether_the_path_exists(studio: SimpleNamespace) -> None:
    there, missing = studio.private / "secret.txt", studio.private / "missing.txt"
    a, b = refusal(str(there)), refusal(str(missing))
    assert FENCED in a and a.replace(str(there), "P") == b.replace(str(missing), "P")
    assert a.replace(str(there), "P") == refusal(str(studio.private / "no-dir" / "x")).replace(str(studio.private / "no-dir" / "x"), "P")
    # the roots are named in words, never as the server's absolute folders
    assert "the uploads, models and examples folders" in a
    assert str(studio.data) not in a and str(EXAMPLES_DIR) not in a
    # a link inside the fence to something outside, existing or not, is the same refusal
    (studio.uploads / "dangling").symlink_to(studio.private / "never-made")
    assert FENCED in refusal(str(studio.uploads / "dangling"))


def test_not_found_names_the_path_as_written_and_no_server_folder(studio: SimpleNamespace) -> None:
    message = refusal("nowhere/notes.txt")
    assert "'nowhere/notes.txt'" in message
    assert str(studio.cwd) not in message and str(EXAMPLES_DIR) not in message
    (studio.uploads / "folder").mkdir()
    message = refusal(str(studio.uploads / "folder"), must_be="file")
    assert "is a folder" in message


def test_upload_paths_resolve_in_the_data_directorys_uploads(studio: SimpleNamespace) -> None:
    from nodes.runtime.paths import portable

    stored = studio.uploads / ("ab" * 32 + ".txt")
    stored.write_text("uploaded")
    real = resolve_path(f"uploads/{stored.name}", must_be="file")
    assert real == stored.resolve()
    assert portable(real, f"uploads/{stored.name}") == f"uploads/{stored.name}"
    assert portable(real, str(stored)) == f"uploads/{stored.name}"  # an old absolute upload path, re-worded
    assert resolve_path(str(stored)) == stored.resolve()  # and still read


def test_files_found_inside_a_folder_are_checked_after_their_links(studio: SimpleNamespace) -> None:
    from nodes.encoders.document_loader import DocumentLoader

    docs = studio.models / "docs"
    docs.mkdir()
    (docs / "ok.txt").write_text("fine")
    (docs / "link.txt").symlink_to(studio.private / "secret.txt")
    with pytest.raises(NodeError, match=FENCED) as caught:
        DocumentLoader().run(ctx(), path=str(docs), recursive=False)
    assert "link.txt" in str(caught.value) and str(studio.private) not in str(caught.value)
    (docs / "link.txt").unlink()
    (docs / "sub").symlink_to(studio.private)  # a folder link: never read through
    found = DocumentLoader().run(ctx(), path=str(docs), recursive=True)["documents"]
    assert [d["text"] for d in found] == ["fine"]


def test_the_file_input_is_fenced_and_words_its_path_portably(studio: SimpleNamespace) -> None:
    from nodes.io.file_input import FileInput

    def refused(value: str) -> str:
        with pytest.raises(NodeError) as caught:
            FileInput().run(ctx(), value=value, label="File")
        return str(caught.value)

    passwd, nothing = refused("/etc/passwd"), refused("/etc/no-such-file-here")
    assert FENCED in passwd and passwd.replace("/etc/passwd", "P") == nothing.replace("/etc/no-such-file-here", "P")
    (studio.uploads / "cd.txt").write_text("mine")
    assert FileInput().run(ctx(), value=str(studio.uploads / "cd.txt"), label="File") == {"file": "uploads/cd.txt"}


def test_model_and_adapter_paths_go_through_the_fence(studio: SimpleNamespace) -> None:
    from nodes.models._diffusion import _activate, locate
    from nodes.models._llm import _ensure_adapter
    from nodes.models.lora_adapter import LoraAdapter
    from nodes.runtime.sources import resolve_model

    lora = studio.private / "lora"
    lora.mkdir()
    (lora / "adapter_config.json").write_text("{}")
    missing = studio.private / "no-lora"

    def message(call: Any) -> str:
        with pytest.raises(NodeError) as caught:
            call()
        return str(caught.value)

    cases = {
        "lora node": lambda p: LoraAdapter().run(ctx(), path=p),
        "llm adapter": lambda p: _ensure_adapter(SimpleNamespace(adapters={}), {"kind": "lora", "path": p}),
        "diffusion adapter": lambda p: _activate(SimpleNamespace(pipe=None, adapters={}), {"kind": "lora", "path": p}),
        "model": lambda p: resolve_model(p, "llm"),
        "diffusion model": lambda p: locate(p),
    }
    for what, call in cases.items():
        there, absent = message(lambda c=call: c(str(lora))), message(lambda c=call: c(str(missing)))
        assert FENCED in there, (what, there)
        assert there.replace(str(lora), "P") == absent.replace(str(missing), "P"), what
    # a folder inside the fence whose files link outside is refused too
    linked = studio.models / "linked-lora"
    linked.mkdir()
    (linked / "adapter_config.json").symlink_to(lora / "adapter_config.json")
    assert FENCED in message(lambda: LoraAdapter().run(ctx(), path=str(linked)))
    assert FENCED in message(lambda: resolve_model(str(linked), "llm"))
    # through a folder link that stays inside, to a file that does not
    (studio.models / "hop").mkdir()
    (studio.models / "hop" / "weights.bin").symlink_to(studio.private / "secret.txt")
    (studio.models / "model-via-hop").mkdir()
    (studio.models / "model-via-hop" / "sub").symlink_to(studio.models / "hop")
    assert FENCED in message(lambda: resolve_model(str(studio.models / "model-via-hop"), "llm"))


def test_each_user_has_a_chroma_store_of_their_own(studio: SimpleNamespace) -> None:
    from nodes.stores._chroma import store_folder

    alice, bob = store_folder("", "alice"), store_folder("", "bob")
    assert alice != bob and alice.parent == bob.parent == studio.data / "chroma" / "users"
    assert store_folder(str(alice), "alice") == alice  # her own folder, named in full
    for path in (str(bob), str(studio.data / "chroma"), str(studio.private), "elsewhere", "$HOME"):
        with pytest.raises(NodeError, match="each user") as caught:
            store_folder(path, "alice")
        assert path in str(caught.value) and str(studio.data) not in str(caught.value).replace(path, "")
    # without users: the studio's store by default, and the fence decides about any other
    assert store_folder("", None) == studio.data / "chroma"
    with pytest.raises(NodeError, match=FENCED):
        store_folder(str(studio.private / "db"), None)


def test_a_fenced_studio_reaches_only_its_own_chroma_server(studio: SimpleNamespace,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A node's path may name a Chroma server by URL; on a studio with users or a file fence,
    only the configured one (a node must not make the server call another address)."""
    from nodes.stores._chroma import store_of

    for owner in ("alice", None):
        with pytest.raises(NodeError, match="not available on this studio"):
            store_of("http://10.0.0.7:8000", owner)
        assert store_of("", owner).folder is not None  # no server configured: the embedded store
    monkeypatch.setenv("GENAISYS_CHROMA_URL", "http://127.0.0.1:8011")
    alice, bob = store_of("", "alice"), store_of("", "bob")
    assert alice.url == bob.url == "http://127.0.0.1:8011" and alice.folder is None
    assert alice.name("docs") != bob.name("docs") and alice.name("docs").endswith("_docs")  # each user's own names
    assert store_of("http://127.0.0.1:8011/", "alice").prefix == alice.prefix  # the configured server, spelled out
    assert store_of("", None).name("docs") == "docs"
    with pytest.raises(NodeError, match="not available"):
        store_of("http://127.0.0.1:8012", None)
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", "")  # a local, unfenced studio without users: any server
    assert store_of("http://127.0.0.1:8012", None).url == "http://127.0.0.1:8012"


def test_a_query_never_creates_a_store(studio: SimpleNamespace) -> None:
    from nodes.stores.chroma_query import ChromaQuery

    for handle in ({"path": "", "name": "notes", "dim": 4, "count": 0}, {"path": str(studio.private / "new"), "name": "x"},
                   {"name": "x"}, "not a handle"):
        with pytest.raises(NodeError):
            ChromaQuery().run(ctx("carol"), collection=handle, query=[[1.0, 0, 0, 0]], top_k=1, where=None)
    assert not (studio.data / "chroma").exists() and not (studio.private / "new").exists()


class Owner(Node):
    """Says whose run it is: what a store node reads to pick its user's folder."""

    type_id = "test.owner"
    inline = True
    inputs = (Input("salt", "Text", default=""),)
    outputs = (Output("owner", "Text"),)

    def run(self, ctx: Context, salt: str) -> dict[str, Any]:
        return {"owner": str(ctx.owner_id)}


def test_nodes_see_the_runs_owner_and_results_are_cached_per_owner() -> None:
    ex = Executor(Registry().extend([Owner]), ResultCache())
    doc = {"schema": "genaisys.graph/1", "name": "who", "nodes": [{"id": "o", "type": "test.owner", "params": {}}], "edges": []}
    first = ex.run(doc, owner_id="alice")
    assert first.nodes["o"].status == "succeeded" and first.nodes["o"].outputs == {"owner": "alice"}
    assert ex.run(doc, owner_id="alice").nodes["o"].status == "cached"
    other = ex.run(doc, owner_id="bob")  # never alice's result, nor a hint that she ran it
    assert other.nodes["o"].status == "succeeded" and other.nodes["o"].outputs == {"owner": "bob"}
    assert other.nodes["o"].reason == "new node"
    assert ex.run(doc).nodes["o"].outputs == {"owner": "None"}  # a studio without users: as before


def test_a_local_studio_reads_what_its_user_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", "")
    (tmp_path / "notes.txt").write_text("mine")
    assert resolve_path(str(tmp_path / "notes.txt")).read_text() == "mine"
