//! The in-console Setup Guide: the four phases of wiring Entra ID and Key Vault, the hardening
//! commands, and the troubleshooting checklist — with the technician's own names filled into
//! every Azure CLI command. Static content; works offline.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Names the technician fills in once; every command uses them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SetupNames {
    pub vault_name: String,
    pub resource_group: String,
    pub location: String,
    pub app_name: String,
}

impl Default for SetupNames {
    fn default() -> Self {
        SetupNames {
            vault_name: "msp-api-keyvault".into(),
            resource_group: "rg-msp-secrets".into(),
            location: "eastus".into(),
            app_name: "msp-api-vault-console".into(),
        }
    }
}

impl SetupNames {
    /// Keep names to the characters Azure allows, so a pasted command cannot carry shell syntax.
    fn sanitised(&self) -> SetupNames {
        let clean = |text: &str, fallback: &str| {
            let kept: String = text
                .trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .take(90)
                .collect();
            if kept.is_empty() {
                fallback.to_string()
            } else {
                kept
            }
        };
        let defaults = SetupNames::default();
        SetupNames {
            vault_name: clean(&self.vault_name, &defaults.vault_name),
            resource_group: clean(&self.resource_group, &defaults.resource_group),
            location: clean(&self.location, &defaults.location),
            app_name: clean(&self.app_name, &defaults.app_name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CliCommand {
    pub id: String,
    pub label: String,
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SetupStep {
    pub title: String,
    pub text: String,
    pub commands: Vec<CliCommand>,
    /// A warning to show with the step.
    pub caution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SetupPhase {
    pub number: u8,
    pub title: String,
    pub summary: String,
    pub steps: Vec<SetupStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TroubleshootingItem {
    pub symptom: String,
    pub checks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SetupGuide {
    pub names: SetupNames,
    pub prerequisites: String,
    pub phases: Vec<SetupPhase>,
    pub hardening: Vec<SetupStep>,
    pub troubleshooting: Vec<TroubleshootingItem>,
}

fn cmd(id: &str, label: &str, command: String) -> CliCommand {
    CliCommand {
        id: id.into(),
        label: label.into(),
        command,
    }
}

fn step(title: &str, text: &str, commands: Vec<CliCommand>) -> SetupStep {
    SetupStep {
        title: title.into(),
        text: text.into(),
        commands,
        caution: None,
    }
}

/// The whole guide with `names` filled in.
pub fn setup_guide(names: &SetupNames) -> SetupGuide {
    let n = names.sanitised();
    let vault_id = format!(
        "$(az keyvault show --name {} --query id --output tsv)",
        n.vault_name
    );
    let app_id = format!(
        "$(az ad app list --display-name {} --query [0].appId --output tsv)",
        n.app_name
    );
    let mut secret_step = step(
        "Create a client secret",
        "Give the secret a description such as vault-console-secret and a 12-month lifetime. The secret's Value is shown once only: copy it straight into the console's Connect modal. Then add it in the console as the \"Entra App Secret\" entry (90-day rotation) so its expiry is tracked like every other key.",
        vec![cmd(
            "app-secret",
            "Create a 12-month client secret",
            format!(
                "az ad app credential reset --id {app_id} --display-name vault-console-secret --years 1 --append"
            ),
        )],
    );
    secret_step.caution = Some("If you leave the page before copying the Value, delete that secret and create another; it cannot be shown again.".into());

    let phases = vec![
        SetupPhase {
            number: 1,
            title: "Create the Key Vault".into(),
            summary: "A Standard-tier vault using Azure RBAC, with soft delete kept for 90 days.".into(),
            steps: vec![
                step(
                    "Create a resource group and the vault",
                    "In the Azure Portal: Key Vaults → Create. Use your naming convention, your region and the Standard tier; keep soft-delete retention at 90 days. On Access configuration choose Azure role-based access control — it works with Entra PIM and Conditional Access, which vault access policies do not.",
                    vec![
                        cmd("create-group", "Create the resource group", format!("az group create --name {} --location {}", n.resource_group, n.location)),
                        cmd(
                            "create-vault",
                            "Create the vault (RBAC, 90-day soft delete)",
                            format!(
                                "az keyvault create --name {} --resource-group {} --location {} --sku standard --enable-rbac-authorization true --retention-days 90",
                                n.vault_name, n.resource_group, n.location
                            ),
                        ),
                    ],
                ),
                step(
                    "Note the vault name",
                    "The Overview page shows the Vault URI. The console only needs the name part (e.g. msp-api-keyvault), though it also accepts the full URI.",
                    vec![],
                ),
            ],
        },
        SetupPhase {
            number: 2,
            title: "Register the console in Entra ID".into(),
            summary: "A single-tenant app registration using the client-credentials flow (no redirect URI).".into(),
            steps: vec![
                step(
                    "Register the app",
                    "Entra ID → App registrations → New registration. Name it after the console, choose Single tenant, and leave Redirect URI empty: the console signs in as the app, not as a user.",
                    vec![cmd(
                        "create-app",
                        "Register the app and its service principal",
                        format!(
                            "az ad app create --display-name {} --sign-in-audience AzureADMyOrg && az ad sp create --id {app_id}",
                            n.app_name
                        ),
                    )],
                ),
                step(
                    "Copy the Tenant ID and Client ID",
                    "Both GUIDs are on the app's Overview page: Directory (tenant) ID and Application (client) ID.",
                    vec![cmd("show-ids", "Show both IDs", format!("az ad app show --id {app_id} --query \"{{clientId: appId}}\" && az account show --query tenantId --output tsv"))],
                ),
                secret_step,
            ],
        },
        SetupPhase {
            number: 3,
            title: "Give the app access to the vault".into(),
            summary: "Assign a Key Vault data-plane role to the app's service principal.".into(),
            steps: vec![
                step(
                    "Assign Key Vault Secrets Officer",
                    "Vault → Access control (IAM) → Add role assignment. Key Vault Secrets Officer lets the console get, list, set and delete secrets. Assigning roles needs Owner (or User Access Administrator) on the vault; a Contributor can create the vault but not assign roles.",
                    vec![cmd(
                        "assign-officer",
                        "Assign Key Vault Secrets Officer to the app",
                        format!("az role assignment create --role \"Key Vault Secrets Officer\" --assignee {app_id} --scope {vault_id}"),
                    )],
                ),
                step(
                    "Read-only identities get Secrets User",
                    "For an identity that should only read keys (a separate app registration per group gives Azure-enforced separation), assign Key Vault Secrets User: get and list only.",
                    vec![cmd(
                        "assign-user",
                        "Assign Key Vault Secrets User (read-only)",
                        format!("az role assignment create --role \"Key Vault Secrets User\" --assignee <read-only-app-id> --scope {vault_id}"),
                    )],
                ),
                step(
                    "Wait for propagation",
                    "Role assignments take a minute or two to apply. A 403 right after assigning usually just means waiting and retrying.",
                    vec![],
                ),
            ],
        },
        SetupPhase {
            number: 4,
            title: "Connect the console".into(),
            summary: "Enter the four values in Connect Azure and check the badge.".into(),
            steps: vec![
                step(
                    "Open Connect Azure in the top bar",
                    "Enter the Tenant ID, Client ID, client secret Value and vault name, choose the cloud, and press Test and connect. The console gets a token, lists the vault and checks it may read secrets.",
                    vec![],
                ),
                step(
                    "Check the badge",
                    "On success the badge changes from NOT CONNECTED to VAULT: followed by your vault's name, and each key's detail panel shows its secret URI. Tick Remember this connection to keep the settings in the config file and the secret in the OS keychain.",
                    vec![],
                ),
            ],
        },
    ];

    let hardening = vec![
        step(
            "Turn on purge protection",
            "Deleted secrets then cannot be purged before the retention period ends, even by an Admin. Some compliance frameworks require it; it cannot be turned off again.",
            vec![cmd(
                "purge-protection",
                "Enable purge protection",
                format!(
                    "az keyvault update --name {} --enable-purge-protection true",
                    n.vault_name
                ),
            )],
        ),
        step(
            "Send vault audit events to Log Analytics",
            "Diagnostic settings record every access to the vault in Azure Monitor, independently of the console's own audit log (recommended for CMMC, SOC 2 and HIPAA).",
            vec![cmd(
                "diagnostics",
                "Create the AuditEvent diagnostic setting",
                format!(
                    "az monitor diagnostic-settings create --name kv-audit-logs --resource {vault_id} --logs '[{{\"category\":\"AuditEvent\",\"enabled\":true}}]' --workspace <log-analytics-workspace-id>"
                ),
            )],
        ),
        step(
            "Limit where the app can sign in from",
            "In Entra ID → Security → Conditional Access, scope a policy to the app registration with a Named Location for your office or VPN ranges, so a stolen client secret is useless elsewhere.",
            vec![],
        ),
        step(
            "Track the client secret itself",
            "The console's client secret expires too, and when it does the console can no longer reach the vault. Keep it as the \"Entra App Secret\" entry with a 90-day rotation; the console reminds you before it expires. After creating a new one, reconnect with it and rotate the entry.",
            vec![],
        ),
    ];

    let troubleshooting = vec![
        TroubleshootingItem {
            symptom: "The badge stays NOT CONNECTED after Test and connect".into(),
            checks: vec![
                "Tenant ID and Client ID are GUIDs copied from the same app registration's Overview page.".into(),
                "The client secret is the Value (not the Secret ID) and has not expired or been regenerated.".into(),
                "If the Secrets Officer role was just assigned, wait 2–3 minutes and retry.".into(),
                "The vault name is only the name (msp-api-keyvault), and the cloud matches your tenant.".into(),
            ],
        },
        TroubleshootingItem {
            symptom: "Secrets Officer is assigned but the vault still answers 403".into(),
            checks: vec![
                "The vault's Access configuration is probably Vault access policy: RBAC roles do not apply there.".into(),
                "Switch it to Azure role-based access control (needs Owner; affects existing assignments), or add the app in the Access policies blade.".into(),
            ],
        },
        TroubleshootingItem {
            symptom: "A vendor test fails although the key looks right".into(),
            checks: vec![
                "The key may lack a scope or permission the test request needs (403): check it in the vendor portal.".into(),
                "Vendors such as SentinelOne and some ConnectWise setups allow API calls only from listed IPs: add your current address.".into(),
                "Endpoints with {tenant}, {server} or {region} must be edited in the key's detail panel first.".into(),
            ],
        },
        TroubleshootingItem {
            symptom: "Keys added in demo mode are gone after restarting".into(),
            checks: vec![
                "That is by design: demo mode keeps everything in memory and writes nothing to disk. Connect a vault to keep keys.".into(),
            ],
        },
        TroubleshootingItem {
            symptom: "The printed report is missing rows".into(),
            checks: vec![
                "Use Print / PDF: the console builds the PDF itself (landscape Letter) and never cuts a row at a page break.".into(),
                "For a spreadsheet, export the Vault inventory CSV instead.".into(),
            ],
        },
    ];

    SetupGuide {
        names: n,
        prerequisites: "You need Owner (or Global Administrator) rights on the subscription to create the vault and assign roles. With Contributor you can create the vault but an Owner must assign the role. Allow 15–20 minutes.".into(),
        phases,
        hardening,
        troubleshooting,
    }
}

/// The text of one command, for the clipboard.
pub fn command_text(names: &SetupNames, id: &str) -> Option<String> {
    let guide = setup_guide(names);
    guide
        .phases
        .iter()
        .flat_map(|p| p.steps.iter())
        .chain(guide.hardening.iter())
        .flat_map(|s| s.commands.iter())
        .find(|c| c.id == id)
        .map(|c| c.command.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_phases_with_the_required_commands() {
        let guide = setup_guide(&SetupNames::default());
        assert_eq!(guide.phases.len(), 4);
        let all: Vec<&CliCommand> = guide
            .phases
            .iter()
            .flat_map(|p| p.steps.iter())
            .chain(guide.hardening.iter())
            .flat_map(|s| s.commands.iter())
            .collect();
        let text = |id: &str| {
            all.iter()
                .find(|c| c.id == id)
                .map(|c| c.command.clone())
                .unwrap_or_default()
        };
        assert!(text("create-vault").contains("--enable-rbac-authorization true"));
        assert!(text("create-vault").contains("--retention-days 90"));
        assert!(text("assign-officer").contains("Key Vault Secrets Officer"));
        assert!(text("assign-user").contains("Key Vault Secrets User"));
        assert!(text("purge-protection").contains("--enable-purge-protection true"));
        assert!(text("diagnostics").contains("AuditEvent"));
        assert!(
            guide
                .hardening
                .iter()
                .any(|s| s.text.contains("Entra App Secret"))
        );
    }

    #[test]
    fn names_are_filled_in_and_sanitised() {
        let names = SetupNames {
            vault_name: "acme-kv; rm -rf /".into(),
            ..SetupNames::default()
        };
        let text = command_text(&names, "purge-protection").expect("command");
        assert!(text.contains("--name acme-kvrm-rf"));
        assert!(!text.contains(';'));
        assert!(command_text(&names, "no-such-command").is_none());
    }
}
