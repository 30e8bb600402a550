import { describe, expect, it } from "vitest";
import { comboAction, groupLabel, moveActive } from "./groupPicker";
import type { GroupChoice } from "./bindings/GroupChoice";

const group = (name: string, securityEnabled = true): GroupChoice => ({
  id: `${name.toLowerCase()}-id`,
  displayName: name,
  description: null,
  securityEnabled,
});

describe("group combobox", () => {
  const groups = [group("Officers"), group("Marketing", false), group("Readers")];

  it("arrow keys skip groups that are not security-enabled and wrap around", () => {
    expect(moveActive(groups, -1, 1)).toBe(0);
    expect(moveActive(groups, 0, 1)).toBe(2);
    expect(moveActive(groups, 2, 1)).toBe(0);
    expect(moveActive(groups, -1, -1)).toBe(2);
    expect(moveActive(groups, 2, -1)).toBe(0);
  });

  it("has nothing to highlight when no group can be picked", () => {
    expect(moveActive([group("Marketing", false)], -1, 1)).toBe(-1);
    expect(moveActive([], -1, 1)).toBe(-1);
  });

  it("maps the keys a technician uses", () => {
    expect(comboAction("ArrowDown")).toBe("next");
    expect(comboAction("ArrowUp")).toBe("previous");
    expect(comboAction("Enter")).toBe("pick");
    expect(comboAction("Escape")).toBe("close");
    expect(comboAction("a")).toBeNull();
  });

  it("labels a group by name and Object ID", () => {
    expect(groupLabel(group("Officers"))).toBe("Officers (officers-id)");
  });
});
