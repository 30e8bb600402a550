import { describe, expect, it, vi } from "vitest";
import { debounced, failedStep, provisioned, stepStateLabel } from "./provision";
import type { ProvisionProgress } from "./bindings/ProvisionProgress";

function progress(states: string[], finished = true): ProvisionProgress {
  const ids = ["resource-group", "name-availability", "vault", "officer-role", "user-role", "diagnostics", "connect"];
  return {
    vaultName: "contoso-keys",
    finished,
    steps: states.map((state, i) => ({ id: ids[i], title: ids[i], state, detail: "" })),
  } as ProvisionProgress;
}

describe("provisioning step list", () => {
  it("names a resumed step as already there and finds the failed step", () => {
    expect(stepStateLabel("skipped")).toBe("Already there");
    expect(stepStateLabel("waiting")).toBe("Waiting for Azure…");
    const failed = progress(["skipped", "skipped", "done", "failed", "pending", "pending", "pending"]);
    expect(failedStep(failed)).toBe("officer-role");
    expect(provisioned(failed)).toBe(false);
    expect(provisioned(progress(["done", "done", "done", "done", "skipped", "skipped", "done"]))).toBe(true);
    expect(provisioned(progress(["done", "done", "done", "done", "skipped", "skipped", "running"], false))).toBe(false);
  });
});

describe("name check as the technician types", () => {
  it("asks once per pause and delivers only the latest name's answer", async () => {
    vi.useFakeTimers();
    const answers: Record<string, (v: boolean) => void> = {};
    const run = vi.fn((name: string) => new Promise<boolean>((resolve) => (answers[name] = resolve)));
    const delivered: string[] = [];
    const check = debounced(run, (name, ok) => delivered.push(`${name}:${ok}`), () => {}, 300);
    check("con");
    check("contoso");
    vi.advanceTimersByTime(300);
    expect(run).toHaveBeenCalledTimes(1);
    check("contoso-keys");
    vi.advanceTimersByTime(300);
    expect(run).toHaveBeenCalledTimes(2);
    // The older name answers last: it is dropped.
    answers["contoso-keys"]?.(true);
    answers["contoso"]?.(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(delivered).toEqual(["contoso-keys:true"]);
    vi.useRealTimers();
  });
});

describe("timers in the window", () => {
  it("calls setTimeout as a plain function (WebKit refuses it as another object's method)", () => {
    const real = globalThis.setTimeout;
    const strict = function (this: unknown, run: () => void, ms?: number) {
      if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
      return real(run, ms);
    };
    globalThis.setTimeout = strict as unknown as typeof setTimeout;
    try {
      const check = debounced(async () => true, () => {}, () => {}, 10);
      expect(() => check("contoso")).not.toThrow();
    } finally {
      globalThis.setTimeout = real;
    }
  });
});
