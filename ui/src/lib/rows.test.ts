import { describe, expect, it } from "vitest";
import { defaultSort, emptyFilter, filterRows, matchesQuery, nextSort, rowKey, sortRows } from "./rows";
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
    about: "key",
    statusLabel: "Healthy",
    statusText: "Healthy",
    statusReason: "",
    urgency: 4_500_000,
    maskedPreview: "ab••••••••cd",
    expiry: null,
    daysToExpiry: null,
    expiryText: "no expiry",
    intervalDays: 90,
    lastRotated: null,
    nextDue: null,
    daysToDue: null,
    rotationText: "—",
    needsRotation: false,
    owner: "",
    note: "",
    allowed: [],
    changedOutside: null,
    review: null,
    ...partial,
  };
}

// Urgency ranks as Rust sends them: status band * 1,000,000 + 500,000 + the pressing date's days.
const rows = [
  row({ vendorId: "ninjaone", vendorName: "NinjaOne", category: "RMM", status: "overdue", urgency: 1_499_967, expiry: "2027-01-01", daysToExpiry: 39, daysToDue: -33 }),
  row({ vendorId: "sentinelone", vendorName: "SentinelOne", category: "Security/EDR", note: "Used by the SOC dashboard", urgency: 4_500_008, expiry: "2026-12-01", daysToExpiry: 8, daysToDue: 20 }),
  row({ vendorId: "meraki", vendorName: "Cisco Meraki", category: "Network", status: "no-key", urgency: 5_500_000, secretName: null, intervalDays: 180 }),
  row({ vendorId: "pax8", vendorName: "Pax8", category: "Distribution", status: "expired", urgency: 499_978, label: "client-b", secretName: "pax8--client-b", intervalDays: 365, expiry: "2026-11-01", daysToExpiry: -22, daysToDue: 100 }),
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

  it("sorts by Rust's urgency rank by default: expired, overdue, due, disabled, healthy, no key, worst date first", () => {
    const mixed = [
      row({ vendorName: "Healthy", status: "healthy", urgency: 4_500_080 }),
      row({ vendorName: "Due in 9", status: "due-soon", urgency: 2_500_009 }),
      row({ vendorName: "No key", status: "no-key", urgency: 5_500_000, secretName: null }),
      row({ vendorName: "Overdue 5", status: "overdue", urgency: 1_499_995 }),
      row({ vendorName: "Disabled", status: "disabled", urgency: 3_500_010 }),
      row({ vendorName: "Expired 1", status: "expired", urgency: 499_999 }),
      row({ vendorName: "Overdue 40", status: "overdue", urgency: 1_499_960 }),
      row({ vendorName: "Due today", status: "due-soon", urgency: 2_500_000 }),
      row({ vendorName: "Expired 30", status: "expired", urgency: 499_970 }),
    ];
    expect(sortRows(mixed, defaultSort()).map((r) => r.vendorName)).toEqual([
      "Expired 30",
      "Expired 1",
      "Overdue 40",
      "Overdue 5",
      "Due today",
      "Due in 9",
      "Disabled",
      "Healthy",
      "No key",
    ]);
    // Across clients equal ranks keep a stable, readable order: client, then vendor.
    const tie = [
      row({ vendorName: "Pax8", clientName: "Northwind", urgency: 7 }),
      row({ vendorName: "Datto", clientName: "Contoso", urgency: 7 }),
    ];
    expect(sortRows(tie, defaultSort()).map((r) => r.clientName)).toEqual(["Contoso", "Northwind"]);
  });

  it("sorts by next rotation and by expiry, rows without the date last, and can reverse", () => {
    expect(sortRows(rows, { key: "expiry", ascending: true }).map((r) => r.vendorId)).toEqual([
      "pax8",
      "sentinelone",
      "ninjaone",
      "meraki",
    ]);
    expect(sortRows(rows, { key: "nextDue", ascending: true }).map((r) => r.vendorId)).toEqual([
      "ninjaone",
      "sentinelone",
      "pax8",
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
