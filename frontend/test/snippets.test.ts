/** The API dialog's snippets: example inputs from the graph's io input nodes, and curl /
 * Python text that carries them exactly. */

import { describe, expect, it } from "vitest";
import { curlSnippet, exampleInputs, pythonLiteral, pythonSnippet, runUrl, shellQuote } from "../src/graph/snippets";
import { byType, doc } from "./helpers";

const graph = doc(
  [
    ["question", "io.text_input", { value: "What's an owl?\nTell me", label: "Q" }],
    ["k", "io.integer_input", {}],
    ["tpl", "utility.prompt_template", { template: "{q}" }],
    ["out", "io.text_output"],
  ],
  [["question", "text", "tpl", "q"], ["tpl", "prompt", "out", "value"]],
);

/** What a POSIX shell makes of a word made only of single-quoted parts and \' escapes. */
function shellUnquote(word: string): string {
  let out = "";
  for (const m of word.matchAll(/'([^']*)'|\\(.)/g)) out += m[1] ?? m[2];
  return out;
}

describe("example inputs", () => {
  it("are the io input nodes' values, else the catalog default, keyed by node id", () => {
    expect(exampleInputs(graph, byType)).toEqual({ question: "What's an owl?\nTell me", k: 0 });
  });

  it("are empty for a graph without input nodes", () => {
    expect(exampleInputs(doc([["tpl", "utility.prompt_template"]]), byType)).toEqual({});
  });
});

describe("curl", () => {
  it("posts the inputs as JSON to the graph's run endpoint", () => {
    const inputs = exampleInputs(graph, byType);
    const text = curlSnippet("http://127.0.0.1:8000/", "g 1", inputs);
    expect(text).toContain("curl -sS -X POST 'http://127.0.0.1:8000/api/graphs/g%201/run'");
    expect(text).toContain("-H 'Content-Type: application/json'");
    const body = text.slice(text.indexOf("-d ") + 3);
    expect(JSON.parse(shellUnquote(body))).toEqual({ inputs, timeout_s: 30 });
  });

  it("quotes any text for the shell", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellUnquote(shellQuote("a 'b' $c \\n"))).toBe("a 'b' $c \\n");
  });
});

describe("python", () => {
  it("writes JSON values as Python literals", () => {
    expect(pythonLiteral(null)).toBe("None");
    expect(pythonLiteral(true)).toBe("True");
    expect(pythonLiteral(false)).toBe("False");
    expect(pythonLiteral(1.5)).toBe("1.5");
    expect(pythonLiteral('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(pythonLiteral({})).toBe("{}");
    expect(pythonLiteral({ a: [1, null, { b: false }] })).toBe('{\n    "a": [\n        1,\n        None,\n        {\n            "b": False,\n        },\n    ],\n}');
  });

  it("posts the inputs with httpx and polls a run still going", () => {
    const text = pythonSnippet("http://studio:8000", "abc", { question: "hi", flag: true });
    expect(text).toContain('BASE = "http://studio:8000"');
    expect(text).toContain('inputs = {\n    "question": "hi",\n    "flag": True,\n}');
    expect(text).toContain('httpx.post(\n    f"{BASE}/api/graphs/abc/run",');
    expect(text).toContain('json={"inputs": inputs, "timeout_s": 30}');
    expect(text).toContain('httpx.get(f"{BASE}/api/runs/{run_id}")');
  });

  it("run URLs are on the given origin", () => {
    expect(runUrl("https://x.example//", "id")).toBe("https://x.example/api/graphs/id/run");
  });
});

describe("auth mode", () => {
  it("adds the bearer header read from GENAISYS_TOKEN, and nothing without auth", () => {
    const curl = curlSnippet("http://h:1", "g1", { a: 1 }, true);
    expect(curl).toContain(`-H "Authorization: Bearer $GENAISYS_TOKEN"`);
    expect(curlSnippet("http://h:1", "g1", { a: 1 })).not.toContain("Authorization");
    const py = pythonSnippet("http://h:1", "g1", { a: 1 }, true);
    expect(py).toContain(`HEADERS = {"Authorization": f"Bearer {os.environ['GENAISYS_TOKEN']}"}`);
    expect(py.match(/headers=HEADERS/g)).toHaveLength(2); // the run and every poll
    expect(py.startsWith("import os\nimport time")).toBe(true);
    expect(pythonSnippet("http://h:1", "g1", { a: 1 })).not.toMatch(/HEADERS|import os/);
  });
});
