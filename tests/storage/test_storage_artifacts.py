"""The content-addressed artifact store: naming, fan-out, atomic writes, path safety."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.artifacts import ArtifactStore
from storage.errors import InvalidArtifactId, NotFound


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_bytes_are_stored_under_their_sha256_with_fan_out(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    data = b"hello artifact"
    sha = hashlib.sha256(data).hexdigest()
    ref = store.put_bytes(data, "text/plain")
    assert (ref.sha256, ref.mime, ref.size) == (sha, "text/plain", len(data))
    assert ref.path == tmp_path / sha[:2] / sha[2:4] / sha
    assert ref.path.read_bytes() == data
    assert ref.reference() == {"artifact": sha, "mime": "text/plain", "size": len(data)}
    assert store.exists(sha) and store.path_for(sha) == ref.path
    with store.open(sha) as handle:
        assert handle.read() == data


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    first = store.put_bytes(b"same", "a/b")
    mtime = first.path.stat().st_mtime_ns
    second = store.put_bytes(b"same", "c/d")
    assert second.path == first.path and second.path.stat().st_mtime_ns == mtime
    assert _files(tmp_path) == [first.path]


def test_put_file_streams_and_matches_put_bytes(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    source = tmp_path / "big.bin"
    data = os.urandom(3 * (1 << 20) + 17)  # several read chunks
    source.write_bytes(data)
    ref = store.put_file(source, "application/octet-stream")
    assert ref.sha256 == hashlib.sha256(data).hexdigest() and ref.size == len(data)
    assert ref.path.read_bytes() == data
    assert store.put_bytes(data).path == ref.path
    assert source.exists()  # a copy, not a move


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    """A write that dies half-way leaves neither a partial artifact nor a temp file."""
    store = ArtifactStore(tmp_path)
    data = b"x" * 100
    target = store.path_for(hashlib.sha256(data).hexdigest())

    def dying() -> Iterator[bytes]:
        yield data[:50]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store._write_atomically(target, dying())
    assert not target.exists() and _files(tmp_path) == []


def test_content_that_does_not_match_its_name_is_refused(tmp_path: Path) -> None:
    """A source that changes between hashing and copying is never stored under a wrong name."""
    store = ArtifactStore(tmp_path)
    target = store.path_for(hashlib.sha256(b"original").hexdigest())
    with pytest.raises(RuntimeError, match="changed"):
        store._write_atomically(target, [b"tampered"])
    assert _files(tmp_path) == []


def test_written_files_are_complete_and_temp_free(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    refs = [store.put_bytes(os.urandom(1000 + i), "x/y") for i in range(20)]
    assert _files(tmp_path) == sorted(r.path for r in refs)
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    "bad",
    [
        "../" * 5 + "etc/passwd",
        "/etc/passwd",
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "ab/cd/" + "a" * 58,
        "a" * 63 + "\n",
        "",
        "..",
    ],
)
def test_ids_that_are_not_digests_are_refused(tmp_path: Path, bad: str) -> None:
    store = ArtifactStore(tmp_path / "store")
    with pytest.raises(InvalidArtifactId):
        store.path_for(bad)
    with pytest.raises(InvalidArtifactId):
        store.exists(bad)
    with pytest.raises(InvalidArtifactId):
        store.open(bad)


def test_uppercase_digest_names_the_same_file(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    ref = store.put_bytes(b"case")
    assert store.path_for(ref.sha256.upper()) == ref.path


def test_open_missing_artifact(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    assert not store.exists("0" * 64)
    with pytest.raises(NotFound):
        store.open("0" * 64)
