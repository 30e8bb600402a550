// A view loaded from Rust: the last good value, the last error, and whether a load is running.
// Tabs reload when the shell's revision or the operator's role changes.
import { toAppError } from "./api";
import type { AppError } from "./bindings/AppError";

export class Loaded<T> {
  value = $state<T | null>(null);
  error = $state<AppError | null>(null);
  loading = $state(false);
  // Loads can overlap (a role change and a filter change in quick succession); only the answer
  // to the latest one is shown, whichever comes back first.
  private latest = 0;

  async load(fetch: () => Promise<T>): Promise<void> {
    const mine = ++this.latest;
    this.loading = true;
    try {
      const value = await fetch();
      if (mine === this.latest) {
        this.value = value;
        this.error = null;
      }
    } catch (caught) {
      if (mine === this.latest) {
        this.error = toAppError(caught);
      }
    } finally {
      if (mine === this.latest) {
        this.loading = false;
      }
    }
  }
}
