import { describe, expect, it } from "vitest";
import { Loaded } from "./loaded.svelte";

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("a view loaded from Rust", () => {
  it("shows the answer to the latest load even when an older one comes back last", async () => {
    const view = new Loaded<string>();
    const unfiltered = deferred<string>();
    const filtered = deferred<string>();
    const first = view.load(() => unfiltered.promise);
    const second = view.load(() => filtered.promise);
    filtered.resolve("NinjaOne keys");
    await second;
    unfiltered.resolve("every key");
    await first;
    expect(view.value).toBe("NinjaOne keys");
    expect(view.loading).toBe(false);
  });

  it("ignores an older load's failure", async () => {
    const view = new Loaded<string>();
    const old = deferred<string>();
    const first = view.load(() => old.promise);
    await view.load(async () => "fresh");
    old.reject({ code: "timeout", message: "late", hint: "" });
    await first;
    expect(view.value).toBe("fresh");
    expect(view.error).toBeNull();
  });
});
