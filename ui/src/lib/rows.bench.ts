// `npm run bench`: how long the Vault tab's filter/sort and the table windowing take for a
// vault of 10,000 keys. It only prints timings; nothing here fails because a number is slow.
import { bench, describe } from "vitest";
import { emptyFilter, filterRows, sortRows } from "./rows";
import { rowWindow, scrollToReveal } from "./virtual";
import type { Category } from "./bindings/Category";
import type { KeyStatus } from "./bindings/KeyStatus";
import type { VaultRow } from "./bindings/VaultRow";

const COUNT = 10_000;
// Short runs: the machine is shared with builds and end-to-end tests.
const options = { time: 300, warmupTime: 50 };
const categories: Category[] = ["RMM", "PSA", "Security/EDR", "Email Security", "Network", "Backup", "Identity", "Comms", "Distribution", "Hardware"];
const statuses: KeyStatus[] = ["healthy", "due-soon", "overdue", "expired", "disabled", "no-key"];
const words = ["acme", "contoso", "fabrikam", "northwind", "tailspin", "wingtip", "litware", "adatum", "proseware", "woodgrove"];

// Deterministic, so runs compare: a small linear congruential generator instead of Math.random.
let seed = 42;
const next = (n: number) => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed % n;
};
const pick = <T>(list: T[]): T => list[next(list.length)] as T;

function syntheticRow(i: number): VaultRow {
  const status = pick(statuses);
  const hasKey = status !== "no-key";
  const daysLeft = hasKey ? next(400) - 30 : null;
  const vendor = `${pick(words)} ${pick(words)} ${i}`;
  const client = i % 10;
  return {
    clientId: `client-${client}`,
    clientName: `Client ${client}`,
    vendorId: `vendor-${i}`,
    vendorName: vendor.replace(/^\w/, (c) => c.toUpperCase()),
    category: pick(categories),
    categoryColour: "#2563eb",
    secretName: hasKey ? `vendor-${i}--key` : null,
    label: next(3) === 0 ? `Tenant ${next(50)}` : null,
    status,
    about: "rotation",
    statusLabel: status,
    statusText: status,
    statusReason: `Synthetic row ${i}`,
    urgency: statuses.indexOf(status) * 1_000_000 + next(1000),
    maskedPreview: hasKey ? "sk-••••••••abcd" : null,
    expiry: hasKey && next(2) === 0 ? `2027-${String(1 + next(12)).padStart(2, "0")}-${String(1 + next(28)).padStart(2, "0")}` : null,
    daysToExpiry: daysLeft,
    expiryText: daysLeft === null ? "no expiry" : `in ${daysLeft} d`,
    intervalDays: [30, 60, 90, 180, 365][next(5)] ?? 90,
    lastRotated: hasKey ? "2026-06-01" : null,
    nextDue: hasKey ? "2026-12-01" : null,
    daysToDue: hasKey ? next(200) - 20 : null,
    rotationText: hasKey ? "in 30 d" : "—",
    needsRotation: status === "overdue" || status === "expired" || status === "due-soon",
    owner: next(2) === 0 ? `${pick(words)} team` : "",
    note: `Used by ${pick(words)} and ${pick(words)} sites`,
    allowed: ["copy", "rotate"],
    changedOutside: null,
    review: null,
  };
}

const rows = Array.from({ length: COUNT }, (_, i) => syntheticRow(i));
const filtered = filterRows(rows, { ...emptyFilter(), status: "overdue" });

describe(`Vault rows (${COUNT.toLocaleString("en")} keys)`, () => {
  bench("filterRows: search query 'contoso north'", () => {
    filterRows(rows, { ...emptyFilter(), query: "contoso north" });
  }, options);
  bench("filterRows: status filter 'overdue'", () => {
    filterRows(rows, { ...emptyFilter(), status: "overdue" });
  }, options);
  bench("sortRows: by vendor, ascending", () => {
    sortRows(rows, { key: "vendor", ascending: true });
  }, options);
  bench("sortRows: by expiry, descending", () => {
    sortRows(rows, { key: "expiry", ascending: false });
  }, options);
  bench(`filter + sort: overdue (${filtered.length} rows) by status`, () => {
    sortRows(filterRows(rows, { ...emptyFilter(), status: "overdue" }), { key: "status", ascending: true });
  }, options);
});

describe("Windowing (10,000 rows of 51 px, 700 px viewport)", () => {
  const height = COUNT * 51;
  bench(`rowWindow + slice for a whole scroll-through (${Math.ceil(height / 40)} steps of 40 px)`, () => {
    for (let scrollTop = 0; scrollTop < height; scrollTop += 40) {
      const win = rowWindow({ count: COUNT, scrollTop, viewportHeight: 700, rowHeight: 51 });
      rows.slice(win.first, win.last + 1);
    }
  }, options);
  bench("scrollToReveal for 1,000 keyboard moves", () => {
    let scrollTop = 0;
    for (let i = 0; i < 1000; i++) {
      scrollTop = scrollToReveal(next(COUNT), scrollTop, 700, 51);
    }
  }, options);
});
