/** The canvas's type rule against Python's, case by case: `type_cases.json` is generated from
 * `unify`/`connect` in nodes/types.py (`.venv/bin/python scripts/generate_type_data.py`), and
 * pytest checks it is current. Every case must get the same verdict here, with the rules the
 * catalog ships and with the built-in defaults the canvas uses before the catalog loads. */

import { describe, expect, it } from "vitest";
import {
  type Bindings,
  DEFAULT_TYPE_RULES,
  type TypeRules,
  Verdict,
  connect,
  parseType,
  rulesOf,
  typeFromJson,
  typeToString,
  typesEqual,
  unify,
} from "../src/types/typesys";
import { catalog } from "./helpers";
import table from "./type_cases.json";

type JsonBindings = Record<string, string | number | null>;
interface Case {
  sender: string;
  receiver: string;
  bindings: JsonBindings;
  unify: string;
  connect: string;
  lifted: boolean;
  after: JsonBindings;
}

const CASES = table.cases as Case[];

function toBindings(json: JsonBindings, rules: TypeRules): Bindings {
  const b: Bindings = {};
  for (const [k, v] of Object.entries(json)) {
    const t = typeof v === "string" ? parseType(v, rules) : v;
    if (t !== null && typeof t === "object" && t.kind === "var") throw new Error(`binding ${k} is a variable`);
    b[k] = t;
  }
  return b;
}

function toJson(b: Bindings): JsonBindings {
  const out: JsonBindings = {};
  for (const k of Object.keys(b).sort()) {
    const v = b[k]!;
    out[k] = v === null || typeof v === "number" ? v : typeToString(v);
  }
  return out;
}

/** What typesys.ts answers for one case, in the table's shape. */
function answer(c: Case, rules: TypeRules): Omit<Case, "sender" | "receiver" | "bindings"> & { unifyAfter: JsonBindings } {
  const sender = parseType(c.sender, rules);
  const receiver = parseType(c.receiver, rules);
  const ub = toBindings(c.bindings, rules);
  const unified = unify(sender, receiver, ub, rules);
  const cb = toBindings(c.bindings, rules);
  const [verdict, lifted] = connect(sender, receiver, cb, rules);
  return { unify: unified, connect: verdict, lifted, after: toJson(cb), unifyAfter: toJson(ub) };
}

function disagreements(rules: TypeRules): string[] {
  const out: string[] = [];
  for (const c of CASES) {
    const got = answer(c, rules);
    // unify changes the bindings only when it says ok, and then as connect does
    const unifyAfter = c.unify === Verdict.OK ? c.after : c.bindings;
    const same = got.unify === c.unify && got.connect === c.connect && got.lifted === c.lifted &&
      JSON.stringify(got.after) === JSON.stringify(c.after) && JSON.stringify(got.unifyAfter) === JSON.stringify(unifyAfter);
    if (!same) {
      out.push(`${c.sender} -> ${c.receiver} with ${JSON.stringify(c.bindings)}: Python says unify ${c.unify}, ` +
        `connect ${c.connect}${c.lifted ? " (lifted)" : ""}, bindings ${JSON.stringify(c.after)}; typesys.ts says unify ` +
        `${got.unify}, connect ${got.connect}${got.lifted ? " (lifted)" : ""}, bindings ${JSON.stringify(got.after)}`);
    }
  }
  return out;
}

describe("the shared table of type cases", () => {
  it("is not empty and is the generated one", () => {
    expect(table.about).toContain("scripts/generate_type_data.py");
    expect(CASES.length).toBe(table.count);
    expect(CASES.length).toBeGreaterThan(1000);
  });

  it("typesys.ts gives Python's verdict for every case, with the catalog's rules", () => {
    expect(disagreements(rulesOf(catalog)).slice(0, 20)).toEqual([]);
  });

  it("typesys.ts gives Python's verdict for every case, with the built-in defaults", () => {
    expect(disagreements(DEFAULT_TYPE_RULES).slice(0, 20)).toEqual([]);
  });
});

describe("the rule's data comes from the catalog", () => {
  it("the built-in defaults are the catalog's rules", () => {
    expect(rulesOf(catalog)).not.toBe(DEFAULT_TYPE_RULES); // read from the catalog, not fallen back
    expect(rulesOf(catalog)).toEqual(DEFAULT_TYPE_RULES);
  });

  it("reads each type's entry of the catalog", () => {
    const rules = rulesOf({ types: [
      { name: "Text", color: "#0f0", args: [], widens_to: ["Blob"], takes_single_item: false, liftable: true },
      { name: "Bag", color: "#f00", args: ["type"], widens_to: [], takes_single_item: true, liftable: false },
    ] });
    expect(rules).toEqual({ signatures: { Text: [], Bag: ["type"] }, widens_to: { Text: ["Blob"] }, lifts_into: ["Bag"], not_lifted: ["Bag"] });
  });

  it("a catalog that does not describe the rule (an older server) gets the defaults", () => {
    expect(rulesOf({})).toBe(DEFAULT_TYPE_RULES);
    expect(rulesOf(undefined)).toBe(DEFAULT_TYPE_RULES);
    expect(rulesOf({ types: [] })).toBe(DEFAULT_TYPE_RULES);
    expect(rulesOf({ types: [{ name: "Text", color: "#22c55e", args: [] }] })).toBe(DEFAULT_TYPE_RULES);
    const entry = { name: "Integer", color: "#3b82f6", args: [], widens_to: "Number", takes_single_item: false, liftable: true };
    expect(rulesOf({ types: [entry] })).toBe(DEFAULT_TYPE_RULES);
  });

  it("widenings are read from the rules", () => {
    const none: TypeRules = { ...DEFAULT_TYPE_RULES, widens_to: {} };
    const more: TypeRules = { ...DEFAULT_TYPE_RULES, widens_to: { Integer: ["Number"], Boolean: ["Integer"] } };
    const [INTEGER, NUMBER, BOOLEAN] = ["Integer", "Number", "Boolean"].map((t) => parseType(t));
    expect(unify(INTEGER!, NUMBER!, {}, none)).toBe(Verdict.TYPE_MISMATCH);
    expect(unify(BOOLEAN!, INTEGER!, {}, more)).toBe(Verdict.OK);
    expect(unify(BOOLEAN!, NUMBER!, {}, more)).toBe(Verdict.TYPE_MISMATCH); // not transitive
  });

  it("lifting is read from the rules", () => {
    const TEXT = parseType("Text");
    const LIST_TEXT = parseType("List[Text]");
    expect(connect(TEXT, LIST_TEXT, {}, { ...DEFAULT_TYPE_RULES, lifts_into: [] })).toEqual([Verdict.TYPE_MISMATCH, false]);
    expect(connect(TEXT, LIST_TEXT, {}, { ...DEFAULT_TYPE_RULES, not_lifted: ["Text"] })).toEqual([Verdict.TYPE_MISMATCH, false]);
    const LIST_LIST = parseType("List[List[Text]]");
    expect(connect(LIST_TEXT, LIST_LIST, {}, { ...DEFAULT_TYPE_RULES, not_lifted: ["Any"] })).toEqual([Verdict.OK, true]);
  });

  it("every port type of the catalog parses with its rules to the type its JSON gives", () => {
    const rules = rulesOf(catalog);
    const wrong: string[] = [];
    for (const node of catalog.nodes) {
      for (const port of [...node.inputs, ...node.outputs]) {
        const label = port.type.label ?? "";
        if (!typesEqual(parseType(label, rules), typeFromJson(port.type))) wrong.push(`${node.type}.${port.name}: ${label}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("type signatures are read from the rules", () => {
    const withPair: TypeRules = { ...DEFAULT_TYPE_RULES, signatures: { ...DEFAULT_TYPE_RULES.signatures, Tensor: ["type", "dim"] } };
    expect(typeToString(parseType("Tensor[Number, 3]", withPair))).toBe("Tensor[Number, 3]");
    expect(() => parseType("Tensor[Number, 3]")).toThrow("unknown type 'Tensor'");
    expect(() => parseType("constructor")).toThrow("unknown type 'constructor'");
  });
});
