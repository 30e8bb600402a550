// Keyboard movement inside a menu (WAI-ARIA menu button pattern): the arrows move and wrap,
// Home and End jump. The component owns focus; this only says where it goes.

/** The item to focus after `key` with item `current` focused (-1: none) among `count`, or null
 * when the key does not move. */
export function menuKey(key: string, current: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case "ArrowDown":
      return current < 0 ? 0 : (current + 1) % count;
    case "ArrowUp":
      return current < 0 ? count - 1 : (current - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}
