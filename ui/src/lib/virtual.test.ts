import { describe, expect, it } from "vitest";
import { nextIndex, pageSize, rowWindow, scrollToReveal, visibleRange } from "./virtual";

describe("visibleRange", () => {
  it("covers exactly the rows intersecting the viewport", () => {
    // 10 px rows, viewport 30 px at the top: rows 0, 1, 2.
    expect(visibleRange(100, 0, 30, 10)).toEqual({ first: 0, last: 2 });
    // Scrolled by one pixel: row 3 peeks in at the bottom.
    expect(visibleRange(100, 1, 30, 10)).toEqual({ first: 0, last: 3 });
    // Scrolled exactly one row: row 0 is gone, row 3 is the last.
    expect(visibleRange(100, 10, 30, 10)).toEqual({ first: 1, last: 3 });
    // One pixel short of a row boundary: row 0 still shows its last pixel.
    expect(visibleRange(100, 9, 30, 10)).toEqual({ first: 0, last: 3 });
  });

  it("clamps to the rows that exist", () => {
    expect(visibleRange(5, 0, 1000, 10)).toEqual({ first: 0, last: 4 });
    expect(visibleRange(5, 10_000, 30, 10)).toEqual({ first: 4, last: 4 });
    expect(visibleRange(5, -50, 30, 10)).toEqual({ first: 0, last: 2 });
    expect(visibleRange(0, 0, 30, 10)).toEqual({ first: 0, last: -1 });
  });

  it("handles fractional offsets and heights", () => {
    expect(visibleRange(100, 24.5, 49, 24.5)).toEqual({ first: 1, last: 2 });
    expect(visibleRange(100, 24.4, 49, 24.5)).toEqual({ first: 0, last: 2 });
  });
});

describe("rowWindow", () => {
  it("renders every row up to the threshold", () => {
    expect(rowWindow({ count: 40, scrollTop: 0, viewportHeight: 100, rowHeight: 40 })).toEqual({
      first: 0,
      last: 39,
      top: 0,
      bottom: 0,
      virtual: false,
    });
    expect(rowWindow({ count: 60, scrollTop: 500, viewportHeight: 100, rowHeight: 40 }).virtual).toBe(false);
    expect(rowWindow({ count: 61, scrollTop: 0, viewportHeight: 100, rowHeight: 40 }).virtual).toBe(true);
  });

  it("adds overscan and spacers that sum with the rendered rows to the full height", () => {
    const count = 10_000;
    const rowHeight = 40;
    const win = rowWindow({ count, scrollTop: 4000, viewportHeight: 400, rowHeight, overscan: 5 });
    // Visible rows 100..109, plus 5 either side.
    expect(win).toEqual({ first: 95, last: 114, top: 95 * 40, bottom: (10_000 - 115) * 40, virtual: true });
    const rendered = win.last - win.first + 1;
    expect(win.top + rendered * rowHeight + win.bottom).toBe(count * rowHeight);
  });

  it("includes the very first and very last rows at the ends", () => {
    const top = rowWindow({ count: 1000, scrollTop: 0, viewportHeight: 400, rowHeight: 40, overscan: 3 });
    expect(top).toMatchObject({ first: 0, last: 12, top: 0 });
    const max = 1000 * 40 - 400;
    const end = rowWindow({ count: 1000, scrollTop: max, viewportHeight: 400, rowHeight: 40, overscan: 3 });
    expect(end).toMatchObject({ first: 987, last: 999, bottom: 0 });
  });

  it("is empty for no rows", () => {
    expect(rowWindow({ count: 0, scrollTop: 0, viewportHeight: 400, rowHeight: 40 })).toEqual({
      first: 0,
      last: -1,
      top: 0,
      bottom: 0,
      virtual: false,
    });
  });
});

describe("scrollToReveal", () => {
  it("leaves a fully visible row alone", () => {
    expect(scrollToReveal(3, 0, 100, 20)).toBe(0);
    // Row 4 ends exactly at the viewport's bottom edge: still fully visible.
    expect(scrollToReveal(4, 0, 100, 20)).toBe(0);
  });

  it("scrolls the least needed", () => {
    // Row 5 starts at the bottom edge: scroll one row down.
    expect(scrollToReveal(5, 0, 100, 20)).toBe(20);
    // Row 1 is partly above the top: align its top.
    expect(scrollToReveal(1, 25, 100, 20)).toBe(20);
    expect(scrollToReveal(9999, 0, 400, 40)).toBe(9999 * 40 + 40 - 400);
    expect(scrollToReveal(0, 5000, 400, 40)).toBe(0);
  });

  it("aligns the top when the viewport is shorter than a row", () => {
    expect(scrollToReveal(2, 0, 10, 20)).toBe(40);
  });
});

describe("keyboard navigation", () => {
  it("moves within bounds", () => {
    expect(nextIndex(0, "ArrowUp", 10, 3)).toBe(0);
    expect(nextIndex(1, "ArrowUp", 10, 3)).toBe(0);
    expect(nextIndex(8, "ArrowDown", 10, 3)).toBe(9);
    expect(nextIndex(9, "ArrowDown", 10, 3)).toBe(9);
    expect(nextIndex(5, "Home", 10, 3)).toBe(0);
    expect(nextIndex(5, "End", 10, 3)).toBe(9);
    expect(nextIndex(5, "PageDown", 10, 3)).toBe(8);
    expect(nextIndex(7, "PageDown", 10, 3)).toBe(9);
    expect(nextIndex(5, "PageUp", 10, 3)).toBe(2);
    expect(nextIndex(2, "PageUp", 10, 3)).toBe(0);
  });

  it("starts at an end when nothing is focused", () => {
    expect(nextIndex(-1, "ArrowDown", 10, 3)).toBe(0);
    expect(nextIndex(-1, "End", 10, 3)).toBe(9);
    expect(nextIndex(-1, "ArrowDown", 0, 3)).toBe(-1);
  });

  it("pages by the rows that fit", () => {
    expect(pageSize(400, 40)).toBe(10);
    expect(pageSize(399, 40)).toBe(9);
    expect(pageSize(10, 40)).toBe(1);
  });
});
