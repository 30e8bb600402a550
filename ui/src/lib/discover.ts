// Discover's selection: which vaults are ticked and the client name each gets. Rust decides what
// can be added (a vault already a client has `clientName`); this only keeps the technician's
// choices and turns them into the picks Rust checks again.
import type { DiscoveredPick } from "./bindings/DiscoveredPick";
import type { Discovery } from "./bindings/Discovery";

/** The ids of the vaults that can still be added, in the list's order. */
export function addableIds(discovery: Discovery | null): string[] {
  if (!discovery) return [];
  return discovery.tenants.flatMap((tenant) =>
    tenant.vaults.filter((vault) => vault.clientName === null).map((vault) => vault.id),
  );
}

/** Each addable vault's prefilled client name (the tenant's display name, from Rust). */
export function suggestedNames(discovery: Discovery | null): Record<string, string> {
  const names: Record<string, string> = {};
  for (const tenant of discovery?.tenants ?? []) {
    for (const vault of tenant.vaults) {
      if (vault.clientName === null) names[vault.id] = vault.suggestedName;
    }
  }
  return names;
}

/** `picked` with `id` ticked or unticked; a vault that cannot be added never is. */
export function toggled(picked: ReadonlySet<string>, id: string, discovery: Discovery | null): Set<string> {
  const next = new Set(picked);
  if (next.has(id)) {
    next.delete(id);
  } else if (addableIds(discovery).includes(id)) {
    next.add(id);
  }
  return next;
}

/** The picks to send, in the list's order, with the names as typed (Rust validates them). */
export function picksFor(
  discovery: Discovery | null,
  picked: ReadonlySet<string>,
  names: Record<string, string>,
): DiscoveredPick[] {
  return addableIds(discovery)
    .filter((id) => picked.has(id))
    .map((id) => ({ id, name: (names[id] ?? "").trim() }));
}
