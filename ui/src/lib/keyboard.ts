// Keyboard helpers: "/" focuses search unless the user is typing somewhere.
interface MaybeElement {
  tagName?: string;
  isContentEditable?: boolean;
}

export function isTypingTarget(target: EventTarget | MaybeElement | null): boolean {
  const element = target as MaybeElement | null;
  if (!element || typeof element.tagName !== "string") {
    return false;
  }
  const tag = element.tagName.toUpperCase();
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable === true;
}

/** Should this key press focus the search box? */
export function isSearchShortcut(
  event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey"> & { target: EventTarget | MaybeElement | null },
): boolean {
  return event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTypingTarget(event.target);
}
