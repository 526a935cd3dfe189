/** The compatibility rule, case by case: a mirror of tests/unit/test_types.py, so the canvas
 * and the server's validator agree on every edge. */

import { describe, expect, it } from "vitest";
import {
  ANY,
  Collection,
  Embedding,
  List,
  T,
  type TypeV,
  V,
  Verdict,
  compatible,
  connect,
  parseType,
  substitute,
  typeFromJson,
  typeToString,
  typesEqual,
  unify,
  type Bindings,
} from "../src/types/typesys";

const [TEXT, INTEGER, NUMBER, BOOLEAN, JSON_, IMAGE, AUDIO, FILE, DOCUMENT, CONDITIONING, LATENT] = [
  "Text", "Integer", "Number", "Boolean", "Json", "Image", "Audio", "File", "Document", "Conditioning", "Latent",
].map((n) => T(n)) as [TypeV, TypeV, TypeV, TypeV, TypeV, TypeV, TypeV, TypeV, TypeV, TypeV, TypeV];
const SCALARS = [TEXT, INTEGER, NUMBER, BOOLEAN, JSON_, IMAGE, AUDIO, FILE, DOCUMENT, CONDITIONING, LATENT];
const { OK, TYPE_MISMATCH: MISMATCH, DIMENSION_MISMATCH: DIM } = Verdict;

describe("scalars", () => {
  it.each(SCALARS.map((t) => [typeToString(t), t]))("identical %s is compatible", (_, t) => {
    expect(unify(t, t)).toBe(OK);
    expect(compatible(t, t)).toBe(true);
  });

  it("Integer widens to Number but not back", () => {
    expect(unify(INTEGER, NUMBER)).toBe(OK);
    expect(unify(NUMBER, INTEGER)).toBe(MISMATCH);
  });

  it.each([...SCALARS, List(TEXT), Embedding(384), Collection(768)].map((t) => [typeToString(t), t]))(
    "Any accepts and feeds %s", (_, t) => {
      expect(unify(t, ANY)).toBe(OK);
      expect(unify(ANY, t)).toBe(OK);
    });

  it.each([
    [TEXT, IMAGE], [IMAGE, TEXT], [TEXT, NUMBER], [NUMBER, TEXT], [BOOLEAN, INTEGER], [INTEGER, TEXT],
    [AUDIO, FILE], [CONDITIONING, LATENT], [JSON_, TEXT], [DOCUMENT, TEXT],
  ].map(([s, r]) => [typeToString(s!), typeToString(r!), s!, r!] as const))("%s does not convert to %s", (_a, _b, s, r) => {
    expect(unify(s, r)).toBe(MISMATCH);
    expect(compatible(s, r)).toBe(false);
  });
});

describe("lists", () => {
  it("same item type is ok; items widen like scalars", () => {
    expect(unify(List(TEXT), List(TEXT))).toBe(OK);
    expect(unify(List(INTEGER), List(NUMBER))).toBe(OK);
    expect(unify(List(NUMBER), List(INTEGER))).toBe(MISMATCH);
    expect(unify(List(TEXT), List(IMAGE))).toBe(MISMATCH);
  });

  it("a single value is not a list and a list is not a value", () => {
    expect(unify(TEXT, List(TEXT))).toBe(MISMATCH);
    expect(unify(List(TEXT), TEXT)).toBe(MISMATCH);
  });

  it("List[Any] takes any list but not a scalar", () => {
    expect(unify(List(DOCUMENT), List(ANY))).toBe(OK);
    expect(unify(List(List(TEXT)), List(ANY))).toBe(OK);
    expect(unify(TEXT, List(ANY))).toBe(MISMATCH);
  });

  it("nested lists compare all the way down", () => {
    expect(unify(List(List(INTEGER)), List(List(NUMBER)))).toBe(OK);
    expect(unify(List(List(TEXT)), List(List(IMAGE)))).toBe(MISMATCH);
    expect(unify(List(List(Embedding(384))), List(List(Embedding(768))))).toBe(DIM);
  });

  it("connect lifts a single value into a list input of its type", () => {
    expect(connect(TEXT, List(TEXT))).toEqual([OK, true]);
    expect(connect(INTEGER, List(NUMBER))).toEqual([OK, true]);
    expect(connect(TEXT, List(IMAGE))).toEqual([MISMATCH, false]);
    expect(connect(List(TEXT), List(TEXT))).toEqual([OK, false]);
    expect(connect(ANY, List(TEXT))).toEqual([OK, false]);
    expect(connect(Embedding(384), List(Embedding(768)))).toEqual([DIM, false]);
  });
});

describe("dimensions", () => {
  it("same dimension ok, different is a dimension mismatch", () => {
    expect(unify(Embedding(384), Embedding(384))).toBe(OK);
    expect(unify(Embedding(384), Embedding(768))).toBe(DIM);
    expect(unify(Collection(768), Collection(384))).toBe(DIM);
  });

  it("an unknown dimension agrees with any known one", () => {
    expect(unify(Embedding(null), Embedding(768))).toBe(OK);
    expect(unify(Embedding(768), Embedding(null))).toBe(OK);
  });

  it("an embedding is not a collection", () => {
    expect(unify(Embedding(384), Collection(384))).toBe(MISMATCH);
    expect(unify(Collection(384), Embedding(384))).toBe(MISMATCH);
  });

  it("a list of wrong-dimension vectors is a dimension, not a type, mismatch", () => {
    expect(unify(List(Embedding(384)), List(Embedding(768)))).toBe(DIM);
  });
});

describe("variables", () => {
  it("a dimension variable binds, then must agree", () => {
    const b: Bindings = {};
    expect(unify(Embedding(384), Embedding("d"), b)).toBe(OK);
    expect(b).toEqual({ d: 384 });
    expect(unify(Embedding(384), Embedding("d"), b)).toBe(OK);
    expect(unify(Embedding(768), Embedding("d"), b)).toBe(DIM);
    expect(b).toEqual({ d: 384 });
  });

  it("a variable bound by params checks the first edge", () => {
    const b: Bindings = { d: 768 };
    expect(unify(Embedding(384), Embedding("d"), b)).toBe(DIM);
    expect(unify(Embedding(null), Embedding("d"), b)).toBe(OK);
    expect(b).toEqual({ d: 768 });
  });

  it("an unknown dimension leaves the variable open for a later edge", () => {
    const b: Bindings = {};
    expect(unify(Collection(null), Collection("d"), b)).toBe(OK);
    expect(b.d ?? null).toBeNull();
    expect(unify(Embedding(768), Embedding("d"), b)).toBe(OK);
    expect(b.d).toBe(768);
    expect(unify(Embedding(384), Embedding("d"), b)).toBe(DIM);
  });

  it("variables are per bindings object", () => {
    const first: Bindings = {};
    const second: Bindings = {};
    expect(unify(Embedding(384), Embedding("d"), first)).toBe(OK);
    expect(unify(Embedding(768), Embedding("d"), second)).toBe(OK);
    expect([first.d, second.d]).toEqual([384, 768]);
  });

  it("a list variable binds the item type", () => {
    const b: Bindings = {};
    expect(unify(List(DOCUMENT), List(V("T")), b)).toBe(OK);
    expect(b).toEqual({ T: DOCUMENT });
    expect(substitute(V("T"), b)).toEqual(DOCUMENT);
    expect(unify(List(TEXT), List(V("T")), b)).toBe(MISMATCH);
  });

  it("a bare type variable takes anything once", () => {
    const b: Bindings = {};
    expect(unify(IMAGE, V("T"), b)).toBe(OK);
    expect(b).toEqual({ T: IMAGE });
    expect(unify(IMAGE, V("T"), b)).toBe(OK);
    expect(unify(AUDIO, V("T"), b)).toBe(MISMATCH);
  });

  it("bindings do not change when the verdict is not ok", () => {
    const b: Bindings = { d: 384 };
    expect(unify(List(Embedding(768)), List(Embedding("d")), b)).toBe(DIM);
    expect(b).toEqual({ d: 384 });
    const empty: Bindings = {};
    expect(unify(TEXT, List(V("T")), empty)).toBe(MISMATCH);
    expect(empty).toEqual({});
  });

  it("a partial binding is rolled back when a later argument fails", () => {
    const receiver = T("Pair", V("T"), Embedding("d"));
    const b: Bindings = { d: 384 };
    expect(unify(T("Pair", TEXT, Embedding(768)), receiver, b)).toBe(DIM);
    expect(b).toEqual({ d: 384 });
    expect(unify(T("Pair", TEXT, List(IMAGE)), T("Pair", V("T"), List(TEXT)), b)).toBe(MISMATCH);
    expect(b).toEqual({ d: 384 });
    expect(unify(T("Pair", TEXT, Embedding(384)), receiver, b)).toBe(OK);
    expect(b).toEqual({ d: 384, T: TEXT });
  });

  it("unify without bindings still checks variables consistently", () => {
    expect(unify(Embedding(384), Embedding("d"))).toBe(OK);
    expect(unify(List(TEXT), List(V("T")))).toBe(OK);
  });

  it("substitute fills known and leaves unknown", () => {
    expect(substitute(Collection("d"), { d: 384 })).toEqual(Collection(384));
    expect(substitute(Collection("d"), {})).toEqual(Collection(null));
    expect(substitute(V("T"), {})).toEqual(ANY);
    expect(substitute(List(V("T")), { T: TEXT })).toEqual(List(TEXT));
  });
});

describe("strings", () => {
  const ROUND_TRIP = [
    "Any", "Text", "Integer", "Number", "Boolean", "Json", "Image", "Audio", "File", "Document", "Conditioning", "Latent",
    "List[Text]", "List[Document]", "List[List[Number]]", "Embedding[384]", "Embedding[?]", "Embedding[d]", "Collection[768]",
    "Collection[d]", "List[Embedding[384]]", "List[T]", "T", "d", "List[List[Embedding[?]]]",
  ];
  it.each(ROUND_TRIP)("%s round-trips", (text) => {
    const parsed = parseType(text);
    expect(typeToString(parsed)).toBe(text);
    expect(typesEqual(parseType(typeToString(parsed)), parsed)).toBe(true);
  });

  it("parses to the same values as the constructors", () => {
    expect(parseType("List[Embedding[384]]")).toEqual(List(Embedding(384)));
    expect(parseType("Collection[d]")).toEqual(Collection("d"));
    expect(parseType("T")).toEqual(V("T"));
    expect(parseType("  List[ Text ]  ")).toEqual(List(TEXT));
  });

  it("a bare Embedding has an unknown dimension", () => {
    expect(parseType("Embedding")).toEqual(Embedding(null));
    expect(typeToString(parseType("Collection"))).toBe("Collection[?]");
  });

  it.each([
    ["", "ends too early"], ["   ", "ends too early"], ["Txt", "unknown type 'Txt'"], ["text", "known types"],
    ["List[", "ends too early"], ["List[Text", "missing ']'"], ["List[]", "unexpected ']'"], ["List[Text]]", "unexpected ']'"],
    ["List[Text, Image]", "List takes 1 argument(s), got 2"], ["List", "List takes 1 argument(s), got 0"],
    ["Text[384]", "Text takes 0 argument(s), got 1"], ["List[384]", "takes a type"], ["List[?]", "takes a type"],
    ["Embedding[Text]", "takes a dimension"], ["Embedding[-1]", "cannot read"], ["Text Image", "unexpected 'Image'"],
    ["384", "is not a type"], ["?", "is not a type"], ["T[Text]", "unexpected '['"], ["List<Text>", "cannot read"],
  ])("rejects %j clearly", (text, says) => {
    expect(() => parseType(text)).toThrow(says);
  });
});

describe("catalog JSON", () => {
  it("reads Type.to_json() and Var.to_json()", () => {
    expect(typeFromJson({ name: "Embedding", label: "Embedding[384]", args: [384], color: "#f97316" })).toEqual(Embedding(384));
    expect(typeFromJson({ name: "List", label: "List[Embedding[d]]", args: [{ name: "Embedding", args: [{ var: "d" }] }] }))
      .toEqual(List(Embedding("d")));
    expect(typeFromJson({ name: "Any", label: "T", args: [], var: "T" })).toEqual(V("T"));
    expect(typeFromJson({ name: "Embedding", label: "Embedding[?]", args: [null] })).toEqual(Embedding(null));
  });
});
