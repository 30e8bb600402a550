// Rust's allowed actions as the buttons read them, and how notices come and go.
import { afterEach, describe, expect, it, vi } from "vitest";
import { consoleRefusal, keyRefusal } from "./permissions.svelte";
import { shell } from "./state.svelte";
import type { AllowedActions } from "./bindings/AllowedActions";
import type { AppStatus } from "./bindings/AppStatus";

const l1: AllowedActions = {
  clientId: "c1",
  role: "L1",
  roleName: "Console.L1",
  console: [
    { action: "rotate-all-due", allowed: true, reason: null },
    {
      action: "distribute-save",
      allowed: false,
      reason: "Changing which roles may use which keys needs the Console.Admin role; you are Console.L1.",
    },
  ],
  vendors: [
    {
      vendorId: "sentinelone",
      refused: [
        {
          action: "copy",
          allowed: false,
          reason: "Copying the SentinelOne key needs Console.Admin or a role granted SentinelOne on the Distribute tab; you are Console.L1.",
        },
      ],
    },
  ],
};

describe("allowed actions", () => {
  it("gives Rust's reason for a refused key action and nothing for an allowed one", () => {
    expect(keyRefusal(l1, "sentinelone", "copy")).toContain("you are Console.L1");
    expect(keyRefusal(l1, "sentinelone", "test")).toBeNull();
    expect(keyRefusal(l1, "ninjaone", "copy")).toBeNull();
  });

  it("refuses a console action only when Rust does", () => {
    expect(consoleRefusal(l1, "distribute-save")).toMatch(/^Changing which roles/);
    expect(consoleRefusal(l1, "rotate-all-due")).toBeNull();
    // Not loaded yet: nothing is disabled on a guess (Rust still refuses on the click).
    expect(consoleRefusal(undefined, "distribute-save")).toBeNull();
  });
});

describe("notices", () => {
  afterEach(() => {
    vi.useRealTimers();
    shell.toasts = [];
    shell.status = null;
    shell.tab = "vault";
  });

  it("go away on their own unless they carry an action", () => {
    vi.useFakeTimers();
    shell.toast("success", "Saved.");
    shell.toast("error", "Refused.", "Ask an Admin.");
    shell.toast("success", "Template applied.", undefined, { label: "Undo", run: () => {} });
    expect(shell.toasts).toHaveLength(3);
    vi.advanceTimersByTime(6_000);
    expect(shell.toasts.map((t) => t.message)).toEqual(["Refused.", "Template applied."]);
    vi.advanceTimersByTime(60_000);
    expect(shell.toasts.map((t) => t.message)).toEqual(["Template applied."]);
  });

  it("name the client when several are connected", () => {
    const client = (id: string, name: string) => ({ id, name, state: "connected" });
    shell.status = { clients: [client("a", "Contoso Dental"), client("b", "Fabrikam Logistics")] } as unknown as AppStatus;
    shell.tab = "distribute";
    shell.vaultClient = "b";
    shell.toast("success", "L1 may now use NinjaOne.");
    shell.toast("error", "Copy refused.", "Ask an Admin.", undefined, "Contoso Dental");
    expect(shell.toasts.map((t) => t.client)).toEqual(["Fabrikam Logistics", "Contoso Dental"]);
  });
});
