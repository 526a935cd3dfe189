import { describe, expect, it } from "vitest";
import { toCheck } from "../src/components/EvalStart";

describe("toCheck", () => {
  it("makes the API's check from a form row", () => {
    const row = { output: "answer", kind: "contains_any" as const, expected: "2019|twenty nineteen", column: "", extra: "" };
    expect(toCheck(row)).toEqual({ output: "answer", kind: "contains_any", expected: "2019|twenty nineteen" });
    expect(toCheck({ ...row, column: " expected " })).toEqual({ output: "answer", kind: "contains_any", column: "expected" });
    expect(toCheck({ ...row, kind: "number_within", expected: "3.5", extra: "0.1" }))
      .toEqual({ output: "answer", kind: "number_within", expected: 3.5, tolerance: 0.1 });
    expect(toCheck({ ...row, kind: "wer_at_most", expected: "hello world", extra: "0.2" }))
      .toEqual({ output: "answer", kind: "wer_at_most", expected: "hello world", max: 0.2 });
    expect(toCheck({ ...row, kind: "json_field_equals", expected: "x", extra: "a.b" }))
      .toEqual({ output: "answer", kind: "json_field_equals", expected: "x", field: "a.b" });
  });
});
