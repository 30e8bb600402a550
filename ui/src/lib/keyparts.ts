// Turning the labelled part fields into the request Rust expects.
import type { KeyPart } from "./bindings/KeyPart";
import type { KeyPartInput } from "./bindings/KeyPartInput";

/** `value` for single-part keys, `parts` for multi-part ones. */
export function keyInput(
  parts: KeyPart[],
  values: Record<string, string>,
): { value?: string; parts: KeyPartInput[] } {
  if (parts.length <= 1) {
    const value = values[parts[0]?.id ?? "key"] ?? "";
    return { value, parts: [] };
  }
  return { parts: parts.map((p) => ({ id: p.id, value: values[p.id] ?? "" })) };
}

/** Has every part something in it? */
export function keyComplete(parts: KeyPart[], values: Record<string, string>): boolean {
  const ids = parts.length === 0 ? ["key"] : parts.map((p) => p.id);
  return ids.every((id) => (values[id] ?? "").trim() !== "");
}

/** Forget every typed value (called once Rust has them). */
export function clearValues(values: Record<string, string>): void {
  for (const id of Object.keys(values)) {
    values[id] = "";
  }
}

/** Fields that name a key part, for formError's list. */
export function partFields(parts: KeyPart[]): string[] {
  return ["value", ...parts.map((p) => `part:${p.id}`)];
}
