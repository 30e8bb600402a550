// The client overview's table, rendered on the server: rows in the order Rust ranked them, why
// each client needs a look and how fresh its data is written on the row, every row focusable.
import { describe, expect, it } from "vitest";
import { createRawSnippet } from "svelte";
import { render } from "svelte/server";
import OverviewTable from "./OverviewTable.svelte";
import { searchOverview } from "../../lib/overview";
import type { ClientOverviewRow } from "../../lib/bindings/ClientOverviewRow";

function row(name: string, rank: number, partial: Partial<ClientOverviewRow> = {}): ClientOverviewRow {
  return {
    clientId: `id-${rank}`,
    name,
    state: "connected",
    connection: "Connected",
    keys: 20,
    expired: 0,
    overdue: 0,
    dueSoon: 0,
    nextDeadline: null,
    lastRefresh: "2026-12-07 08:14:00 UTC",
    refresh: "fresh",
    refreshLabel: "Refreshed 08:14 UTC",
    attention: "in-order",
    reason: "All keys in order",
    rank,
    ...partial,
  };
}

const rows = [
  row("Fourth Coffee", 2),
  row("Coho Winery", 1, {
    attention: "unreachable",
    refresh: "failed",
    refreshLabel: "Refresh failed 08:19 UTC; data from 08:14 UTC",
    reason: "Last refresh failed: The vault did not answer",
  }),
  row("Contoso Dental", 0, { attention: "expired", expired: 2, overdue: 3, reason: "2 expired · 3 overdue" }),
];

const empty = createRawSnippet(() => ({ render: () => `<p data-testid="fixture-empty">No client matches</p>` }));

function html(shown: ClientOverviewRow[]): string {
  return render(OverviewTable, { props: { rows: shown, outdatedAfterMinutes: 10, onopen: () => {}, empty } }).body;
}

const names = (body: string) => [...body.matchAll(/data-client="([^"]+)"/g)].map((m) => m[1]);

describe("client overview table", () => {
  it("shows the clients worst first, each row focusable and named for a screen reader", () => {
    const body = html(searchOverview(rows, ""));
    expect(names(body)).toEqual(["Contoso Dental", "Coho Winery", "Fourth Coffee"]);
    expect(body.match(/<tr tabindex="0"/g)?.length).toBe(3);
    expect(body).toContain('aria-label="Open Contoso Dental: 2 expired · 3 overdue"');
  });

  it("writes a failed refresh on the row, not only in a tooltip", () => {
    const body = html(rows);
    expect(body).toMatch(/data-testid="overview-refresh">Refresh failed 08:19 UTC; data from 08:14 UTC</);
    expect(body).toMatch(/data-testid="overview-reason">Last refresh failed: The vault did not answer</);
    expect(body).toContain("fresh-cell bad");
  });

  it("counts zero as a dash and names the outdated threshold", () => {
    const body = html(rows);
    expect(body).toMatch(/data-testid="overview-expired">2</);
    expect(body).toMatch(/data-testid="overview-due">–</);
    expect(body).toContain("older than 10 min is outdated");
  });

  it("renders the search's result and the empty state when nothing matches", () => {
    expect(names(html(searchOverview(rows, "coho")))).toEqual(["Coho Winery"]);
    const body = html(searchOverview(rows, "nobody"));
    expect(names(body)).toEqual([]);
    expect(body).toContain("fixture-empty");
  });
});
