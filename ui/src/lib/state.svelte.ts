// Shared UI state (Svelte 5 runes). Only views and view flags live here; every fact comes
// from Rust on each refresh.
import type { AppError } from "./bindings/AppError";
import type { AppStatus } from "./bindings/AppStatus";
import type { NoticeLevel } from "./bindings/NoticeLevel";
import type { IconName } from "../components/Icon.svelte";

export type TabId = "vault" | "rotation" | "distribute" | "audit" | "setup";

export const tabs: { id: TabId; label: string; icon: IconName }[] = [
  { id: "vault", label: "Vault", icon: "vault" },
  { id: "rotation", label: "Rotation", icon: "rotation" },
  { id: "distribute", label: "Distribute", icon: "distribute" },
  { id: "audit", label: "Audit Log", icon: "audit" },
  { id: "setup", label: "Setup Guide", icon: "setup" },
];

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  level: NoticeLevel | "success";
  message: string;
  hint?: string;
  action?: ToastAction;
}

class Shell {
  status = $state<AppStatus | null>(null);
  tab = $state<TabId>("vault");
  /** Bumped after anything that changes keys, so open tabs reload their views. */
  revision = $state(0);
  toasts = $state<Toast[]>([]);
  connectOpen = $state(false);
  profileOpen = $state(false);
  addKeyOpen = $state(false);
  addKeyVendor = $state<string | null>(null);
  /** The detail panel (vendor id + secret name), opened from the Vault tab. */
  detail = $state<{ vendorId: string; secretName?: string } | null>(null);
  bulkRotateOpen = $state(false);
  /** Rotate dialog for one key (secret name), opened from any tab. */
  rotateKey = $state<string | null>(null);
  private nextToast = 1;

  get connected(): boolean {
    return this.status?.mode === "connected" || this.status?.mode === "demo";
  }

  changed(): void {
    this.revision += 1;
  }

  toast(level: Toast["level"], message: string, hint?: string, action?: ToastAction): void {
    const id = this.nextToast++;
    const toast: Toast = { id, level, message };
    if (hint !== undefined) {
      toast.hint = hint;
    }
    if (action !== undefined) {
      toast.action = action;
    }
    this.toasts = [...this.toasts, toast];
    // Errors stay until dismissed; the rest fade after a while.
    if (level !== "error") {
      setTimeout(() => this.dismiss(id), level === "warning" || action ? 9000 : 5000);
    }
  }

  error(error: AppError): void {
    this.toast("error", error.message, error.hint);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

export const shell = new Shell();
