import { describe, expect, it } from "vitest";
import { generateRequest, generatorDefaults, generatorReady, needsReason } from "./generator";
import type { GeneratorRules } from "./bindings/GeneratorRules";

const wifi: GeneratorRules = {
  min_length: 8,
  max_length: 63,
  recommended_length: 20,
  default_length: 32,
  charset: "letters-digits",
  exclude_ambiguous: true,
  source: "IEEE 802.11i",
  charsets: [
    { value: "letters-digits", label: "Letters and digits" },
    { value: "printable", label: "Printable ASCII" },
  ],
};

describe("generator form", () => {
  it("starts from the kind's defaults, at the recommended length or above", () => {
    const choice = generatorDefaults(wifi);
    expect(choice).toEqual({ length: 32, charset: "letters-digits", excludeAmbiguous: true, shortReason: "" });
    expect(needsReason(wifi, choice.length)).toBe(false);
    expect(generatorReady(wifi, choice)).toBe(true);
  });

  it("asks for a reason exactly under the recommended length and within the bounds", () => {
    expect(needsReason(wifi, 20)).toBe(false);
    expect(needsReason(wifi, 19)).toBe(true);
    expect(needsReason(wifi, 8)).toBe(true);
    // Out of bounds is Rust's length error, not a reason question.
    expect(needsReason(wifi, 7)).toBe(false);
    expect(needsReason(wifi, Number.NaN)).toBe(false);
  });

  it("is not ready with a short length and a blank reason, and sends the reason trimmed", () => {
    const short = { ...generatorDefaults(wifi), length: 12, shortReason: "   " };
    expect(generatorReady(wifi, short)).toBe(false);
    const reasoned = { ...short, shortReason: "  printer takes 12  " };
    expect(generatorReady(wifi, reasoned)).toBe(true);
    expect(generateRequest(wifi, reasoned)).toEqual({
      length: 12,
      charset: "letters-digits",
      excludeAmbiguous: true,
      shortReason: "printer takes 12",
    });
  });

  it("drops a leftover reason once the length is back at the recommendation", () => {
    const back = { ...generatorDefaults(wifi), length: 24, shortReason: "typed earlier" };
    expect(generateRequest(wifi, back).shortReason).toBeUndefined();
  });
});
