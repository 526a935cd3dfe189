/** The Open dialog's marker of a seeded example: the message `seed_examples` (app/services/bootstrap.py)
 * gives an example's first version. */

import { describe, expect, it } from "vitest";
import { EXAMPLE_MESSAGE, copyName } from "../src/graph/library";

describe("EXAMPLE_MESSAGE", () => {
  it("matches what seed_examples writes, and nothing a user's save writes", () => {
    expect(EXAMPLE_MESSAGE.test("example rag.json")).toBe(true);
    expect(EXAMPLE_MESSAGE.test("example stable_diffusion.json")).toBe(true);
    expect(EXAMPLE_MESSAGE.test("")).toBe(false);
    expect(EXAMPLE_MESSAGE.test('copy of "Prompt builder" (g1)')).toBe(false);
    expect(EXAMPLE_MESSAGE.test("example rag.json, edited")).toBe(false);
    expect(EXAMPLE_MESSAGE.test("an example rag.json")).toBe(false);
  });

  it("names a copy", () => {
    expect(copyName("Prompt builder")).toBe("Prompt builder (copy)");
  });
});
