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

/// The shell a copied command is written for. Each command exists in both forms: the Bash one
/// is quoted so that zsh (macOS's default shell) runs it unchanged, and the PowerShell one avoids
/// what Windows PowerShell 5.1 lacks or mangles (`&&`, here-documents, JSON with embedded quotes
/// passed to a native program — it goes through a file instead).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CommandShell {
    /// Bash (Linux, Azure Cloud Shell, WSL) and zsh (macOS).
    #[default]
    Posix,
    /// Windows PowerShell 5.1 and PowerShell 7.
    PowerShell,
}

impl CommandShell {
    /// The shell a technician on this computer most likely has open.
    pub fn for_this_computer() -> CommandShell {
        if cfg!(windows) {
            CommandShell::PowerShell
        } else {
            CommandShell::Posix
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CliCommand {
    pub id: String,
    pub label: String,
    /// For Bash and zsh.
    pub command: String,
    /// For PowerShell: several lines, run one after another.
    pub powershell: String,
}

impl CliCommand {
    pub fn text(&self, shell: CommandShell) -> &str {
        match shell {
            CommandShell::Posix => &self.command,
            CommandShell::PowerShell => &self.powershell,
        }
    }
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
    /// The shell the tab shows first: PowerShell on Windows, Bash/zsh elsewhere.
    pub default_shell: CommandShell,
    pub prerequisites: String,
    pub phases: Vec<SetupPhase>,
    pub hardening: Vec<SetupStep>,
    pub troubleshooting: Vec<TroubleshootingItem>,
}

fn cmd(id: &str, label: &str, command: String, powershell: String) -> CliCommand {
    CliCommand {
        id: id.into(),
        label: label.into(),
        command,
        powershell,
    }
}

/// A command that reads the same in both shells.
fn same(id: &str, label: &str, command: String) -> CliCommand {
    cmd(id, label, command.clone(), command)
}

/// PowerShell: the lines that look up the IDs the commands need, each into a variable
/// (`$(…)` inline works in PowerShell too, but a variable per ID keeps each line readable).
struct PowerShellLookups {
    vault_id: String,
    app_id: String,
    sp_id: &'static str,
}

fn step(title: &str, text: &str, commands: Vec<CliCommand>) -> SetupStep {
    SetupStep {
        title: title.into(),
        text: text.into(),
        commands,
        caution: None,
    }
}

/// The console's app roles: value, a fixed id (unique within the app registration), display name and
/// description, in the shape `az ad app update --app-roles` takes.
const APP_ROLES: [(&str, &str, &str, &str); 4] = [
    (
        "Console.Admin",
        "6e4f2b0a-0c1d-4a57-9d2e-1c5a7b3e0a01",
        "Console Admin",
        "Every key, the role policy and roster, purges, acknowledging audit tampering",
    ),
    (
        "Console.L2",
        "6e4f2b0a-0c1d-4a57-9d2e-1c5a7b3e0a02",
        "Console L2",
        "Level 2 technicians: RMM, PSA, EDR, network and backup keys by default",
    ),
    (
        "Console.L1",
        "6e4f2b0a-0c1d-4a57-9d2e-1c5a7b3e0a03",
        "Console L1",
        "Level 1 and helpdesk: RMM and PSA keys by default",
    ),
    (
        "Console.NOC",
        "6e4f2b0a-0c1d-4a57-9d2e-1c5a7b3e0a04",
        "Console NOC",
        "NOC analysts: RMM, EDR and email security keys by default",
    ),
];

/// The whole guide with `names` filled in.
pub fn setup_guide(names: &SetupNames) -> SetupGuide {
    let n = names.sanitised();
    // Bash/zsh: IDs looked up inline. `[0].appId` is quoted: zsh treats an unquoted `[…]` as a
    // glob and stops with "no matches found".
    let vault_id = format!(
        "\"$(az keyvault show --name {} --query id --output tsv)\"",
        n.vault_name
    );
    let app_id = format!(
        "\"$(az ad app list --display-name {} --query \"[0].appId\" --output tsv)\"",
        n.app_name
    );
    let sp_id = format!("\"$(az ad sp show --id {app_id} --query id --output tsv)\"");
    let ps = PowerShellLookups {
        vault_id: format!(
            "$vaultId = az keyvault show --name {} --query id --output tsv",
            n.vault_name
        ),
        app_id: format!(
            "$appId = az ad app list --display-name {} --query \"[0].appId\" --output tsv",
            n.app_name
        ),
        sp_id: "$spId = az ad sp show --id $appId --query id --output tsv",
    };
    let mut secret_step = step(
        "Only for app-secret mode: create a client secret",
        "Skip this when every technician signs in with Microsoft. For a single-technician shop or automation, create a client secret with a description such as vault-console-secret and a 12-month lifetime. The secret's Value is shown once only: copy it straight into the Connect modal's App registration secret tab. Then add it in the console as the \"Entra App Secret\" entry (90-day rotation) so its expiry is tracked like every other key.",
        vec![cmd(
            "app-secret",
            "Create a 12-month client secret",
            format!(
                "az ad app credential reset --id {app_id} --display-name vault-console-secret --years 1 --append"
            ),
            format!(
                "{}\naz ad app credential reset --id $appId --display-name vault-console-secret --years 1 --append",
                ps.app_id
            ),
        )],
    );
    secret_step.caution = Some("If you leave the page before copying the Value, delete that secret and create another; it cannot be shown again.".into());

    // Application.ReadWrite.OwnedBy (Microsoft Graph permissions reference): the app may manage
    // only the registrations it owns, here itself.
    let rotate_step = step(
        "Only for app-secret mode: let the console rotate its own secret",
        "With Microsoft Graph's Application.ReadWrite.OwnedBy (admin-consented) and the app as an owner of its own registration, the console reads its client secret's end date on every connect and warns in the top bar 30, 14, 7 and 1 days before it expires, and Rotate at vendor on the Entra App Secret key makes a new secret, reconnects with it, updates the keychain and only then removes the old one. Without it, the console still works but cannot warn or rotate; Application.Read.All is enough for the warning alone.",
        vec![
            cmd(
                "graph-owned-by",
                "Add the Graph permission Application.ReadWrite.OwnedBy",
                format!(
                    "az ad app permission add --id {app_id} --api 00000003-0000-0000-c000-000000000000 --api-permissions 18a4783c-866b-4cc7-a460-3d5e5662c884=Role && az ad app permission admin-consent --id {app_id}"
                ),
                // Windows PowerShell 5.1 has no `&&`: consent only when adding worked.
                format!(
                    "{}\naz ad app permission add --id $appId --api 00000003-0000-0000-c000-000000000000 --api-permissions 18a4783c-866b-4cc7-a460-3d5e5662c884=Role\nif ($LASTEXITCODE -eq 0) {{ az ad app permission admin-consent --id $appId }}",
                    ps.app_id
                ),
            ),
            cmd(
                "self-owner",
                "Make the app an owner of its own registration",
                format!("az ad app owner add --id {app_id} --owner-object-id {sp_id}"),
                format!(
                    "{}\n{}\naz ad app owner add --id $appId --owner-object-id $spId",
                    ps.app_id, ps.sp_id
                ),
            ),
        ],
    );

    let roles_json = APP_ROLES
        .iter()
        .map(|(value, id, label, description)| {
            format!(
                "  {{\"allowedMemberTypes\": [\"User\"], \"id\": \"{id}\", \"isEnabled\": true, \"value\": \"{value}\", \"displayName\": \"{label}\", \"description\": \"{description}\"}}"
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    let mut roles_step = step(
        "Define the four console roles",
        "The console reads each technician's role from the app roles assigned to them on this app registration: Console.Admin, Console.L2, Console.L1 and Console.NOC. Someone with none of them signs in but gets no key access. Create the roles once (App registrations → the app → App roles shows them afterwards).",
        vec![cmd(
            "app-roles",
            "Create the four app roles",
            format!(
                "cat > console-app-roles.json <<'ROLES'\n[\n{roles_json}\n]\nROLES\naz ad app update --id {app_id} --app-roles @console-app-roles.json"
            ),
            // A here-string written as ASCII (Set-Content's UTF8 adds a BOM in PowerShell 5.1);
            // `@file` is quoted, since a bare leading `@` is PowerShell's splatting.
            format!(
                "{}\n@'\n[\n{roles_json}\n]\n'@ | Set-Content -Encoding ascii console-app-roles.json\naz ad app update --id $appId --app-roles \"@console-app-roles.json\"",
                ps.app_id
            ),
        )],
    );
    roles_step.caution = Some("The role values must be spelled exactly Console.Admin, Console.L2, Console.L1 and Console.NOC.".into());
    let mut assign_commands: Vec<CliCommand> = APP_ROLES
        .iter()
        .map(|(value, id, _, _)| {
            let group = value.trim_start_matches("Console.").to_ascii_lowercase();
            cmd(
                &format!("assign-role-{group}"),
                &format!("Give the {group} technicians' group {value}"),
                format!(
                    "az rest --method POST --uri https://graph.microsoft.com/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo --body '{{\"principalId\": \"<{group}-group-object-id>\", \"resourceId\": \"'{sp_id}'\", \"appRoleId\": \"{id}\"}}'"
                ),
                // The body goes through a file: PowerShell 5.1 strips the inner quotes of a
                // JSON argument on its way to a native program.
                format!(
                    "{}\n{}\n@\"\n{{\"principalId\": \"<{group}-group-object-id>\", \"resourceId\": \"$spId\", \"appRoleId\": \"{id}\"}}\n\"@ | Set-Content -Encoding ascii role-assignment.json\naz rest --method POST --uri \"https://graph.microsoft.com/v1.0/servicePrincipals/$spId/appRoleAssignedTo\" --body \"@role-assignment.json\"",
                    ps.app_id, ps.sp_id
                ),
            )
        })
        .collect();
    assign_commands.push(cmd(
        "require-assignment",
        "Only assigned users and groups may sign in to the console",
        format!("az ad sp update --id {app_id} --set appRoleAssignmentRequired=true"),
        format!(
            "{}\naz ad sp update --id $appId --set appRoleAssignmentRequired=true",
            ps.app_id
        ),
    ));
    let mut assign_step = step(
        "Assign the roles to groups",
        "Enterprise applications → the console's app → Users and groups → Add user/group: pick a group (or a user) and one role. Assign groups, not people, so joining or leaving a team changes access in one place. A technician in two groups gets the stronger role. Roles take effect at the next sign-in (or token renewal, within an hour).",
        assign_commands,
    );
    assign_step.caution = Some(
        "Assigning groups (rather than individual users) to an app needs Entra ID P1 or higher."
            .into(),
    );

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
                        same("create-group", "Create the resource group", format!("az group create --name {} --location {}", n.resource_group, n.location)),
                        same(
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
            summary: "A single-tenant public client that technicians sign in to, with four app roles assigned to groups.".into(),
            steps: vec![
                step(
                    "Register the app as a public client",
                    "Entra ID → App registrations → New registration. Name it after the console and choose Single tenant. Under Redirect URI pick the platform Public client/native (mobile & desktop) with http://127.0.0.1 — the console listens on this PC's loopback address for the browser's return, on a port of its own choosing (Entra ignores the port of a loopback redirect). If the portal will not take that address, the az command below registers it. Then under Authentication set Allow public client flows to Yes, which also enables the device code sign-in for locked-down desktops.",
                    vec![cmd(
                        "create-app",
                        "Register the public client and its service principal",
                        format!(
                            "az ad app create --display-name {} --sign-in-audience AzureADMyOrg --public-client-redirect-uris http://127.0.0.1 http://localhost --is-fallback-public-client true && az ad sp create --id {app_id}",
                            n.app_name
                        ),
                        format!(
                            "az ad app create --display-name {} --sign-in-audience AzureADMyOrg --public-client-redirect-uris http://127.0.0.1 http://localhost --is-fallback-public-client true\n{}\naz ad sp create --id $appId",
                            n.app_name, ps.app_id
                        ),
                    )],
                ),
                roles_step,
                assign_step,
                step(
                    "Copy the Tenant ID and Client ID",
                    "Both GUIDs are on the app's Overview page: Directory (tenant) ID and Application (client) ID. Technicians need only these two and the vault name.",
                    vec![cmd(
                        "show-ids",
                        "Show both IDs",
                        format!("az ad app show --id {app_id} --query \"{{clientId: appId}}\" && az account show --query tenantId --output tsv"),
                        format!("{}\naz ad app show --id $appId --query \"{{clientId: appId}}\"\naz account show --query tenantId --output tsv", ps.app_id),
                    )],
                ),
                secret_step,
                rotate_step,
            ],
        },
        SetupPhase {
            number: 3,
            title: "Give technicians access to the vault".into(),
            summary: "Assign Key Vault data-plane roles to the technicians' groups (or, in app-secret mode, to the app).".into(),
            steps: vec![
                step(
                    "Assign Key Vault Secrets Officer",
                    "Vault → Access control (IAM) → Add role assignment. Signed in with Microsoft, every technician's vault calls carry their own identity, so assign the role to the groups whose technicians add, rotate or delete keys. Officers may also write the console's own documents — the role policy and every console's audit anchor — so the vault can vouch for their consoles' audit logs. In app-secret mode, assign it to the app instead. Assigning roles needs Owner (or User Access Administrator) on the vault.",
                    vec![
                        cmd(
                            "assign-officer",
                            "Assign Key Vault Secrets Officer to a technicians' group",
                            // Placeholders are quoted: a bare `<…>` is a redirection in Bash and an
                            // error in PowerShell.
                            format!("az role assignment create --role \"Key Vault Secrets Officer\" --assignee \"<technicians-group-object-id>\" --scope {vault_id}"),
                            format!("{}\naz role assignment create --role \"Key Vault Secrets Officer\" --assignee \"<technicians-group-object-id>\" --scope $vaultId", ps.vault_id),
                        ),
                        cmd(
                            "assign-officer-app",
                            "App-secret mode: assign Key Vault Secrets Officer to the app",
                            format!("az role assignment create --role \"Key Vault Secrets Officer\" --assignee {app_id} --scope {vault_id}"),
                            format!("{}\n{}\naz role assignment create --role \"Key Vault Secrets Officer\" --assignee $appId --scope $vaultId", ps.app_id, ps.vault_id),
                        ),
                    ],
                ),
                step(
                    "Read-only identities get Secrets User",
                    "Key Vault Secrets User reads and lists only. It suits monitoring identities and scripts: they copy and test the keys their console role allows, but Azure refuses them any change — and their consoles cannot anchor their audit logs in the vault, which Verify will say.",
                    vec![cmd(
                        "assign-user",
                        "Assign Key Vault Secrets User (read-only)",
                        format!("az role assignment create --role \"Key Vault Secrets User\" --assignee \"<read-only-group-object-id>\" --scope {vault_id}"),
                        format!("{}\naz role assignment create --role \"Key Vault Secrets User\" --assignee \"<read-only-group-object-id>\" --scope $vaultId", ps.vault_id),
                    )],
                ),
                step(
                    "Wait for propagation",
                    "Role assignments take a minute or two to apply. A 403 right after assigning usually just means waiting and retrying; the console's error names the signed-in user and the role they lack.",
                    vec![],
                ),
            ],
        },
        SetupPhase {
            number: 4,
            title: "Connect the console".into(),
            summary: "Sign in with Microsoft (or use the app secret) and check the badge.".into(),
            steps: vec![
                step(
                    "Open Connect Azure in the top bar",
                    "On Sign in with Microsoft, enter the Tenant ID, the console's Client ID and the vault name, choose the cloud, and press Sign in with Microsoft: your browser opens Microsoft's sign-in page and returns to the console. Where no browser can reach this PC, use a device code and enter it at microsoft.com/devicelogin from any device. The App registration secret tab takes the client secret Value instead.",
                    vec![],
                ),
                step(
                    "Check the badge and your role",
                    "On success the badge changes from NOT CONNECTED to VAULT: followed by your vault's name, and the top bar shows your name and the role Entra gave you (\"no role\" means no app role is assigned yet). Tick Remember me to keep only your refresh token in the OS keychain, so the next start signs you in silently. The first console to connect to a vault without a role policy is admin-only until an Admin saves one on the Distribute tab.",
                    vec![],
                ),
            ],
        },
        SetupPhase {
            number: 5,
            title: "Every client tenant with one sign-in (MSPs)".into(),
            summary: "One multi-tenant app in your MSP's tenant, consented in each client tenant, where your technicians are guests: one sign-in reaches every client's vault.".into(),
            steps: vec![
                step(
                    "Make the console's app registration multi-tenant",
                    "In your MSP's own tenant, set the console's app registration to Accounts in any organizational directory. Technicians sign in there once; the console redeems that sign-in at each client tenant's token endpoint, so no second browser window opens for a client that allows it. Console roles (app roles) are assigned in your MSP's tenant only and apply to every client.",
                    vec![cmd(
                        "multi-tenant",
                        "Let accounts of other directories use the app (run in your MSP's tenant)",
                        format!("az ad app update --id {app_id} --sign-in-audience AzureADMultipleOrgs"),
                        format!("{}\naz ad app update --id $appId --sign-in-audience AzureADMultipleOrgs", ps.app_id),
                    )],
                ),
                step(
                    "Let the console use Azure Resource Manager (Discover and Provision)",
                    "Discover lists the Key Vaults of every tenant your sign-in reaches, and Provision creates a client's vault: both call Azure Resource Manager as you, so the console's app needs Azure Service Management's delegated user_impersonation (run in your MSP's tenant, then grant admin consent there; each client tenant's consent covers it). Without it every Resource Manager call is refused with AADSTS65001. What you then see and create is bounded by your own Azure roles in each subscription.",
                    vec![cmd(
                        "arm-permission",
                        "Add Azure Service Management's user_impersonation and grant consent",
                        format!("az ad app permission add --id {app_id} --api 797f4846-ba00-4fd7-ba43-dac1f8f63013 --api-permissions 41094075-9dad-400e-a0bd-54e686782033=Scope && az ad app permission admin-consent --id {app_id}"),
                        format!("{}\naz ad app permission add --id $appId --api 797f4846-ba00-4fd7-ba43-dac1f8f63013 --api-permissions 41094075-9dad-400e-a0bd-54e686782033=Scope\nif ($LASTEXITCODE -eq 0) {{ az ad app permission admin-consent --id $appId }}", ps.app_id),
                    )],
                ),
                step(
                    "Let the console read app registrations and groups (Microsoft Graph)",
                    "The App credentials view lists every app registration's secrets and certificates in each client tenant, and Provision lets you pick the groups for the Key Vault roles by name: both read Microsoft Graph as you, so the console's app needs the delegated Application.Read.All and GroupMember.Read.All (admin consent in each client tenant covers them). A B2B guest may still not list a client's groups (Entra restricts guests by default): Directory Readers there, for example through GDAP, allows it; otherwise enter a group's Object ID. Without Application.Read.All a client shows which permission is missing; its keys are unaffected.",
                    vec![cmd(
                        "graph-read-permissions",
                        "Add Graph's Application.Read.All and GroupMember.Read.All (delegated) and grant consent",
                        format!("az ad app permission add --id {app_id} --api 00000003-0000-0000-c000-000000000000 --api-permissions c79f8feb-a9db-4090-85f9-90d820caa0eb=Scope bc024368-1153-4739-b217-4326f2e966d0=Scope && az ad app permission admin-consent --id {app_id}"),
                        format!("{}\naz ad app permission add --id $appId --api 00000003-0000-0000-c000-000000000000 --api-permissions c79f8feb-a9db-4090-85f9-90d820caa0eb=Scope bc024368-1153-4739-b217-4326f2e966d0=Scope\nif ($LASTEXITCODE -eq 0) {{ az ad app permission admin-consent --id $appId }}", ps.app_id),
                    )],
                ),
                step(
                    "Consent in each client tenant",
                    "A client tenant's administrator approves the console's app once: with the admin consent link the console shows on that client (Copy admin consent link), or by creating its service principal while signed in to the client's tenant. Until then the client shows \"not consented\" and the console notices the consent on the next connect.",
                    vec![same(
                        "client-consent",
                        "Create the console's service principal in the client's tenant (its admin, signed in there)",
                        "az login --tenant \"<client-tenant-id>\"\naz ad sp create --id \"<console-client-id>\"".to_string(),
                    )],
                ),
                step(
                    "Reach the client tenant: B2B guest or GDAP, plus a Key Vault role",
                    "Technicians reach a client tenant either as B2B guests (invited in the client's Entra ID → Users → Invite external user) or through GDAP from Partner Center. GDAP grants directory roles, not Key Vault data roles, so either way the technicians' guest accounts (or a group in the client's tenant holding them) need Key Vault Secrets Officer on that client's vault. Azure Lighthouse cannot do this part: it does not delegate roles with data actions, so Key Vault Secrets Officer and Secrets User cannot be delegated through it.",
                    vec![cmd(
                        "guest-officer",
                        "Give a guest technician Key Vault Secrets Officer on the client's vault (run in the client's tenant)",
                        format!("az role assignment create --role \"Key Vault Secrets Officer\" --assignee \"<guest-object-id>\" --scope {vault_id}"),
                        format!("{}\naz role assignment create --role \"Key Vault Secrets Officer\" --assignee \"<guest-object-id>\" --scope $vaultId", ps.vault_id),
                    )],
                ),
                step(
                    "Add the clients with your MSP's tenant",
                    "In Connect Azure, on Sign in with Microsoft, fill Your MSP's tenant ID besides the client's Tenant ID, or import the client list as CSV (column MSP tenant ID). A tenant whose Conditional Access wants you in person (MFA there) shows Sign in to this tenant on that client only; the others stay connected.",
                    vec![],
                ),
            ],
        },
    ];

    let hardening = vec![
        step(
            "Turn on purge protection",
            "Deleted secrets then cannot be purged before the retention period ends, even by an Admin. Some compliance frameworks require it; it cannot be turned off again.",
            vec![same(
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
                    "az monitor diagnostic-settings create --name kv-audit-logs --resource {vault_id} --logs '[{{\"category\":\"AuditEvent\",\"enabled\":true}}]' --workspace \"<log-analytics-workspace-id>\""
                ),
                format!(
                    "{}\n'[{{\"category\":\"AuditEvent\",\"enabled\":true}}]' | Set-Content -Encoding ascii kv-audit-logs.json\naz monitor diagnostic-settings create --name kv-audit-logs --resource $vaultId --logs \"@kv-audit-logs.json\" --workspace \"<log-analytics-workspace-id>\"",
                    ps.vault_id
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
        default_shell: CommandShell::for_this_computer(),
        prerequisites: "You need Owner (or Global Administrator) rights on the subscription to create the vault and assign roles. With Contributor you can create the vault but an Owner must assign the role. Allow 15–20 minutes.".into(),
        phases,
        hardening,
        troubleshooting,
    }
}

/// The text of one command in one shell, for the clipboard.
pub fn command_text(names: &SetupNames, id: &str, shell: CommandShell) -> Option<String> {
    let guide = setup_guide(names);
    guide
        .phases
        .iter()
        .flat_map(|p| p.steps.iter())
        .chain(guide.hardening.iter())
        .flat_map(|s| s.commands.iter())
        .find(|c| c.id == id)
        .map(|c| c.text(shell).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_phases_with_the_required_commands() {
        let guide = setup_guide(&SetupNames::default());
        // The manual's four phases, then one sign-in for every client tenant.
        assert_eq!(guide.phases.len(), 5);
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
        // Sign in with Microsoft: a public client with the loopback redirect and the four roles.
        assert!(
            text("create-app")
                .contains("--public-client-redirect-uris http://127.0.0.1 http://localhost")
        );
        assert!(text("create-app").contains("--is-fallback-public-client true"));
        for role in ["Console.Admin", "Console.L2", "Console.L1", "Console.NOC"] {
            assert!(text("app-roles").contains(role), "{role}");
        }
        assert!(text("assign-role-l1").contains("appRoleAssignedTo"));
        assert!(text("assign-role-l1").contains("6e4f2b0a-0c1d-4a57-9d2e-1c5a7b3e0a03"));
        assert!(text("purge-protection").contains("--enable-purge-protection true"));
        assert!(text("diagnostics").contains("AuditEvent"));
        assert!(
            guide
                .hardening
                .iter()
                .any(|s| s.text.contains("Entra App Secret"))
        );
    }

    /// What Windows PowerShell 5.1 cannot run: `&&` (PowerShell 7 only), here-documents,
    /// `$(…)` wrapped in Bash quoting, a bare `<` (reserved), a bare leading `@` (splatting),
    /// and JSON with inner quotes handed straight to a native program.
    #[test]
    fn powershell_commands_avoid_what_powershell_5_cannot_run() {
        let guide = setup_guide(&SetupNames::default());
        let commands: Vec<&CliCommand> = guide
            .phases
            .iter()
            .flat_map(|p| p.steps.iter())
            .chain(guide.hardening.iter())
            .flat_map(|s| s.commands.iter())
            .collect();
        assert!(commands.len() >= 15);
        for command in commands {
            let text = &command.powershell;
            assert!(!text.contains("&&"), "{}: {text}", command.id);
            assert!(!text.contains("<<"), "{}: {text}", command.id);
            assert!(!text.contains("$("), "{}: {text}", command.id);
            assert!(!text.contains("cat >"), "{}: {text}", command.id);
            for (at, _) in text.match_indices('<') {
                assert_eq!(
                    &text[at - 1..at],
                    "\"",
                    "{}: unquoted < in {text}",
                    command.id
                );
            }
            for line in text.lines() {
                if line.starts_with("az ") {
                    assert!(
                        !line.contains(" '{") && !line.contains(" '["),
                        "{}: inline JSON in {line}",
                        command.id
                    );
                    assert!(!line.contains(" @"), "{}: bare @ in {line}", command.id);
                }
            }
            // Each variable is looked up before its first use.
            for (variable, lookup) in [
                ("$appId", "$appId = az ad app list"),
                ("$spId", "$spId = az ad sp show"),
                ("$vaultId", "$vaultId = az keyvault show"),
            ] {
                if let Some(first_use) = text.find(variable) {
                    assert_eq!(
                        text.find(lookup),
                        Some(first_use),
                        "{}: {variable}",
                        command.id
                    );
                }
            }
        }
    }

    #[test]
    fn the_default_shell_follows_the_platform() {
        let guide = setup_guide(&SetupNames::default());
        let expected = if cfg!(windows) {
            CommandShell::PowerShell
        } else {
            CommandShell::Posix
        };
        assert_eq!(guide.default_shell, expected);
    }

    #[test]
    fn names_are_filled_in_and_sanitised() {
        let names = SetupNames {
            vault_name: "acme-kv; rm -rf /".into(),
            ..SetupNames::default()
        };
        for shell in [CommandShell::Posix, CommandShell::PowerShell] {
            let text = command_text(&names, "purge-protection", shell).expect("command");
            assert!(text.contains("--name acme-kvrm-rf"));
            assert!(!text.contains(';'));
            assert!(command_text(&names, "no-such-command", shell).is_none());
        }
    }
}
