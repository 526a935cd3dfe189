"""Bad input on a real server: a request that answers an error commits nothing, and what is
stored can always be read, exported as strict JSON and saved back.

Each bad shape (a lone surrogate in a text, a key or a node id; NaN and Infinity; nesting 300
deep; an empty top-level key; bad node versions; a graph over the size bound) goes to every
write endpoint; each answer is a 422 naming where the problem is, and the database's
fingerprint is the same after it as before. A hypothesis test then puts the shapes at places
of its own choosing, as a signed-out server and as a signed-in user.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from db_fingerprint import fingerprint
from helpers import graph
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from studio_server import Server

from app.engine.document import MAX_NODES

pytestmark = pytest.mark.slow
BAD = "@@bad@@"
"""Stands in a document for a bad literal, spliced into its JSON text."""


def deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


# name -> (where the placeholder goes, the literal JSON text, the path the answer names)
STRICTNESS = {
    "surrogate-param": ("param", r'"\ud800"', "nodes[0].params.value"),
    "surrogate-raw-utf8": ("param", '"\udced\udca0\udc80"', "nodes[0].params.value"),
    "surrogate-id": ("id", r'"in\udfff"', "nodes[0].id"),
    "surrogate-key": ("key", r'"\udbff"', 'nodes[0].params[\\"\\\\udbff\\"]'),
    "nan-param": ("param", "NaN", "nodes[0].params.value"),
    "infinity-position": ("position", "Infinity", "nodes[0].position.x"),
    "minus-infinity-position": ("position", "-Infinity", "nodes[0].position.x"),
    "overflowing-number": ("position", "1e400", "nodes[0].position.x"),
    "deep-meta": ("meta", deep(300), "meta.view.a.a"),
    "deep-param": ("param", deep(300), "nodes[0].params.value.a.a"),
}


def document_with(where: str, literal: str) -> tuple[dict[str, Any], str]:
    """A good document with ``BAD`` at ``where``, and the JSON text with the literal in."""
    doc = graph("Bad")
    if where == "param":
        doc["nodes"][0]["params"]["value"] = BAD
    elif where == "id":
        doc["nodes"][0]["id"] = BAD
    elif where == "key":
        doc["nodes"][0]["params"][BAD] = "x"
    elif where == "position":
        doc["nodes"][0]["position"] = {"x": BAD, "y": 0}
    elif where == "meta":
        doc["meta"] = {"view": BAD}
    return doc, json.dumps(doc).replace(json.dumps(BAD), literal)


def raw(text: str) -> bytes:
    """The body's bytes: ``\\udcXX`` stands for the raw byte XX (a raw surrogate in UTF-8)."""
    return text.encode("utf-8", "surrogateescape")


def wrap(endpoint: str, doc_text: str) -> str:
    """The request body of ``endpoint`` around a document's JSON text."""
    if endpoint in ("POST /api/graphs/import", "POST /api/validate"):
        return doc_text
    if endpoint == "PUT /api/graphs/{id}":
        return f'{{"document": {doc_text}, "based_on": 1}}'
    return f'{{"document": {doc_text}}}'


ENDPOINTS = ("POST /api/graphs", "PUT /api/graphs/{id}", "POST /api/graphs/import", "POST /api/validate", "POST /api/runs")


class Studio:
    """A server, a client (signed in on an --auth server), and a graph saved at version 1."""

    def __init__(self, server: Server, headers: dict[str, str]) -> None:
        self.server = server
        self.api = httpx.Client(base_url=server.url, timeout=60, headers=headers)
        created = self.api.post("/api/graphs", json={"document": graph("Keep")})
        assert created.status_code == 201, created.text
        self.gid = created.json()["id"]

    def send(self, endpoint: str, body: bytes) -> httpx.Response:
        method, path = endpoint.split(" ")
        return self.api.request(method, path.replace("{id}", self.gid), content=body,
                                headers={"content-type": "application/json"})

    def refused(self, endpoint: str, body: bytes) -> dict[str, Any]:
        """Send ``body``; assert a 4xx JSON error that changed nothing; return the error."""
        before = fingerprint(self.server.data_dir)
        resp = self.send(endpoint, body)
        assert 400 <= resp.status_code < 500, (endpoint, resp.status_code, resp.text[:500])
        error = resp.json()["error"]
        assert set(error) == {"code", "message", "details"} and error["message"], error
        assert fingerprint(self.server.data_dir) == before, f"{endpoint} answered {resp.status_code} but wrote"
        return error

    def still_opens(self) -> None:
        """Every stored graph can be read, exported as strict JSON and saved back."""
        for g in self.api.get("/api/graphs", params={"limit": 500, "include_deleted": True}).json()["data"]:
            read = self.api.get(f"/api/graphs/{g['id']}")
            assert read.status_code == 200, read.text
            exported = self.api.get(f"/api/graphs/{g['id']}/export")
            assert exported.status_code == 200
            json.loads(exported.text, parse_constant=_refuse_constant)
            if not g["deleted"]:
                back = self.api.put(f"/api/graphs/{g['id']}", json={"document": read.json()["document"],
                                                                    "based_on": read.json()["version"]})
                assert back.status_code == 200, back.text

    def close(self) -> None:
        self.api.close()


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"{name} in an export: not JSON")


@pytest.fixture(scope="module", params=["open", "auth"])
def studio(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    data = tmp_path_factory.mktemp(request.param) / "data"
    headers: dict[str, str] = {}
    env: dict[str, str] = {}
    if request.param == "auth":
        added = subprocess.run([sys.executable, "-m", "app.cli", "users", "add", "fuzzer", "--data-dir", str(data)],
                               capture_output=True, text=True, check=True)
        headers["Authorization"] = f"Bearer {added.stdout.strip().splitlines()[-1]}"
        env["GENAISYS_AUTH"] = "1"
    server = Server(data, env=env).start()
    studio = Studio(server, headers)
    yield studio
    studio.close()
    server.stop()
    assert "Traceback" not in server.log.read_text(), server.log.read_text()[-3000:]


# -- every bad shape, every write endpoint -------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("shape", list(STRICTNESS))
def test_json_that_is_not_strict_is_refused_everywhere_and_writes_nothing(studio: Studio, shape: str,
                                                                          endpoint: str) -> None:
    where, literal, path = STRICTNESS[shape]
    _, text = document_with(where, literal)
    error = studio.refused(endpoint, raw(wrap(endpoint, text)))
    assert error["code"] == "invalid_json", error
    assert path in json.dumps(error), error
    assert error["details"]["problems"][0]["code"] in {"lone_surrogate", "non_finite_number", "too_deep"}
    studio.still_opens()


def bad_graphs() -> dict[str, tuple[dict[str, Any], str, str]]:
    """Strict JSON that is not a saveable graph: (document, problem code, path named)."""
    out: dict[str, tuple[dict[str, Any], str, str]] = {}
    empty_key = graph("Bad")
    empty_key[""] = 1
    out["empty-top-level-key"] = (empty_key, "invalid_document", '[\\"\\"]')
    for version in (-1, 0, 10**30, "1", True):
        doc = graph("Bad")
        doc["nodes"][0]["version"] = version
        out[f"version-{version!r}"] = (doc, "invalid_node", "nodes[0].version")
    blank = graph("Bad")
    blank["nodes"][0]["id"] = "  "
    out["whitespace-id"] = (blank, "invalid_node", "nodes[0].id")
    nul = graph("Bad")
    nul["nodes"][0]["id"] = "i\x00n"
    out["nul-id"] = (nul, "invalid_node", "nodes[0].id")
    nested = graph("Bad")
    nested["meta"] = json.loads(deep(66))  # past the document's bound, within the body's
    out["deep-66"] = (nested, "too_deep", "meta.a")
    big = graph("Big")
    big["nodes"] += [{"id": f"o{i}", "type": "io.text_output", "params": {}} for i in range(MAX_NODES + 1)]
    out["too-many-nodes"] = (big, "graph_too_large", "nodes")
    return out


BAD_GRAPHS = bad_graphs()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e != "POST /api/validate"])
@pytest.mark.parametrize("case", list(BAD_GRAPHS))
def test_a_graph_that_is_not_saveable_is_refused_and_writes_nothing(studio: Studio, case: str, endpoint: str) -> None:
    doc, code, path = BAD_GRAPHS[case]
    error = studio.refused(endpoint, wrap(endpoint, json.dumps(doc)).encode())
    found = json.dumps(error)
    assert f'"code": "{code}"' in found and path in found, error


@pytest.mark.parametrize("case", list(BAD_GRAPHS))
def test_validate_reports_each_unsaveable_graph_as_a_problem(studio: Studio, case: str) -> None:
    doc, code, path = BAD_GRAPHS[case]
    report = studio.api.post("/api/validate", json=doc).json()
    assert report["valid"] is False
    assert code in {p["code"] for p in report["problems"]}, report


def test_a_stale_save_is_still_409_and_the_stored_document_round_trips(studio: Studio) -> None:
    doc = graph("Round trip")
    doc["nodes"][0]["position"] = {"x": 0.1, "y": -1e300}
    doc["meta"] = json.loads(deep(60))
    doc["nodes"][0]["params"]["value"] = "naïve \U0001f600"
    gid = studio.api.post("/api/graphs", json={"document": doc}).json()["id"]
    read = studio.api.get(f"/api/graphs/{gid}").json()
    assert read["document"] == doc
    assert studio.api.put(f"/api/graphs/{gid}", json={"document": read["document"], "based_on": 1}).status_code == 200
    stale = studio.api.put(f"/api/graphs/{gid}", json={"document": read["document"], "based_on": 1})
    assert stale.status_code == 409 and stale.json()["error"]["details"]["document"] == doc
    exported = studio.api.get(f"/api/graphs/{gid}/export").text
    again = studio.api.post("/api/graphs/import", content=exported, headers={"content-type": "application/json"})
    assert again.status_code == 201, again.text
    studio.still_opens()


def test_a_big_body_is_checked_too_and_a_big_clean_graph_still_saves(studio: Studio) -> None:
    """Bodies over 256 KiB are checked off the event loop: the same answers."""
    big = graph("Big")
    big["nodes"] += [{"id": f"o{i}", "type": "io.text_output", "params": {}, "position": {"x": i, "y": 0.5}}
                     for i in range(1500)]
    big["meta"] = {"notes": ["x" * 100] * 3000}
    text = json.dumps({"document": big})
    assert len(text) > 256 * 1024
    saved = studio.api.post("/api/graphs", content=text, headers={"content-type": "application/json"})
    assert saved.status_code == 201, saved.text[:500]
    spoiled = text[:-2] + ', "last": NaN}}'
    error = studio.refused("POST /api/graphs", spoiled.encode())
    assert error["code"] == "invalid_json" and "document.last" in error["message"], error


def test_a_body_nested_past_what_python_can_parse_is_a_clear_422(studio: Studio) -> None:
    error = studio.refused("POST /api/validate", b"[" * 200_000 + b"]" * 200_000)
    assert error["code"] == "invalid_json" and error["details"]["problems"][0]["code"] == "too_deep", error


def test_a_body_that_is_not_json_is_still_the_routes_own_422(studio: Studio) -> None:
    error = studio.refused("POST /api/graphs", b"{not json")
    assert error["code"] == "invalid_request", error


# -- the shapes at places of hypothesis's choosing -----------------------------------------

LITERALS = [r'"\ud800"', r'"x\udc00y"', "NaN", "Infinity", "-Infinity", "1e999", deep(100)]
KEYS = [r'"\ud800"', r'"k\udfff"']


@st.composite
def bad_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """A write endpoint and a body with one bad literal, or a bad key, somewhere in it."""
    endpoint = draw(st.sampled_from(ENDPOINTS))
    doc = graph(draw(st.text(max_size=8)))
    place: list[Callable[[Any], None]] = [
        lambda v: doc.__setitem__("name", v),
        lambda v: doc.__setitem__("description", v),
        lambda v: doc.__setitem__("meta", {draw(st.text(max_size=4)): v}),
        lambda v: doc["nodes"][0]["params"].__setitem__("value", v),
        lambda v: doc["nodes"][1]["params"].__setitem__(draw(st.text(max_size=4)), [1, v]),
        lambda v: doc["nodes"][draw(st.integers(0, 1))].__setitem__("position", {"x": v, "y": 1}),
        lambda v: doc["nodes"][1].__setitem__("id", v),
        lambda v: doc["edges"][0].__setitem__("target", v),
        lambda v: doc["nodes"][0].__setitem__("title", v),
    ]
    if draw(st.booleans()):
        draw(st.sampled_from(place))(BAD)
        text = wrap(endpoint, json.dumps(doc)).replace(json.dumps(BAD), draw(st.sampled_from(LITERALS)))
    else:  # a bad key
        holder = doc["nodes"][0]["params"] if draw(st.booleans()) else doc.setdefault("meta", {})
        holder[BAD] = draw(st.sampled_from(["x", 1, None, []]))
        text = wrap(endpoint, json.dumps(doc)).replace(json.dumps(BAD), draw(st.sampled_from(KEYS)))
    if draw(st.booleans()):  # and sometimes an empty key beside it, which is fine JSON
        text = text.replace('"edges":', '"meta": {"": {"": 1}}, "edges":', 1) if '"meta"' not in text else text
    return endpoint, raw(text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad_bodies())
def test_generated_bad_bodies_get_a_4xx_and_change_nothing(studio: Studio, case: tuple[str, bytes]) -> None:
    endpoint, body = case
    error = studio.refused(endpoint, body)
    assert error["code"] in {"invalid_json", "invalid_document", "invalid_graph"}, error


def test_every_graph_left_by_the_fuzz_still_opens(studio: Studio) -> None:
    studio.still_opens()

