import { describe, expect, it } from "vitest";
import { fieldError, formError, todayIso } from "./forms";
import { isSearchShortcut } from "./keyboard";
import { isAppError, toAppError } from "./api";
import type { AppError } from "./bindings/AppError";

const onExpiry: AppError = { code: "invalid-input", message: "In the past", hint: "Pick later", field: "expiry" };
const general: AppError = { code: "forbidden-by-rbac", message: "Refused", hint: "Assign the role" };

describe("form errors", () => {
  it("shows a field error on its field only", () => {
    expect(fieldError(onExpiry, "expiry")).toBe(onExpiry);
    expect(fieldError(onExpiry, "value")).toBeNull();
    expect(formError(onExpiry, ["expiry", "value"])).toBeNull();
  });

  it("shows other errors above the buttons", () => {
    expect(formError(general, ["expiry"])).toBe(general);
    expect(formError({ ...onExpiry, field: "somewhere-else" }, ["expiry"])).not.toBeNull();
  });

  it("formats today for date inputs", () => {
    expect(todayIso(new Date(2026, 0, 5))).toBe("2026-01-05");
  });
});

describe("Rust errors", () => {
  it("recognises Rust's error shape and wraps anything else", () => {
    expect(isAppError(general)).toBe(true);
    expect(isAppError("boom")).toBe(false);
    expect(toAppError(general)).toBe(general);
    const wrapped = toAppError("window closed");
    expect(wrapped.code).toBe("internal");
    expect(wrapped.message).toBe("window closed");
  });
});

describe("keyboard", () => {
  it("'/' focuses search unless typing in a field", () => {
    const base = { key: "/", ctrlKey: false, metaKey: false, altKey: false };
    expect(isSearchShortcut({ ...base, target: null })).toBe(true);
    expect(isSearchShortcut({ ...base, ctrlKey: true, target: null })).toBe(false);
    expect(isSearchShortcut({ ...base, key: "a", target: null })).toBe(false);
    expect(isSearchShortcut({ ...base, target: { tagName: "input" } })).toBe(false);
    expect(isSearchShortcut({ ...base, target: { tagName: "DIV", isContentEditable: true } })).toBe(false);
    expect(isSearchShortcut({ ...base, target: { tagName: "BUTTON" } })).toBe(true);
  });
});
