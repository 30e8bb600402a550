// The provisioning wizard's group combobox: which row the arrow keys land on and what a key
// does. Rust searches, validates and resolves; this only moves the highlight.
import type { GroupChoice } from "./bindings/GroupChoice";

/** Only security-enabled groups can usefully hold an Azure role: others are shown, not picked. */
export function pickable(group: GroupChoice): boolean {
  return group.securityEnabled;
}

/**
 * The row the highlight moves to from `current` (-1: none) by `step` (+1 down, -1 up), skipping
 * groups that cannot be picked and wrapping around; -1 when none can be picked.
 */
export function moveActive(groups: GroupChoice[], current: number, step: 1 | -1): number {
  const count = groups.length;
  if (count === 0) return -1;
  let index = current < 0 ? (step === 1 ? -1 : count) : current;
  for (let tried = 0; tried < count; tried++) {
    index = (index + step + count) % count;
    const group = groups[index];
    if (group && pickable(group)) return index;
  }
  return -1;
}

export type ComboAction = "next" | "previous" | "pick" | "close" | null;

/** What a key pressed in the search box does (ArrowDown/Up move, Enter picks, Escape closes). */
export function comboAction(key: string): ComboAction {
  switch (key) {
    case "ArrowDown":
      return "next";
    case "ArrowUp":
      return "previous";
    case "Enter":
      return "pick";
    case "Escape":
      return "close";
    default:
      return null;
  }
}

/** How a picked group reads in the form, the review and the step list. */
export function groupLabel(group: GroupChoice): string {
  return `${group.displayName} (${group.id})`;
}
