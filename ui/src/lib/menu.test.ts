import { describe, expect, it } from "vitest";
import { menuKey } from "./menu";

describe("menuKey", () => {
  it("moves down and up, wrapping at either end", () => {
    expect(menuKey("ArrowDown", 0, 4)).toBe(1);
    expect(menuKey("ArrowDown", 3, 4)).toBe(0);
    expect(menuKey("ArrowUp", 0, 4)).toBe(3);
    expect(menuKey("ArrowUp", 2, 4)).toBe(1);
  });

  it("starts at the first or last item when none has focus, and jumps with Home and End", () => {
    expect(menuKey("ArrowDown", -1, 4)).toBe(0);
    expect(menuKey("ArrowUp", -1, 4)).toBe(3);
    expect(menuKey("Home", 2, 4)).toBe(0);
    expect(menuKey("End", 0, 4)).toBe(3);
  });

  it("leaves other keys and empty menus alone", () => {
    expect(menuKey("a", 1, 4)).toBeNull();
    expect(menuKey("Enter", 1, 4)).toBeNull();
    expect(menuKey("ArrowDown", -1, 0)).toBeNull();
  });
});
