// The client overview and the sidebar at forty clients: search and order. The order itself is
// Rust's (each row's `rank`, each client's `urgency`); these only filter and pick which order.
import type { ClientOverviewRow } from "./bindings/ClientOverviewRow";
import type { ClientStatus } from "./bindings/ClientStatus";

export type ClientSort = "urgency" | "name";

function words(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
}

/** Every word of the query in the client's name, why it needs attention, or its next deadline. */
export function matchesOverview(row: ClientOverviewRow, query: string): boolean {
  const haystack = [row.name, row.reason, row.nextDeadline?.text ?? "", row.refreshLabel]
    .join(" ")
    .toLowerCase();
  return words(query).every((w) => haystack.includes(w));
}

/** The overview rows matching `query`, worst first (Rust's rank). */
export function searchOverview(rows: ClientOverviewRow[], query: string): ClientOverviewRow[] {
  return rows.filter((r) => matchesOverview(r, query)).sort((a, b) => a.rank - b.rank);
}

/** The sidebar's clients matching `query` by name, by urgency (Rust's order) or by name. */
export function sidebarClients(clients: ClientStatus[], query: string, sort: ClientSort): ClientStatus[] {
  const wanted = words(query);
  const shown = clients.filter((c) => wanted.every((w) => c.name.toLowerCase().includes(w)));
  return shown.sort((a, b) =>
    sort === "urgency"
      ? a.urgency - b.urgency || a.name.localeCompare(b.name)
      : a.name.localeCompare(b.name, undefined, { sensitivity: "base" }),
  );
}

/** Where the row's refresh stands, as a class: only trouble is coloured. */
export function refreshTone(row: Pick<ClientOverviewRow, "refresh" | "state">): "bad" | "warn" | "" {
  if (row.state === "failed" || row.refresh === "failed") {
    return "bad";
  }
  return row.refresh === "outdated" ? "warn" : "";
}
