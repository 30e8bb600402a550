// Typed wrappers over Tauri's invoke. Every reply type comes from the Rust-generated bindings;
// every failure is Rust's `{ code, message, hint, field? }`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AddKeyRequest } from "./bindings/AddKeyRequest";
import type { AppError } from "./bindings/AppError";
import type { AppStatus } from "./bindings/AppStatus";
import type { AuditFilter } from "./bindings/AuditFilter";
import type { AuditView } from "./bindings/AuditView";
import type { BulkProgress } from "./bindings/BulkProgress";
import type { BulkResult } from "./bindings/BulkResult";
import type { CatalogEntry } from "./bindings/CatalogEntry";
import type { ClipboardCleared } from "./bindings/ClipboardCleared";
import type { ConnectRequest } from "./bindings/ConnectRequest";
import type { CopyReceipt } from "./bindings/CopyReceipt";
import type { DeletedView } from "./bindings/DeletedView";
import type { DistributionView } from "./bindings/DistributionView";
import type { KeyDetail } from "./bindings/KeyDetail";
import type { KeySettingsRequest } from "./bindings/KeySettingsRequest";
import type { Notice } from "./bindings/Notice";
import type { PingReport } from "./bindings/PingReport";
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
import type { VaultRow } from "./bindings/VaultRow";
import type { VaultView } from "./bindings/VaultView";
import type { Verification } from "./bindings/Verification";
import type { VersionView } from "./bindings/VersionView";

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

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toAppError(error);
  }
}

export const api = {
  appStatus: () => call<AppStatus>("app_status"),
  startDemo: () => call<AppStatus>("start_demo"),
  /** The role is sent only in demo mode; Rust refuses one anywhere else. */
  setProfile: (name: string, role: Role | null) => call<AppStatus>("set_profile", { name, role }),

  connect: (request: ConnectRequest) => call<AppStatus>("connect", { request }),
  cancelSignIn: () => call<null>("cancel_sign_in"),
  disconnect: () => call<AppStatus>("disconnect"),
  forgetConnection: () => call<AppStatus>("forget_connection"),
  chooseCaFile: () => call<string | null>("choose_ca_file"),

  vendorCatalog: () => call<CatalogEntry[]>("vendor_catalog"),
  vaultView: () => call<VaultView>("vault_view"),
  keyDetail: (vendorId: string, secretName?: string) =>
    call<KeyDetail>("key_detail", { vendorId, secretName: secretName ?? null }),
  addKey: (request: AddKeyRequest) => call<VaultRow>("add_key", { request }),
  updateKeySettings: (request: KeySettingsRequest) =>
    call<VaultRow>("update_key_settings", { request }),
  copyKey: (secretName: string, part?: string) =>
    call<CopyReceipt>("copy_key", { secretName, part: part ?? null }),
  testKey: (secretName: string) => call<PingReport>("test_key", { secretName }),
  keyVersions: (secretName: string) => call<VersionView[]>("key_versions", { secretName }),
  setKeyEnabled: (secretName: string, enabled: boolean) =>
    call<VaultRow>("set_key_enabled", { secretName, enabled }),
  deleteKey: (secretName: string, usedByChecked: string[] = []) =>
    call<DeletedView>("delete_key", { secretName, usedByChecked }),
  keyRunbook: (secretName: string) => call<RunbookView>("key_runbook", { secretName }),
  saveRunbook: (request: RunbookRequest) => call<RunbookView>("save_runbook", { request }),
  deletedKeys: () => call<DeletedView[]>("deleted_keys"),
  recoverKey: (secretName: string) => call<null>("recover_key", { secretName }),
  purgeKey: (secretName: string, confirmation: string) =>
    call<null>("purge_key", { secretName, confirmation }),
  exportReportPdf: () => call<SavedFile | null>("export_report_pdf"),
  openLastSaved: () => call<null>("open_last_saved"),
  exportInventoryCsv: () => call<SavedFile | null>("export_inventory_csv"),

  rotationView: () => call<RotationView>("rotation_view"),
  rotateKey: (request: RotateRequest) => call<RotateOutcome>("rotate_key", { request }),
  rotateAllDue: (requests: RotateRequest[]) => call<BulkResult>("rotate_all_due", { requests }),
  rotateAtVendor: (request: VendorRotateRequest) =>
    call<VendorRotation>("rotate_at_vendor", { request }),
  restoreVersion: (secretName: string, version: string) =>
    call<VaultRow>("restore_version", { secretName, version }),

  distributionView: () => call<DistributionView>("distribution_view"),
  setRoleAccess: (role: Role, vendorId: string, allowed: boolean) =>
    call<DistributionView>("set_role_access", { role, vendorId, allowed }),
  saveDefaultPolicy: () => call<DistributionView>("save_default_policy"),
  setRosterRole: (name: string, role: Role | null) =>
    call<DistributionView>("set_roster_role", { name, role }),

  auditView: (filter: AuditFilter) => call<AuditView>("audit_view", { filter }),
  verifyAudit: () => call<Verification>("verify_audit"),
  acknowledgeTamper: () => call<Verification>("acknowledge_tamper"),
  exportAuditCsv: () => call<SavedFile | null>("export_audit_csv"),

  setupGuide: (names: SetupNames | null) => call<SetupGuide>("setup_guide_view", { names }),
  copySetupCommand: (names: SetupNames, id: string) =>
    call<null>("copy_setup_command", { names, id }),
};

export const events = {
  onNotice: (handler: (notice: Notice) => void): Promise<UnlistenFn> =>
    listen<Notice>("console-notice", (event) => handler(event.payload)),
  onStatusChanged: (handler: () => void): Promise<UnlistenFn> =>
    listen("status-changed", () => handler()),
  onBulkProgress: (handler: (progress: BulkProgress) => void): Promise<UnlistenFn> =>
    listen<BulkProgress>("bulk-progress", (event) => handler(event.payload)),
  onClipboardCleared: (handler: (cleared: ClipboardCleared) => void): Promise<UnlistenFn> =>
    listen<ClipboardCleared>("clipboard-cleared", (event) => handler(event.payload)),
};
