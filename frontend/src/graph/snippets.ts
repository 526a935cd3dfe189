/** Ready-to-copy calls of `POST /api/graphs/{id}/run` for the open graph: curl and Python
 * (httpx), with the graph's io input nodes and their current values as the example inputs. */

import type { CatalogNode, GraphDocument } from "../api/types";

export const RUN_TIMEOUT_S = 30;

/** The io input nodes' values, by node id, in document order: the param `value`, else
 * the catalog's default for it. */
export function exampleInputs(doc: GraphDocument, catalog: Record<string, CatalogNode>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const n of doc.nodes) {
    const entry = catalog[n.type];
    if (entry?.role !== "input") continue;
    const spec = entry.inputs.find((i) => i.name === "value");
    inputs[n.id] = n.params.value !== undefined ? n.params.value : spec?.has_default ? spec.default : null;
  }
  return inputs;
}

export function runUrl(origin: string, graphId: string): string {
  return `${origin.replace(/\/+$/, "")}/api/graphs/${encodeURIComponent(graphId)}/run`;
}

/** A POSIX shell single-quoted word: safe for any text, newlines included. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** On a server started with `--auth`, the snippets read the caller's API token from the
 * `GENAISYS_TOKEN` environment variable (never pasted into the code). */
export const TOKEN_VAR = "GENAISYS_TOKEN";

export function curlSnippet(origin: string, graphId: string, inputs: Record<string, unknown>, auth = false): string {
  const body = JSON.stringify({ inputs, timeout_s: RUN_TIMEOUT_S }, null, 2);
  return [
    `curl -sS -X POST ${shellQuote(runUrl(origin, graphId))} \\`,
    ...(auth ? [`  -H "Authorization: Bearer $${TOKEN_VAR}" \\`] : []),
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ].join("\n");
}

/** A JSON value as a Python literal (True/False/None; JSON's string escapes are Python's). */
export function pythonLiteral(value: unknown, indent = 0): string {
  const pad = " ".repeat(indent + 4);
  const end = " ".repeat(indent);
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "None";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    return `[\n${value.map((v) => `${pad}${pythonLiteral(v, indent + 4)},`).join("\n")}\n${end}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length) return "{}";
    return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, indent + 4)},`).join("\n")}\n${end}}`;
  }
  return JSON.stringify(String(value));
}

export function pythonSnippet(origin: string, graphId: string, inputs: Record<string, unknown>, auth = false): string {
  const base = origin.replace(/\/+$/, "");
  const imports = auth ? "import os\nimport time" : "import time";
  const headers = auth ? `\nHEADERS = {"Authorization": f"Bearer {os.environ['${TOKEN_VAR}']}"}` : "";
  const h = auth ? ", headers=HEADERS" : "";
  return `${imports}

import httpx

BASE = ${JSON.stringify(base)}${headers}
inputs = ${pythonLiteral(inputs)}

response = httpx.post(
    f"{BASE}/api/graphs/${encodeURIComponent(graphId)}/run",
    json={"inputs": inputs, "timeout_s": ${RUN_TIMEOUT_S}},
    timeout=${RUN_TIMEOUT_S + 30},${auth ? "\n    headers=HEADERS," : ""}
)
response.raise_for_status()
result = response.json()
run_id = result["run_id"]
while result["status"] in ("queued", "running"):  # 202: still running, poll the run
    time.sleep(1)
    result = httpx.get(f"{BASE}/api/runs/{run_id}"${h}).json()
print(result["status"], result["outputs"])
`;
}
