// The generator form's state for a kind of non-API secret. Rust checks every bound again and
// answers with named errors; these functions only decide what the form shows and sends.
import type { GenerateRequest } from "./bindings/GenerateRequest";
import type { GeneratorRules } from "./bindings/GeneratorRules";

/** What the technician picks: the kind's defaults to start with. */
export function generatorDefaults(rules: GeneratorRules): GenerateRequest {
  return {
    length: rules.default_length,
    charset: rules.charset,
    excludeAmbiguous: rules.exclude_ambiguous,
    shortReason: "",
  };
}

/** A length within the bounds but under the recommendation needs a reason (the form shows the
 * reason field only then). */
export function needsReason(rules: GeneratorRules, length: number): boolean {
  return Number.isFinite(length) && length >= rules.min_length && length < rules.recommended_length;
}

/** The request as Rust takes it: the reason only when one is needed, trimmed. */
export function generateRequest(rules: GeneratorRules, choice: GenerateRequest): GenerateRequest {
  const reason = (choice.shortReason ?? "").trim();
  return {
    length: Math.trunc(choice.length),
    charset: choice.charset,
    excludeAmbiguous: choice.excludeAmbiguous,
    shortReason: needsReason(rules, choice.length) && reason !== "" ? reason : undefined,
  };
}

/** Can the form be sent? (A short length without a reason would only come back refused.) */
export function generatorReady(rules: GeneratorRules, choice: GenerateRequest): boolean {
  return !needsReason(rules, choice.length) || (choice.shortReason ?? "").trim() !== "";
}
