// A view loaded from Rust: the last good value, the last error, and whether a load is running.
// Tabs reload when the shell's revision or the operator's role changes.
import { toAppError } from "./api";
import type { AppError } from "./bindings/AppError";

export class Loaded<T> {
  value = $state<T | null>(null);
  error = $state<AppError | null>(null);
  loading = $state(false);

  async load(fetch: () => Promise<T>): Promise<void> {
    this.loading = true;
    try {
      this.value = await fetch();
      this.error = null;
    } catch (caught) {
      this.error = toAppError(caught);
    } finally {
      this.loading = false;
    }
  }
}
