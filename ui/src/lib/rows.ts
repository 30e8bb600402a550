// Pure view logic for the Vault tab: search, filters and column sorting. Facts (status, labels,
// dates) come from Rust; this only decides which rows to show and in what order.
import type { Category } from "./bindings/Category";
import type { KeyStatus } from "./bindings/KeyStatus";
import type { VaultRow } from "./bindings/VaultRow";

export interface RowFilter {
  query: string;
  status: KeyStatus | "all";
  category: Category | "all";
}

export const emptyFilter = (): RowFilter => ({ query: "", status: "all", category: "all" });

function normalise(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

/** Search matches client, vendor name, label, category and note; every word must match somewhere. */
export function matchesQuery(row: VaultRow, query: string): boolean {
  const words = normalise(query).split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) {
    return true;
  }
  const haystack = normalise([row.clientName, row.vendorName, row.label ?? "", row.category, row.note].join(" "));
  return words.every((word) => haystack.includes(word));
}

export function filterRows(rows: VaultRow[], filter: RowFilter): VaultRow[] {
  return rows.filter(
    (row) =>
      (filter.status === "all" || row.status === filter.status) &&
      (filter.category === "all" || row.category === filter.category) &&
      matchesQuery(row, filter.query),
  );
}

export type SortKey = "client" | "vendor" | "category" | "status" | "nextDue" | "expiry";

export interface Sort {
  key: SortKey;
  ascending: boolean;
}

/** The Vault tab opens sorted by urgency: Rust's rank (expired, rotation overdue, due, ...). */
export const defaultSort = (): Sort => ({ key: "status", ascending: true });

// Rows without the date sort last whichever way the column is sorted.
function byDays(a: number | null, b: number | null): number {
  const left = a ?? Number.POSITIVE_INFINITY;
  const right = b ?? Number.POSITIVE_INFINITY;
  return left === right ? 0 : left < right ? -1 : 1;
}

function compare(a: VaultRow, b: VaultRow, key: SortKey): number {
  switch (key) {
    case "client":
      return a.clientName.localeCompare(b.clientName) || a.vendorName.localeCompare(b.vendorName);
    case "vendor":
      return a.vendorName.localeCompare(b.vendorName) || (a.label ?? "").localeCompare(b.label ?? "");
    case "category":
      return a.category.localeCompare(b.category) || a.vendorName.localeCompare(b.vendorName);
    case "status":
      // The rank is Rust's; the name only breaks ties so the order is stable.
      return a.urgency - b.urgency || a.clientName.localeCompare(b.clientName) || a.vendorName.localeCompare(b.vendorName);
    case "nextDue":
      return byDays(a.daysToDue, b.daysToDue);
    case "expiry":
      return byDays(a.daysToExpiry, b.daysToExpiry);
  }
}

export function sortRows(rows: VaultRow[], sort: Sort | null): VaultRow[] {
  if (!sort) {
    return rows;
  }
  const sorted = [...rows].sort((a, b) => compare(a, b, sort.key));
  if (!sort.ascending) {
    sorted.reverse();
  }
  return sorted;
}

/** Clicking a header: first ascending, then descending, then back to catalog order. */
export function nextSort(current: Sort | null, key: SortKey): Sort | null {
  if (!current || current.key !== key) {
    return { key, ascending: true };
  }
  return current.ascending ? { key, ascending: false } : null;
}

/**
 * The key for Svelte's keyed each: secret names are unique only within one client's vault, and
 * vendor rows without a key have no secret name yet.
 */
export function rowKey(row: VaultRow): string {
  return `${row.clientId}/${row.secretName ?? `vendor:${row.vendorId}`}`;
}
