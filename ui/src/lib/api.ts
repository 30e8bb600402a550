// Typed wrappers over Tauri's invoke. Every reply type comes from the Rust-generated bindings;
// every failure is Rust's `{ code, message, hint, field? }`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AddKeyRequest } from "./bindings/AddKeyRequest";
import type { ClientImport } from "./bindings/ClientImport";
import type { DiscoveredPick } from "./bindings/DiscoveredPick";
import type { Discovery } from "./bindings/Discovery";
import type { AllowedActions } from "./bindings/AllowedActions";
import type { ClientTemplatePreview } from "./bindings/ClientTemplatePreview";
import type { TemplateApplyResult } from "./bindings/TemplateApplyResult";
import type { TemplateSummary } from "./bindings/TemplateSummary";
import type { AdoptRequest } from "./bindings/AdoptRequest";
import type { AdoptResult } from "./bindings/AdoptResult";
import type { AppError } from "./bindings/AppError";
import type { GroupChoice } from "./bindings/GroupChoice";
import type { AppStatus } from "./bindings/AppStatus";
import type { AuditFilter } from "./bindings/AuditFilter";
import type { AuditView } from "./bindings/AuditView";
import type { BulkProgress } from "./bindings/BulkProgress";
import type { RotationProgress } from "./bindings/RotationProgress";
import type { BulkRequest } from "./bindings/BulkRequest";
import type { ClientRequest } from "./bindings/ClientRequest";
import type { ClientOverview } from "./bindings/ClientOverview";
import type { PortfolioFilter } from "./bindings/PortfolioFilter";
import type { BulkResult } from "./bindings/BulkResult";
import type { CatalogEntry } from "./bindings/CatalogEntry";
import type { ClipboardCleared } from "./bindings/ClipboardCleared";
import type { ConnectRequest } from "./bindings/ConnectRequest";
import type { CopyReceipt } from "./bindings/CopyReceipt";
import type { DeletedView } from "./bindings/DeletedView";
import type { DistributionView } from "./bindings/DistributionView";
import type { CustomVendorRequest } from "./bindings/CustomVendorRequest";
import type { CustomVendorsView } from "./bindings/CustomVendorsView";
import type { KeyDetail } from "./bindings/KeyDetail";
import type { KeyDetailRow } from "./bindings/KeyDetailRow";
import type { KeySettingsRequest } from "./bindings/KeySettingsRequest";
import type { Notice } from "./bindings/Notice";
import type { PingReport } from "./bindings/PingReport";
import type { ReportSettings } from "./bindings/ReportSettings";
import type { Role } from "./bindings/Role";
import type { RotateOutcome } from "./bindings/RotateOutcome";
import type { RotateRequest } from "./bindings/RotateRequest";
import type { RotationView } from "./bindings/RotationView";
import type { RunbookRequest } from "./bindings/RunbookRequest";
import type { RunbookView } from "./bindings/RunbookView";
import type { VendorRotateRequest } from "./bindings/VendorRotateRequest";
import type { VendorRotation } from "./bindings/VendorRotation";
import type { SavedFile } from "./bindings/SavedFile";
import type { SetupGuide } from "./bindings/SetupGuide";
import type { SetupNames } from "./bindings/SetupNames";
import type { CommandShell } from "./bindings/CommandShell";
import type { ReminderView } from "./bindings/ReminderView";
import type { VaultRow } from "./bindings/VaultRow";
import type { UnmanagedView } from "./bindings/UnmanagedView";
import type { ObjectsView } from "./bindings/ObjectsView";
import type { VaultView } from "./bindings/VaultView";
import type { Verification } from "./bindings/Verification";
import type { VersionView } from "./bindings/VersionView";
import type { ChoiceKind } from "./bindings/ChoiceKind";
import type { ProvisionChoice } from "./bindings/ProvisionChoice";
import type { ProvisionProgress } from "./bindings/ProvisionProgress";
import type { ProvisionRequest } from "./bindings/ProvisionRequest";
import type { VaultNameCheck } from "./bindings/VaultNameCheck";

export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    "code" in value &&
    "message" in value &&
    "hint" in value
  );
}

/** Any failure as an AppError (a failure outside Rust's errors becomes an internal one). */
export function toAppError(value: unknown): AppError {
  if (isAppError(value)) {
    return value;
  }
  return {
    code: "internal",
    message: typeof value === "string" ? value : "Something went wrong in the console window.",
    hint: "Try again; if it keeps happening, restart the console.",
  };
}

function portfolio(clientId: string | null, vendorId: string | null = null): PortfolioFilter {
  const filter: PortfolioFilter = clientId === null ? {} : { client: clientId };
  if (vendorId !== null) {
    filter.vendor = vendorId;
  }
  return filter;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toAppError(error);
  }
}

export const api = {
  appStatus: () => call<AppStatus>("app_status"),
  /** All clients' overview, one row per client, worst first. */
  clientOverview: () => call<ClientOverview>("client_overview"),
  startDemo: () => call<AppStatus>("start_demo"),
  /** The role is sent only in demo mode; Rust refuses one anywhere else. */
  setProfile: (name: string, role: Role | null) => call<AppStatus>("set_profile", { name, role }),
  reportSettings: () => call<ReportSettings>("report_settings"),
  setMspName: (name: string) => call<ReportSettings>("set_msp_name", { name }),

  connect: (request: ConnectRequest) => call<AppStatus>("connect", { request }),
  /** Add a client (no id) or change one, and connect it. */
  saveClient: (request: ClientRequest) => call<AppStatus>("save_client", { request }),
  connectClient: (clientId: string) => call<AppStatus>("connect_client", { clientId }),
  signInToTenant: (clientId: string) => call<AppStatus>("sign_in_to_tenant", { clientId }),
  importClientsCsv: () => call<ClientImport | null>("import_clients_csv", {}),
  exportClientsCsv: () => call<SavedFile | null>("export_clients_csv", {}),
  /** The tenants the home sign-in reaches and the vaults Azure shows in each. */
  discoverClients: () => call<Discovery>("discover_clients", {}),
  /** "Sign in to this tenant" from Discover (a tenant the last discovery named); discovers again. */
  discoverSignIn: (tenantId: string) => call<Discovery>("discover_sign_in", { tenantId }),
  /** Add the picked vaults of the last discovery as clients, all or none. */
  addDiscoveredClients: (picks: DiscoveredPick[]) => call<AppStatus>("add_discovered_clients", { picks }),
  disconnectClient: (clientId: string) => call<AppStatus>("disconnect_client", { clientId }),
  removeClient: (clientId: string) => call<AppStatus>("remove_client", { clientId }),
  /** List one client's vault again (or every connected client's). */
  refresh: (clientId: string | null) => call<AppStatus>("refresh", { clientId }),
  cancelSignIn: () => call<null>("cancel_sign_in"),
  disconnect: () => call<AppStatus>("disconnect"),
  forgetConnection: () => call<AppStatus>("forget_connection"),
  chooseCaFile: () => call<string | null>("choose_ca_file"),

  /** A list of the provisioning wizard, from Azure Resource Manager through the home sign-in. */
  provisionChoices: (kind: ChoiceKind, tenantId: string | null = null, subscriptionId: string | null = null) =>
    call<ProvisionChoice[]>("provision_choices", { kind, tenantId, subscriptionId }),
  provisionCheckName: (tenantId: string, subscriptionId: string, resourceGroup: string, name: string) =>
    call<VaultNameCheck>("provision_check_name", { tenantId, subscriptionId, resourceGroup, name }),
  /** The client tenant's groups whose name matches `text` (Rust checks the text and the tenant). */
  provisionSearchGroups: (tenantId: string, text: string) => call<GroupChoice[]>("provision_search_groups", { tenantId, text }),
  /** The client tenant's group with a typed Object ID. */
  provisionResolveGroup: (tenantId: string, groupId: string) => call<GroupChoice>("provision_resolve_group", { tenantId, groupId }),
  /** Runs (or reruns) the provisioning; the step list also arrives as `provision-progress` events. */
  provisionVault: (request: ProvisionRequest) => call<ProvisionProgress>("provision_vault", { request }),

  // With a client: the catalog plus that vault's custom vendors.
  vendorCatalog: (clientId?: string | null) => call<CatalogEntry[]>("vendor_catalog", { clientId: clientId ?? null }),
  // `clientId` below is the MSP client (an entry of the Clients list), never the app
  // registration's client id of its connection settings.
  /** Every connected client's keys, or one client's (`clientId`); one vendor's only (`vendorId`). */
  vaultView: (clientId: string | null, vendorId: string | null = null) =>
    call<VaultView>("vault_view", { filter: portfolio(clientId, vendorId) }),
  keyDetail: (clientId: string, vendorId: string, secretName?: string) =>
    call<KeyDetail>("key_detail", { clientId, vendorId, secretName: secretName ?? null }),
  addKey: (clientId: string, request: AddKeyRequest) =>
    call<VaultRow>("add_key", { clientId, request }),
  updateKeySettings: (clientId: string, request: KeySettingsRequest) =>
    call<VaultRow>("update_key_settings", { clientId, request }),
  copyKey: (clientId: string, secretName: string, part?: string) =>
    call<CopyReceipt>("copy_key", { clientId, secretName, part: part ?? null }),
  testKey: (clientId: string, secretName: string) =>
    call<PingReport>("test_key", { clientId, secretName }),
  keyVersions: (clientId: string, secretName: string) =>
    call<VersionView[]>("key_versions", { clientId, secretName }),
  setKeyEnabled: (clientId: string, secretName: string, enabled: boolean) =>
    call<VaultRow>("set_key_enabled", { clientId, secretName, enabled }),
  deleteKey: (clientId: string, secretName: string, usedByChecked: string[] = []) =>
    call<DeletedView>("delete_key", { clientId, secretName, usedByChecked }),
  keyRunbook: (clientId: string, secretName: string) =>
    call<RunbookView>("key_runbook", { clientId, secretName }),
  saveRunbook: (clientId: string, request: RunbookRequest) =>
    call<RunbookView>("save_runbook", { clientId, request }),
  deletedKeys: (clientId: string) => call<DeletedView[]>("deleted_keys", { clientId }),
  recoverKey: (clientId: string, secretName: string) =>
    call<null>("recover_key", { clientId, secretName }),
  purgeKey: (clientId: string, secretName: string, confirmation: string) =>
    call<null>("purge_key", { clientId, secretName, confirmation }),
  /** Secrets other tools created (no values), across clients or one client's. */
  unmanagedView: (clientId: string | null) =>
    call<UnmanagedView>("unmanaged_view", { filter: portfolio(clientId) }),
  /** The vault's certificates and keys (read-only), across clients or one client's. */
  objectsView: (clientId: string | null) =>
    call<ObjectsView>("objects_view", { filter: portfolio(clientId) }),
  /** The type and size of one client's keys on screen (keys of its last listing, ≤ 50 names). */
  keyTypeDetails: (clientId: string, names: string[]) =>
    call<KeyDetailRow[]>("key_type_details", { clientId, names }),
  adoptSecret: (clientId: string, request: AdoptRequest) =>
    call<VaultRow>("adopt_secret", { clientId, request }),
  adoptSecrets: (clientId: string, requests: AdoptRequest[]) =>
    call<AdoptResult[]>("adopt_secrets", { clientId, requests }),
  /** One client's report, or every connected client's (a section each). */
  exportReportPdf: (clientId: string | null) =>
    call<SavedFile | null>("export_report_pdf", { filter: portfolio(clientId) }),
  openLastSaved: () => call<null>("open_last_saved"),
  exportInventoryCsv: (clientId: string | null, vendorId: string | null = null) =>
    call<SavedFile | null>("export_inventory_csv", { filter: portfolio(clientId, vendorId) }),

  rotationView: (clientId: string | null, vendorId: string | null = null) =>
    call<RotationView>("rotation_view", { filter: portfolio(clientId, vendorId) }),
  rotateKey: (clientId: string, request: RotateRequest) =>
    call<RotateOutcome>("rotate_key", { clientId, request }),
  rotateAllDue: (requests: BulkRequest[]) => call<BulkResult>("rotate_all_due", { requests }),
  rotateAtVendor: (clientId: string, request: VendorRotateRequest) =>
    call<VendorRotation>("rotate_at_vendor", { clientId, request }),
  restoreVersion: (clientId: string, secretName: string, version: string) =>
    call<VaultRow>("restore_version", { clientId, secretName, version }),
  openVendorPortal: (vendorId: string) => call<null>("open_vendor_portal", { vendorId }),
  allowedActions: (clientId: string) => call<AllowedActions>("allowed_actions", { clientId }),

  distributionView: (clientId: string) => call<DistributionView>("distribution_view", { clientId }),
  setRoleAccess: (clientId: string, role: Role, vendorId: string, allowed: boolean) =>
    call<DistributionView>("set_role_access", { clientId, role, vendorId, allowed }),
  saveDefaultPolicy: (clientId: string) =>
    call<DistributionView>("save_default_policy", { clientId }),
  setRosterRole: (clientId: string, name: string, role: Role | null) =>
    call<DistributionView>("set_roster_role", { clientId, name, role }),
  customVendorsView: (clientId: string) => call<CustomVendorsView>("custom_vendors_view", { clientId }),
  saveCustomVendor: (clientId: string, request: CustomVendorRequest) =>
    call<CustomVendorsView>("save_custom_vendor", { clientId, request }),
  removeCustomVendor: (clientId: string, vendorId: string) =>
    call<CustomVendorsView>("remove_custom_vendor", { clientId, vendorId }),
  policyTemplates: () => call<TemplateSummary[]>("policy_templates"),
  savePolicyTemplate: (clientId: string, name: string) =>
    call<TemplateSummary[]>("save_policy_template", { clientId, name }),
  deletePolicyTemplate: (name: string) => call<TemplateSummary[]>("delete_policy_template", { name }),
  previewPolicyTemplate: (name: string, clientIds: string[]) =>
    call<ClientTemplatePreview[]>("preview_policy_template", { name, clientIds }),
  applyPolicyTemplate: (name: string, clientIds: string[]) =>
    call<TemplateApplyResult>("apply_policy_template", { name, clientIds }),
  undoPolicyTemplate: (undoId: string) => call<TemplateApplyResult>("undo_policy_template", { undoId }),

  auditView: (clientId: string, filter: AuditFilter) =>
    call<AuditView>("audit_view", { clientId, filter }),
  verifyAudit: (clientId: string) => call<Verification>("verify_audit", { clientId }),
  acknowledgeTamper: (clientId: string) => call<Verification>("acknowledge_tamper", { clientId }),
  acknowledgeInstallation: (clientId: string) => call<Verification>("acknowledge_installation", { clientId }),
  exportAuditCsv: (clientId: string) => call<SavedFile | null>("export_audit_csv", { clientId }),

  pendingReminders: () => call<ReminderView[]>("pending_reminders"),
  remindersShown: (ids: string[]) => call<number>("reminders_shown", { ids }),

  setupGuide: (names: SetupNames | null) => call<SetupGuide>("setup_guide_view", { names }),
  copySetupCommand: (names: SetupNames, id: string, shell: CommandShell) =>
    call<null>("copy_setup_command", { names, id, shell }),
};

export const events = {
  onNotice: (handler: (notice: Notice) => void): Promise<UnlistenFn> =>
    listen<Notice>("console-notice", (event) => handler(event.payload)),
  onStatusChanged: (handler: () => void): Promise<UnlistenFn> =>
    listen("status-changed", () => handler()),
  onBulkProgress: (handler: (progress: BulkProgress) => void): Promise<UnlistenFn> =>
    listen<BulkProgress>("bulk-progress", (event) => handler(event.payload)),
  onRotationProgress: (handler: (progress: RotationProgress) => void): Promise<UnlistenFn> =>
    listen<RotationProgress>("rotation-progress", (event) => handler(event.payload)),
  onProvisionProgress: (handler: (progress: ProvisionProgress) => void): Promise<UnlistenFn> =>
    listen<ProvisionProgress>("provision-progress", (event) => handler(event.payload)),
  onClipboardCleared: (handler: (cleared: ClipboardCleared) => void): Promise<UnlistenFn> =>
    listen<ClipboardCleared>("clipboard-cleared", (event) => handler(event.payload)),
  onRemindersDue: (handler: () => void): Promise<UnlistenFn> =>
    listen("reminders-due", () => handler()),
};
