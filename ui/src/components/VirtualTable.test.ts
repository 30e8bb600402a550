// Server-side rendering of VirtualTable: no DOM needed, and it shows what a fresh mount puts in
// the table before any scroll or measurement.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import Fixture from "./testing/VirtualTableFixture.svelte";
import { DEFAULT_OVERSCAN, RENDER_ALL_UP_TO } from "../lib/virtual";

const rows = (html: string) => html.match(/data-testid="fixture-row"/g)?.length ?? 0;

describe("VirtualTable", () => {
  it("renders every row of a small table, with row indexes after the header", () => {
    const { body } = render(Fixture, { props: { count: 40 } });
    expect(rows(body)).toBe(40);
    expect(body).toContain('aria-rowcount="41"');
    expect(body).toMatch(/aria-rowindex="2"[^>]*data-id="k0"/);
    expect(body).toMatch(/aria-rowindex="41"[^>]*data-id="k39"/);
    expect(body).not.toContain("vt-spacer");
  });

  it("renders all rows up to the threshold", () => {
    expect(rows(render(Fixture, { props: { count: RENDER_ALL_UP_TO } }).body)).toBe(RENDER_ALL_UP_TO);
  });

  it("windows a big table and reserves the rest as spacer height", () => {
    const { body } = render(Fixture, { props: { count: 10_000 } });
    // Nothing measured yet (zero viewport): the first visible row plus overscan.
    expect(rows(body)).toBe(1 + DEFAULT_OVERSCAN);
    expect(body).toContain('aria-rowcount="10001"');
    expect(body).toContain(`height: ${(10_000 - 1 - DEFAULT_OVERSCAN) * 40}px`);
    expect(body).toContain('tabindex="0"');
  });

  it("shows the empty snippet without rows", () => {
    const { body } = render(Fixture, { props: { count: 0 } });
    expect(body).toContain("fixture-empty");
  });
});
