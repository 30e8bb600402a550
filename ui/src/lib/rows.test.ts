import { describe, expect, it } from "vitest";
import { emptyFilter, filterRows, matchesQuery, nextSort, rowKey, sortRows } from "./rows";
import type { VaultRow } from "./bindings/VaultRow";

function row(partial: Partial<VaultRow>): VaultRow {
  return {
    clientId: "c1",
    clientName: "Contoso Dental",
    vendorId: "v",
    vendorName: "Vendor",
    category: "RMM",
    categoryColour: "#000000",
    secretName: "v",
    label: null,
    status: "healthy",
    statusLabel: "Healthy",
    statusReason: "",
    maskedPreview: "ab••••••••cd",
    expiry: null,
    daysLeft: null,
    daysLeftLabel: "—",
    intervalDays: 90,
    lastRotated: null,
    nextDue: null,
    daysToDue: null,
    owner: "",
    note: "",
    allowed: [],
    changedOutside: null,
    ...partial,
  };
}

const rows = [
  row({ vendorId: "ninjaone", vendorName: "NinjaOne", category: "RMM", status: "overdue", expiry: "2027-01-01", daysLeft: 39 }),
  row({ vendorId: "sentinelone", vendorName: "SentinelOne", category: "Security/EDR", note: "Used by the SOC dashboard", expiry: "2026-12-01", daysLeft: 8 }),
  row({ vendorId: "meraki", vendorName: "Cisco Meraki", category: "Network", status: "no-key", secretName: null, intervalDays: 180 }),
  row({ vendorId: "pax8", vendorName: "Pax8", category: "Distribution", status: "expired", label: "client-b", secretName: "pax8--client-b", intervalDays: 365, expiry: "2026-11-01", daysLeft: -22 }),
];

describe("search", () => {
  it("matches vendor name, category and note, ignoring case and accents", () => {
    expect(filterRows(rows, { ...emptyFilter(), query: "SENTINEL" }).map((r) => r.vendorId)).toEqual(["sentinelone"]);
    expect(filterRows(rows, { ...emptyFilter(), query: "network" }).map((r) => r.vendorId)).toEqual(["meraki"]);
    expect(filterRows(rows, { ...emptyFilter(), query: "soc dashbóard" }).map((r) => r.vendorId)).toEqual(["sentinelone"]);
    expect(filterRows(rows, { ...emptyFilter(), query: "client-b" }).map((r) => r.vendorId)).toEqual(["pax8"]);
  });

  it("requires every word and shows everything for an empty query", () => {
    expect(matchesQuery(rows[0]!, "ninja rmm")).toBe(true);
    expect(matchesQuery(rows[0]!, "ninja network")).toBe(false);
    expect(filterRows(rows, emptyFilter())).toHaveLength(4);
  });

  it("combines status and category filters with the query", () => {
    expect(filterRows(rows, { query: "", status: "expired", category: "all" }).map((r) => r.vendorId)).toEqual(["pax8"]);
    expect(filterRows(rows, { query: "", status: "all", category: "RMM" }).map((r) => r.vendorId)).toEqual(["ninjaone"]);
    expect(filterRows(rows, { query: "pax", status: "healthy", category: "all" })).toEqual([]);
  });
});

describe("sorting", () => {
  it("sorts by status with the most urgent first", () => {
    expect(sortRows(rows, { key: "status", ascending: true }).map((r) => r.status)).toEqual([
      "expired",
      "overdue",
      "healthy",
      "no-key",
    ]);
  });

  it("puts rows without expiry last and can reverse", () => {
    expect(sortRows(rows, { key: "daysLeft", ascending: true }).map((r) => r.vendorId)).toEqual([
      "pax8",
      "sentinelone",
      "ninjaone",
      "meraki",
    ]);
    expect(sortRows(rows, { key: "vendor", ascending: false }).map((r) => r.vendorName)[0]).toBe("SentinelOne");
  });

  it("cycles a header click through ascending, descending and catalog order", () => {
    const first = nextSort(null, "vendor");
    expect(first).toEqual({ key: "vendor", ascending: true });
    const second = nextSort(first, "vendor");
    expect(second).toEqual({ key: "vendor", ascending: false });
    expect(nextSort(second, "vendor")).toBeNull();
    expect(nextSort(second, "expiry")).toEqual({ key: "expiry", ascending: true });
    expect(sortRows(rows, null)).toBe(rows);
  });

  it("gives rows without a key a stable identity, per client", () => {
    expect(rowKey(rows[2]!)).toBe("c1/vendor:meraki");
    expect(rowKey(rows[3]!)).toBe("c1/pax8--client-b");
    // The same secret name in two clients' vaults is two rows.
    expect(rowKey(row({ clientId: "c2", secretName: "pax8--client-b" }))).not.toBe(rowKey(rows[3]!));
  });

  it("finds a client's keys by the client's name and sorts by client", () => {
    const two = [row({ vendorName: "Pax8", clientId: "c2", clientName: "Fabrikam" }), row({ vendorName: "Datto" })];
    expect(filterRows(two, { ...emptyFilter(), query: "fabrikam" }).map((r) => r.clientName)).toEqual(["Fabrikam"]);
    expect(sortRows(two, { key: "client", ascending: true }).map((r) => r.clientName)).toEqual(["Contoso Dental", "Fabrikam"]);
  });
});
