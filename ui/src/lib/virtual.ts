// Pure windowing math for VirtualTable: which rows to put in the DOM, how tall the spacers
// around them are, and where to scroll so a focused row is visible. Kept free of the DOM so
// off-by-one mistakes show up in unit tests rather than as a missing last row.
//
// Coordinates are relative to the top of the table body (below the sticky header): row i
// occupies [i * rowHeight, (i + 1) * rowHeight).

/** Tables up to this many rows render every row (small vaults, and e2e tests that count rows). */
export const RENDER_ALL_UP_TO = 60;

/** Rows rendered above and below the visible ones, so fast scrolling rarely shows blank space. */
export const DEFAULT_OVERSCAN = 8;

/** What VirtualTable gives each row to spread onto its <tr>. */
export interface RowProps {
  "aria-rowindex": number;
  tabindex: 0 | -1;
  "data-vt-index": number;
  "data-vt-selected": true | undefined;
  style: string | undefined;
}

export interface WindowInput {
  /** Total number of rows. */
  count: number;
  /** Scroll offset of the body area in px (the scroller's scrollTop). */
  scrollTop: number;
  /** Height of the visible body area in px (scroller height minus the sticky header). */
  viewportHeight: number;
  /** Fixed height of every row in px. */
  rowHeight: number;
  overscan?: number;
  renderAllUpTo?: number;
}

export interface RowWindow {
  /** First rendered row (inclusive); 0 when there are no rows. */
  first: number;
  /** Last rendered row (inclusive); -1 when there are no rows. */
  last: number;
  /** Height of the spacer above the first rendered row. */
  top: number;
  /** Height of the spacer below the last rendered row. */
  bottom: number;
  /** True when only a window of the rows is rendered. */
  virtual: boolean;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** The rows that intersect the viewport (inclusive indices), without overscan. */
export function visibleRange(
  count: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): { first: number; last: number } {
  if (count <= 0 || rowHeight <= 0) {
    return { first: 0, last: -1 };
  }
  const top = Math.max(0, scrollTop);
  const first = clamp(Math.floor(top / rowHeight), 0, count - 1);
  // A row whose top edge sits exactly at the viewport's bottom edge is not visible.
  const last = clamp(Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight) - 1, first, count - 1);
  return { first, last };
}

export function rowWindow(input: WindowInput): RowWindow {
  const { count, rowHeight } = input;
  const overscan = Math.max(0, input.overscan ?? DEFAULT_OVERSCAN);
  const renderAllUpTo = input.renderAllUpTo ?? RENDER_ALL_UP_TO;
  if (count <= 0) {
    return { first: 0, last: -1, top: 0, bottom: 0, virtual: false };
  }
  if (count <= renderAllUpTo || rowHeight <= 0) {
    return { first: 0, last: count - 1, top: 0, bottom: 0, virtual: false };
  }
  const seen = visibleRange(count, input.scrollTop, input.viewportHeight, rowHeight);
  const first = Math.max(0, seen.first - overscan);
  const last = Math.min(count - 1, seen.last + overscan);
  return { first, last, top: first * rowHeight, bottom: (count - 1 - last) * rowHeight, virtual: true };
}

/** The scrollTop that brings row `index` fully into view, moving as little as possible. */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop || viewportHeight < rowHeight) {
    return top;
  }
  if (bottom > scrollTop + viewportHeight) {
    return bottom - viewportHeight;
  }
  return scrollTop;
}

/** Rows a PageUp/PageDown moves: the rows that fit in the viewport, at least one. */
export function pageSize(viewportHeight: number, rowHeight: number): number {
  return rowHeight > 0 ? Math.max(1, Math.floor(viewportHeight / rowHeight)) : 1;
}

export type NavKey = "ArrowUp" | "ArrowDown" | "Home" | "End" | "PageUp" | "PageDown";

export function isNavKey(key: string): key is NavKey {
  return ["ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"].includes(key);
}

/** The row a navigation key moves focus to; `current` is -1 when no row has focus yet. */
export function nextIndex(current: number, key: NavKey, count: number, page: number): number {
  if (count <= 0) {
    return -1;
  }
  const last = count - 1;
  if (current < 0 || current > last) {
    return key === "End" ? last : 0;
  }
  switch (key) {
    case "ArrowUp":
      return Math.max(0, current - 1);
    case "ArrowDown":
      return Math.min(last, current + 1);
    case "Home":
      return 0;
    case "End":
      return last;
    case "PageUp":
      return Math.max(0, current - page);
    case "PageDown":
      return Math.min(last, current + page);
  }
}
