import { describe, expect, it } from "vitest";
import type { Discovery } from "./bindings/Discovery";
import { addableIds, picksFor, suggestedNames, toggled } from "./discover";

const vault = (id: string, clientName: string | null, suggestedName: string) => ({
  id,
  name: `kv-${id}`,
  vaultUrl: `https://kv-${id}.vault.azure.net/`,
  subscription: "Production",
  resourceGroup: "rg",
  location: "westeurope",
  suggestedName,
  clientName,
});

const discovery: Discovery = {
  signedInAs: "ada@msp.example",
  emptyText: null,
  tenants: [
    {
      tenantId: "t1",
      displayName: "Contoso",
      defaultDomain: "contoso.example",
      home: false,
      vaults: [vault("a", "Contoso", "Contoso"), vault("b", null, "Contoso (kv-b)")],
      error: null,
      canSignIn: false,
      consentLink: null,
      emptyText: null,
    },
    {
      tenantId: "t2",
      displayName: "Fabrikam",
      defaultDomain: "fabrikam.example",
      home: false,
      vaults: [vault("c", null, "Fabrikam")],
      error: null,
      canSignIn: false,
      consentLink: null,
      emptyText: null,
    },
  ],
};

describe("Discover's selection", () => {
  it("offers only vaults that are not clients yet, named after their tenant", () => {
    expect(addableIds(discovery)).toEqual(["b", "c"]);
    expect(suggestedNames(discovery)).toEqual({ b: "Contoso (kv-b)", c: "Fabrikam" });
    expect(addableIds(null)).toEqual([]);
  });

  it("never ticks a vault that is already a client", () => {
    const picked = toggled(new Set(), "a", discovery);
    expect([...picked]).toEqual([]);
    const both = toggled(toggled(new Set(), "c", discovery), "b", discovery);
    expect(both.has("b") && both.has("c")).toBe(true);
    expect([...toggled(both, "b", discovery)]).toEqual(["c"]);
  });

  it("sends the picks in the list's order with the names as edited", () => {
    const picked = new Set(["c", "b"]);
    expect(picksFor(discovery, picked, { b: "  Contoso keys ", c: "Fabrikam" })).toEqual([
      { id: "b", name: "Contoso keys" },
      { id: "c", name: "Fabrikam" },
    ]);
  });
});
