"""Amplification: a small graph document must not make a huge text. A prompt template slot is
a plain ``{name}`` (no str.format mini-language), every text a node returns is bounded by
``max_text_output_bytes``, nodes that multiply text refuse before building it, and a node has
a time limit by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli.main import main
from app.engine.executor import Executor, GraphInvalid
from app.engine.validate import validate
from app.settings import Settings
from nodes.registry import discover

REGISTRY = discover()
MiB = 1024 * 1024

# The document of the report: 307 bytes that asked the old template node for 60,000,000.
AMPLIFIER = (
    '{"schema":"genaisys.graph/1","name":"Amplifier: 307 bytes in, 60 MB out","nodes":['
    '{"id":"t","type":"utility.prompt_template","params":{"template":"{x:60000000}"}},'
    '{"id":"out","type":"io.text_output","params":{}}],"edges":['
    '{"id":"e","source":"t","source_port":"prompt","target":"out","target_port":"value"}]}'
)

REFUSED = [
    ("{x:60000000}", "the slot {x:60000000} has a format spec; write {x}"),
    ("{x:>9}", "the slot {x:>9} has a format spec; write {x}"),
    ("{x!r}", "the slot {x!r} has a conversion; write {x}"),
    ("{x.y}", "the slot {x.y} uses attribute access; write {x}"),
    ("{x.__class__}", "the slot {x.__class__} uses attribute access; write {x}"),
    ("{x[0]}", "the slot {x[0]} uses index access; write {x}"),
    ("{}", "the slot {} is positional; give it a name, like {text}"),
    ("{0}", "the slot {0} is positional; give it a name, like {text}"),
    ("{x:{y}}", "the slot {x:{y}} has a format spec; write {x}"),
]


def node(nid: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": type_, "params": params}


def edge(src: str, out: str, dst: str, port: str) -> dict[str, Any]:
    return {
        "id": f"{src}.{out}-{dst}.{port}",
        "source": src,
        "source_port": out,
        "target": dst,
        "target_port": port,
    }


def doc(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schema": "genaisys.graph/1", "name": "amplification", "nodes": nodes, "edges": edges}


def template_graph(template: str, x: str = "hi") -> dict[str, Any]:
    """x -> template(template) -> out, the template a parameter."""
    return doc(
        [
            node("in", "io.text_input", value=x),
            node("t", "utility.prompt_template", template=template),
            node("out", "io.text_output"),
        ],
        [edge("in", "text", "t", "x"), edge("t", "prompt", "out", "value")],
    )


def wired_template_graph(template: str) -> dict[str, Any]:
    """The template arrives through an edge, where the validator cannot read it."""
    return doc(
        [
            node("tpl", "io.text_input", value=template),
            node("t", "utility.prompt_template"),
            node("out", "io.text_output"),
        ],
        [edge("tpl", "text", "t", "template"), edge("t", "prompt", "out", "value")],
    )


def run(document: dict[str, Any], **executor: Any) -> Any:
    ex = Executor(REGISTRY, **executor)
    try:
        return ex.run(document)
    finally:
        ex.backend.shutdown()


def test_the_307_byte_document_is_refused_naming_the_node_and_the_param() -> None:
    assert len(AMPLIFIER.encode()) == 307
    checked = validate(json.loads(AMPLIFIER), REGISTRY)
    bad = [p for p in checked.problems if p.code == "bad_param"]
    assert [(p.node_id, p.param) for p in bad] == [("t", "template")]
    assert bad[0].message == (
        "node 't' (Prompt template), parameter 'template': the slot {x:60000000} has a format spec; write {x}"
    )
    with pytest.raises(GraphInvalid):
        run(json.loads(AMPLIFIER))


@pytest.mark.parametrize(("template", "message"), REFUSED, ids=[t for t, _ in REFUSED])
def test_each_slot_form_beyond_a_plain_name_is_refused_when_checked_and_when_run(
    template: str, message: str
) -> None:
    problems = validate(template_graph(f"Say {template} now"), REGISTRY).problems
    assert [(p.code, p.node_id, p.param) for p in problems if p.code == "bad_param"] == [
        ("bad_param", "t", "template")
    ]
    assert next(p for p in problems if p.code == "bad_param").message.endswith(": " + message)
    # through an edge the validator cannot see it; the node refuses at run time, same words
    result = run(wired_template_graph(f"Say {template} now"))
    assert result.status == "failed"
    assert result.nodes["t"].error == {"code": "node_error", "message": message}
    assert result.nodes["out"].error["code"] == "upstream_failed"


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("a { b", "never closed"),
        ("a } b", "closes no slot"),
        ("{ x }", "not a plain name"),
        ("{template}", "reserved"),
    ],
)
def test_stray_braces_and_odd_names_are_refused_too(template: str, words: str) -> None:
    problems = [
        p for p in validate(template_graph(template), REGISTRY).problems if p.code == "bad_param"
    ]
    assert [(p.node_id, p.param) for p in problems] == [("t", "template")] and words in problems[
        0
    ].message


def test_doubled_braces_stay_literal_and_a_slot_inside_them_is_a_port() -> None:
    # {{{x}}} is a brace, slot x, a brace: the old slot pattern missed x there (no port to
    # wire) while str.format filled it; ports and filling now read the template alike
    template = "{{x:5}} is {{{x}}}; {{}}"
    assert [
        i.name for i in validate(template_graph(template), REGISTRY).nodes["t"].ports.inputs
    ] == ["template", "x"]
    result = run(template_graph(template, x="{y} {0:>9}"))
    assert result.status == "succeeded"
    assert result.outputs["out"] == "{x:5} is {{y} {0:>9}}; {}"  # a value is never formatted either


def test_a_text_output_over_the_limit_fails_its_node_and_names_the_setting() -> None:
    # in (600,000 characters) -> concat(in, in): 1,200,000 bytes, over a 1 MiB limit
    d = doc(
        [
            node("in", "io.text_input", value="a" * 600_000),
            node("c", "utility.concat"),
            node("out", "io.text_output"),
        ],
        [
            edge("in", "text", "c", "a"),
            edge("in", "text", "c", "b"),
            edge("c", "text", "out", "value"),
        ],
    )
    result = run(d, max_text_output_bytes=MiB)
    assert result.status == "failed" and result.nodes["in"].status == "succeeded"
    assert result.nodes["c"].error == {
        "code": "node_error",
        "message": "node 'c' produced a text of 1,200,000 bytes; the limit is 1 MiB (GENAISYS_MAX_TEXT_OUTPUT_BYTES)",
    }
    assert result.nodes["out"].error["code"] == "upstream_failed" and "out" not in result.outputs
    assert run(d).status == "succeeded"  # the default limit (16 MiB) lets it through


def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    d = doc(
        [
            node("in", "io.text_input", value="é" * 300_000),
            node("c", "utility.concat"),
            node("out", "io.text_output"),
        ],
        [
            edge("in", "text", "c", "a"),
            edge("in", "text", "c", "b"),
            edge("c", "text", "out", "value"),
        ],
    )
    message = run(d, max_text_output_bytes=MiB).nodes["c"].error["message"]
    assert message.startswith("node 'c' produced a text of 1,200,000 bytes;")  # 600,000 characters


def test_a_slot_repeated_many_times_is_refused_before_the_text_is_built() -> None:
    result = run(template_graph("{x}" * 1000, x="z" * 5000), max_text_output_bytes=MiB)
    message = result.nodes["t"].error["message"]
    assert message.startswith(
        "the prompt would be 5,000,000 characters long, over the limit of 1,048,576 bytes"
    )
    assert "{x}, filled 1,000 time(s) with 5,000 characters" in message


def test_join_refuses_before_repeating_a_long_separator_past_the_limit() -> None:
    # 1,000 lines joined by a 2,000-character separator: about 2 MB from a 6 kB document
    d = doc(
        [
            node("in", "io.text_input", value="x\n" * 1000),
            node("lines", "utility.split_lines"),
            node("j", "utility.join", separator="-" * 2000),
            node("out", "io.text_output"),
        ],
        [
            edge("in", "text", "lines", "text"),
            edge("lines", "lines", "j", "items"),
            edge("j", "text", "out", "value"),
        ],
    )
    message = run(d, max_text_output_bytes=MiB).nodes["j"].error["message"]
    assert message.startswith(
        "joining 1,000 texts with a separator of 2,000 characters would make 1,999,000 characters"
    )


def test_the_default_node_time_limit_is_30_minutes_and_0_disables_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GENAISYS_NODE_TIMEOUT_S", raising=False)
    monkeypatch.delenv("GENAISYS_MAX_TEXT_OUTPUT_BYTES", raising=False)
    assert Settings().node_timeout_s == 1800
    assert Settings().max_text_output_bytes == 16 * MiB
    assert Settings(node_timeout_s=0).node_timeout_s is None
    monkeypatch.setenv("GENAISYS_NODE_TIMEOUT_S", "0")
    assert Settings().node_timeout_s is None
    monkeypatch.setenv("GENAISYS_NODE_TIMEOUT_S", "2.5")
    monkeypatch.setenv("GENAISYS_MAX_TEXT_OUTPUT_BYTES", "1000")
    assert (Settings().node_timeout_s, Settings().max_text_output_bytes) == (2.5, 1000)
    assert "0 for no limit" in (Settings.model_fields["node_timeout_s"].description or "")


def test_genaisys_run_applies_the_same_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[dict[str, Any]] = []

    class Spy(Executor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            seen.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr("app.engine.executor.Executor", Spy)
    monkeypatch.delenv("GENAISYS_NODE_TIMEOUT_S", raising=False)
    monkeypatch.setenv("GENAISYS_MAX_TEXT_OUTPUT_BYTES", "1500")
    path = tmp_path / "double.json"
    path.write_text(
        json.dumps(
            doc(
                [
                    node("in", "io.text_input", value="a" * 1000),
                    node("c", "utility.concat"),
                    node("out", "io.text_output"),
                ],
                [
                    edge("in", "text", "c", "a"),
                    edge("in", "text", "c", "b"),
                    edge("c", "text", "out", "value"),
                ],
            )
        )
    )
    assert main(["run", str(path), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert record["nodes"]["c"]["error"]["message"] == (
        "node 'c' produced a text of 2,000 bytes; the limit is 1,500 bytes (GENAISYS_MAX_TEXT_OUTPUT_BYTES)"
    )
    assert seen[0]["node_timeout_s"] == 1800 and seen[0]["max_text_output_bytes"] == 1500


def test_the_splitter_refuses_an_overlap_that_repeats_the_text_past_the_limit(tmp_path: Path) -> None:
    # size 10,000 with overlap 9,999 over 20,000 characters: about 100 MB of chunks from a 20 kB file
    (tmp_path / "notes.txt").write_text("word " * 4000)
    d = doc(
        [
            node("load", "encoders.document_loader", path=str(tmp_path / "notes.txt")),
            node("split", "encoders.text_splitter", size=10_000, overlap=9_999, unit="characters"),
            node("out", "io.json_output"),
        ],
        [edge("load", "documents", "split", "documents"), edge("split", "chunks", "out", "value")],
    )
    result = run(d, max_text_output_bytes=MiB)
    assert result.nodes["split"].status == "failed"
    assert "lower the overlap" in result.nodes["split"].error["message"]
    fine = run(doc(d["nodes"][:1] + [node("split", "encoders.text_splitter", size=200, overlap=20, unit="characters"),
                                     node("out", "io.json_output")], d["edges"]), max_text_output_bytes=MiB)
    assert fine.status == "succeeded" and len(fine.outputs["out"]) > 50
