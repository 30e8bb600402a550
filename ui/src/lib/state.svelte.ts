// Shared UI state (Svelte 5 runes). Only views and view flags live here; every fact comes
// from Rust on each refresh.
import type { AppError } from "./bindings/AppError";
import type { AppStatus } from "./bindings/AppStatus";
import type { ClientStatus } from "./bindings/ClientStatus";
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
  /** The client it is about, named on the toast when several are connected. */
  client?: string;
}

class Shell {
  status = $state<AppStatus | null>(null);
  tab = $state<TabId>("vault");
  /** Bumped after anything that changes keys, so open tabs reload their views. */
  revision = $state(0);
  toasts = $state<Toast[]>([]);
  connectOpen = $state(false);
  /** The "Provision a new vault…" wizard. */
  provisionOpen = $state(false);
  /** The client the Connect modal edits; `null` adds a new one. */
  editClient = $state<string | null>(null);
  /** The client opened alone from the sidebar; `null` shows every connected client. */
  client = $state<string | null>(null);
  /** All clients on the Vault tab: the client overview, or the flat list of every key. */
  portfolioView = $state<"overview" | "keys">("overview");
  /** Rotate All Due limited to one vendor's keys (from the Vault tab's vendor filter). */
  bulkRotateVendor = $state<string | null>(null);
  /** The client the per-vault tabs (Distribute, Audit Log) show when several are connected. */
  vaultClient = $state<string | null>(null);
  profileOpen = $state(false);
  addKeyOpen = $state(false);
  addKeyVendor = $state<string | null>(null);
  /** The detail panel (client, vendor id, secret name), opened from the Vault tab. */
  detail = $state<{ clientId: string; vendorId: string; secretName?: string } | null>(null);
  bulkRotateOpen = $state(false);
  /** Rotate dialog for one key of one client, opened from any tab. */
  rotateKey = $state<{ clientId: string; secretName: string } | null>(null);
  private nextToast = 1;

  get connected(): boolean {
    return this.status?.mode === "connected" || this.status?.mode === "demo";
  }

  /** Connected clients (in the demo, its fictitious clients), in the sidebar's order. */
  get connectedClients(): ClientStatus[] {
    return (this.status?.clients ?? []).filter((c) => c.state === "connected");
  }

  /** Several clients are shown together: tables get a Client column. */
  get portfolio(): boolean {
    return this.client === null && this.connectedClients.length > 1;
  }

  /**
   * The one client a per-vault action works on: the client opened alone, else the one picked
   * in the tab, else the first connected client.
   */
  get activeClient(): ClientStatus | null {
    const connected = this.connectedClients;
    const wanted = this.client ?? this.vaultClient;
    return connected.find((c) => c.id === wanted) ?? connected[0] ?? null;
  }

  /** Open one client alone (from the overview or the sidebar). */
  openClient(id: string): void {
    this.client = id;
    this.vaultClient = id;
  }

  /** All clients, on the overview. */
  openOverview(): void {
    this.client = null;
    this.portfolioView = "overview";
  }

  clientName(id: string): string {
    return this.status?.clients.find((c) => c.id === id)?.name ?? "";
  }

  changed(): void {
    this.revision += 1;
  }

  /**
   * A notice under the tab. It names the client when several are connected (`client`, or the one
   * a per-vault tab shows), and goes away on its own unless it carries an action (Undo, Retry).
   */
  toast(level: Toast["level"], message: string, hint?: string, action?: ToastAction, client?: string): void {
    const id = this.nextToast++;
    const toast: Toast = { id, level, message };
    if (hint !== undefined) {
      toast.hint = hint;
    }
    if (action !== undefined) {
      toast.action = action;
    }
    // With one client there is nothing to tell apart.
    // `client: ""` marks a notice about several clients (nothing implied).
    const named = this.connectedClients.length > 1 ? (client ?? this.impliedClient()) || undefined : undefined;
    if (named) {
      toast.client = named;
    }
    this.toasts = [...this.toasts, toast];
    if (!action) {
      // Long enough to read an error and its hint; success needs less.
      setTimeout(() => this.dismiss(id), level === "error" ? 15000 : level === "warning" ? 10000 : 5000);
    }
  }

  /** The client an action was on when the screen shows one: opened alone, or picked on a
   * per-vault tab. */
  private impliedClient(): string | undefined {
    if (this.client !== null || this.tab === "distribute" || this.tab === "audit") {
      return this.activeClient?.name;
    }
    return undefined;
  }

  error(error: AppError, client?: string): void {
    this.toast("error", error.message, error.hint, undefined, client);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

export const shell = new Shell();
