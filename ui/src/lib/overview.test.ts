import { describe, expect, it } from "vitest";
import { refreshTone, searchOverview, sidebarClients } from "./overview";
import type { ClientOverviewRow } from "./bindings/ClientOverviewRow";
import type { ClientStatus } from "./bindings/ClientStatus";

function row(name: string, rank: number, partial: Partial<ClientOverviewRow> = {}): ClientOverviewRow {
  return {
    clientId: name.toLowerCase(),
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

function client(name: string, urgency: number): ClientStatus {
  return { id: name.toLowerCase(), name, urgency } as ClientStatus;
}

describe("client overview", () => {
  const rows = [
    row("Fourth Coffee", 3),
    row("Coho Winery", 1, { attention: "unreachable", refresh: "failed", reason: "Last refresh failed: timed out" }),
    row("Contoso Dental", 0, { attention: "expired", expired: 2, reason: "2 expired · 3 overdue" }),
    row("Trey Research", 2, {
      attention: "due",
      dueSoon: 1,
      reason: "1 due within 14 days",
      nextDeadline: { date: "2026-12-16", days: 9, kind: "rotation", vendorName: "Atera", text: "Atera: rotation due in 9 d" },
    }),
  ];

  it("lists worst first whatever order the rows arrive in", () => {
    expect(searchOverview(rows, "").map((r) => r.name)).toEqual([
      "Contoso Dental",
      "Coho Winery",
      "Trey Research",
      "Fourth Coffee",
    ]);
  });

  it("searches names, reasons and deadlines, keeping worst first", () => {
    expect(searchOverview(rows, "co").map((r) => r.name)).toEqual(["Contoso Dental", "Coho Winery", "Fourth Coffee"]);
    expect(searchOverview(rows, "refresh failed").map((r) => r.name)).toEqual(["Coho Winery"]);
    expect(searchOverview(rows, "ATERA").map((r) => r.name)).toEqual(["Trey Research"]);
    expect(searchOverview(rows, "coffee dental")).toEqual([]);
  });

  it("colours only refresh trouble", () => {
    expect(refreshTone(rows[1]!)).toBe("bad");
    expect(refreshTone(row("Old", 5, { refresh: "outdated" }))).toBe("warn");
    expect(refreshTone(row("Down", 6, { state: "failed", refresh: null }))).toBe("bad");
    expect(refreshTone(rows[0]!)).toBe("");
  });
});

describe("sidebar at forty clients", () => {
  const clients = [client("Woodgrove Bank", 2), client("alpine Ski House", 1), client("Contoso Dental", 0)];

  it("sorts by Rust's urgency or by name", () => {
    expect(sidebarClients(clients, "", "urgency").map((c) => c.name)).toEqual([
      "Contoso Dental",
      "alpine Ski House",
      "Woodgrove Bank",
    ]);
    expect(sidebarClients(clients, "", "name").map((c) => c.name)).toEqual([
      "alpine Ski House",
      "Contoso Dental",
      "Woodgrove Bank",
    ]);
  });

  it("searches by name without reordering the caller's list", () => {
    expect(sidebarClients(clients, "d", "name").map((c) => c.name)).toEqual(["Contoso Dental", "Woodgrove Bank"]);
    expect(sidebarClients(clients, "ski", "urgency").map((c) => c.name)).toEqual(["alpine Ski House"]);
    expect(clients.map((c) => c.name)).toEqual(["Woodgrove Bank", "alpine Ski House", "Contoso Dental"]);
  });
});
