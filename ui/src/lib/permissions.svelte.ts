// What the signed-in technician may do, per client, as Rust decides it (allowed_actions):
// buttons are disabled with Rust's reason before the click. Rust still checks every action.
import { api } from "./api";
import { shell } from "./state.svelte";
import type { AllowedActions } from "./bindings/AllowedActions";
import type { ConsoleAction } from "./bindings/ConsoleAction";
import type { KeyAction } from "./bindings/KeyAction";

/** The reason a key action is refused in `view`, or null when it is allowed (or unknown yet). */
export function keyRefusal(view: AllowedActions | undefined, vendorId: string, action: KeyAction): string | null {
  const vendor = view?.vendors.find((v) => v.vendorId === vendorId);
  return vendor?.refused.find((p) => p.action === action)?.reason ?? null;
}

/** The reason a console action is refused in `view`, or null when it is allowed (or unknown yet). */
export function consoleRefusal(view: AllowedActions | undefined, action: ConsoleAction): string | null {
  const permission = view?.console.find((p) => p.action === action);
  return permission && !permission.allowed ? (permission.reason ?? "Your role may not do this.") : null;
}

class Permissions {
  byClient = $state<Record<string, AllowedActions>>({});
  /** Which revision and role each client's view was asked for (plain: not rendered). */
  private asked: Record<string, string> = {};

  /** Load the clients' views if the keys, policy or role changed since; call from an $effect. */
  ensure(clientIds: string[]): void {
    for (const id of clientIds) {
      const role = shell.status?.clients.find((c) => c.id === id)?.operator?.role ?? "";
      const stamp = `${shell.revision}:${role}`;
      if (!id || this.asked[id] === stamp) {
        continue;
      }
      this.asked[id] = stamp;
      api.allowedActions(id).then(
        (view) => (this.byClient = { ...this.byClient, [id]: view }),
        // A client that cannot answer (disconnected) keeps no view: its buttons stay as they
        // are and Rust refuses with the reason on the click.
        () => delete this.asked[id],
      );
    }
  }

  key(clientId: string, vendorId: string, action: KeyAction): string | null {
    return keyRefusal(this.byClient[clientId], vendorId, action);
  }

  console(clientId: string, action: ConsoleAction): string | null {
    return consoleRefusal(this.byClient[clientId], action);
  }

  /** Refused on every one of `clientIds` (e.g. Rotate All Due across clients): the first reason. */
  everywhere(clientIds: string[], action: ConsoleAction): string | null {
    if (clientIds.length === 0) {
      return null;
    }
    const reasons = clientIds.map((id) => this.console(id, action));
    return reasons.every((r) => r !== null) ? (reasons[0] ?? null) : null;
  }
}

export const permissions = new Permissions();
