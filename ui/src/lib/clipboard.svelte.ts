// Copying a key: Rust puts the value on the clipboard and clears it after the countdown; the
// page only tracks the seconds left for the banner.
import { api } from "./api";
import { shell } from "./state.svelte";
import type { AppError } from "./bindings/AppError";

class CopyState {
  copied = $state<{ vendor: string; secondsLeft: number } | null>(null);
  private timer: ReturnType<typeof setInterval> | undefined;

  async copy(clientId: string, secretName: string, part?: string): Promise<void> {
    try {
      const receipt = await api.copyKey(clientId, secretName, part);
      this.start(receipt.vendorName, receipt.clearAfterSeconds);
    } catch (error) {
      shell.error(error as AppError, shell.clientName(clientId));
    }
  }

  start(vendor: string, seconds: number): void {
    clearInterval(this.timer);
    this.copied = { vendor, secondsLeft: seconds };
    this.timer = setInterval(() => {
      if (this.copied && this.copied.secondsLeft > 1) {
        this.copied = { ...this.copied, secondsLeft: this.copied.secondsLeft - 1 };
      } else {
        clearInterval(this.timer);
      }
    }, 1000);
  }

  cleared(): void {
    clearInterval(this.timer);
    this.copied = null;
  }
}

export const clipboard = new CopyState();
