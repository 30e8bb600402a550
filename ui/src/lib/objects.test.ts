import { describe, expect, it } from "vitest";
import { applyDetails, credentialLabel, keysToAsk, objectKey } from "./objects";
import type { ObjectRow } from "./bindings/ObjectRow";

function row(partial: Partial<ObjectRow>): ObjectRow {
  return {
    clientId: "c1",
    clientName: "Contoso Dental",
    kind: "key",
    name: "cmk",
    enabled: true,
    facts: {
      status: "healthy",
      statusLabel: "Healthy",
      statusText: "Healthy",
      statusReason: "",
      urgency: 0,
      expiry: null,
      daysToExpiry: null,
      autoRenews: null,
    },
    issuer: "—",
    detail: "—",
    detailNote: "Read when the row is shown",
    subject: null,
    notBefore: null,
    thumbprint: null,
    appId: null,
    linkedKey: null,
    ...partial,
  };
}

describe("key types on screen", () => {
  it("asks only for unknown keys on screen, once per listing, per client, 50 at a time", () => {
    const rows = [
      ...Array.from({ length: 60 }, (_, n) => row({ name: `k${n}` })),
      row({ name: "known", detail: "RSA 2048 bits", detailNote: null }),
      row({ name: "off-screen" }),
      row({ clientId: "c2", name: "k0" }),
      row({ kind: "certificate", name: "cert" }),
    ];
    const visible = new Set(rows.filter((r) => r.name !== "off-screen").map(objectKey));
    const asked = new Set<string>();
    const requests = keysToAsk(rows, visible, asked);
    expect(requests.map((r) => [r.clientId, r.names.length])).toEqual([
      ["c1", 50],
      ["c1", 10],
      ["c2", 1],
    ]);
    expect(requests.flatMap((r) => r.names)).not.toContain("known");
    expect(requests.flatMap((r) => r.names)).not.toContain("off-screen");
    expect(keysToAsk(rows, visible, asked)).toEqual([]);
  });

  it("puts the answers in that client's rows only", () => {
    const mine = row({ name: "cmk" });
    const theirs = row({ clientId: "c2", name: "cmk" });
    applyDetails([mine, theirs], "c1", [{ name: "cmk", detail: "EC P-384", detailNote: null }]);
    expect(mine.detail).toBe("EC P-384");
    expect(mine.detailNote).toBeNull();
    expect(theirs.detail).toBe("—");
  });
});

describe("app credentials", () => {
  it("shows the thumbprint in its own cell, not in the credential's name", () => {
    const thumbprint = "3F2A9C0D1E4B5A6978C0D1E2F3A4B5C6D7E8F901";
    expect(credentialLabel({ detail: `CN=intune (thumbprint ${thumbprint})`, thumbprint })).toBe("CN=intune");
    expect(credentialLabel({ detail: "portal-prod (hint Q7x…)", thumbprint: null })).toBe("portal-prod (hint Q7x…)");
  });
});
