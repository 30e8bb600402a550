// The Vault tab's certificates, keys and app credentials: which keys' types to ask Rust for
// (the rows on screen, each once per listing) and how an answer lands in the rows. Rust decides
// the text; this only routes it.
import type { KeyDetailRow } from "./bindings/KeyDetailRow";
import type { ObjectRow } from "./bindings/ObjectRow";

/** Rust reads at most this many key names per request. */
export const MAX_NAMES_PER_CALL = 50;

/** What a row without a known value shows. */
export const UNKNOWN = "—";

export function objectKey(row: Pick<ObjectRow, "clientId" | "name">): string {
  return `${row.clientId}/${row.name}`;
}

/**
 * The key names to ask for, per client, in requests of at most 50: rows on screen (`visible`
 * holds their {@link objectKey}) whose type is unknown and that were not asked for yet in
 * this listing. Marks them asked.
 */
export function keysToAsk(
  rows: ObjectRow[],
  visible: Set<string>,
  asked: Set<string>,
): { clientId: string; names: string[] }[] {
  const perClient = new Map<string, string[]>();
  for (const row of rows) {
    const key = objectKey(row);
    if (row.kind !== "key" || row.detail !== UNKNOWN || !visible.has(key) || asked.has(key)) continue;
    asked.add(key);
    const names = perClient.get(row.clientId) ?? [];
    names.push(row.name);
    perClient.set(row.clientId, names);
  }
  const requests: { clientId: string; names: string[] }[] = [];
  for (const [clientId, names] of perClient) {
    for (let start = 0; start < names.length; start += MAX_NAMES_PER_CALL) {
      requests.push({ clientId, names: names.slice(start, start + MAX_NAMES_PER_CALL) });
    }
  }
  return requests;
}

/** Put one client's answers into its rows (type and size, or the reason for "—"). */
export function applyDetails(rows: ObjectRow[], clientId: string, details: KeyDetailRow[]): void {
  const byName = new Map(details.map((d) => [d.name, d]));
  for (const row of rows) {
    const detail = row.clientId === clientId && row.kind === "key" ? byName.get(row.name) : undefined;
    if (!detail) continue;
    row.detail = detail.detail;
    row.detailNote = detail.detailNote;
  }
}

/**
 * An app credential's name without its thumbprint, which gets a cell of its own (Rust writes
 * "name (thumbprint HEX)" for the CSV and PDF, where there is no separate column).
 */
export function credentialLabel(row: Pick<ObjectRow, "detail" | "thumbprint">): string {
  if (!row.thumbprint) return row.detail;
  const suffix = ` (thumbprint ${row.thumbprint})`;
  return row.detail.endsWith(suffix) ? row.detail.slice(0, -suffix.length) : row.detail;
}
