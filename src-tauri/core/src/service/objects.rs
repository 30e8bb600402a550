//! The Vault tab's certificates, keys and app credentials: rows and per-kind refusals, from the snapshot (no
//! request of its own). Read-only: nothing here needs, or offers, private material.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::Console;
use crate::domain::app_credentials::{
    APP_SECRET_CONNECTOR, AppCredentialInfo, CredentialType, KeyLink, links_text,
};
use crate::domain::keys::KeyRecord;
use crate::domain::vault_objects::{
    CertificateInfo, CryptoKeyInfo, KindListing, ObjectCounts, ObjectFacts, ObjectKind,
    ObjectListing,
};
use crate::error::AppError;

/// One certificate or key as the Vault tab, the CSV, the PDF and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectRow {
    pub client_id: String,
    pub client_name: String,
    pub kind: ObjectKind,
    pub name: String,
    pub enabled: bool,
    pub facts: ObjectFacts,
    /// Certificates: "Self", "DigiCert", "Unknown (manual)", or "—" when the policy was not
    /// read (far from expiry). Keys: "—".
    pub issuer: String,
    /// Certificates: the lifetime actions ("AutoRenew 30 days before expiry"); keys: the type
    /// and size ("RSA-HSM 3072 bits") where known.
    pub detail: String,
    /// Keys whose `detail` is "—": why (not read yet, or the read was refused, with the reason).
    pub detail_note: Option<String>,
    pub subject: Option<String>,
    pub not_before: Option<String>,
    /// SHA-1 thumbprint (hex), certificates only; an app's certificate credential's
    /// `customKeyIdentifier`.
    pub thumbprint: Option<String>,
    /// App credentials: the application (client) id.
    pub app_id: Option<String>,
    /// App credentials: the console keys holding its secret, "rotated by the console: key
    /// <name>" where the key's vendor rotates it through Graph, "kept in key <name> (rotated by
    /// hand)" otherwise (see [`links_text`]).
    pub linked_key: Option<String>,
}

/// One kind's rows, counts, and the refusal if the vault would not list it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectKindView {
    pub rows: Vec<ObjectRow>,
    pub counts: ObjectCounts,
    /// Per client that refused this kind: its name and the named error.
    pub refused: Vec<ObjectRefusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectRefusal {
    pub client_id: String,
    pub client_name: String,
    pub error: AppError,
}

/// The Vault tab's "Certificates" and "Keys" sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectsView {
    pub certificates: ObjectKindView,
    pub keys: ObjectKindView,
    /// The client tenant's app registration credentials (read through Graph).
    pub app_credentials: ObjectKindView,
    /// Per client, keys that hold an app registration's secret but cannot be linked to its
    /// credentials yet (saved before the console recorded application ids).
    pub app_link_notes: Vec<String>,
}

fn day(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl ObjectsView {
    /// Add another client's view (the portfolio), most urgent first.
    pub fn add(&mut self, other: ObjectsView) {
        for (mine, theirs) in [
            (&mut self.certificates, other.certificates),
            (&mut self.keys, other.keys),
            (&mut self.app_credentials, other.app_credentials),
        ] {
            mine.rows.extend(theirs.rows);
            mine.rows.sort_by(|a, b| {
                a.facts
                    .urgency
                    .cmp(&b.facts.urgency)
                    .then_with(|| a.client_name.cmp(&b.client_name))
                    .then_with(|| a.name.cmp(&b.name))
            });
            mine.counts.add(&theirs.counts);
            mine.refused.extend(theirs.refused);
        }
        self.app_link_notes.extend(other.app_link_notes);
    }

    /// Every row, certificates first, app credentials last (the CSV, PDF and CLI order).
    pub fn all_rows(&self) -> impl Iterator<Item = &ObjectRow> {
        self.certificates
            .rows
            .iter()
            .chain(self.keys.rows.iter())
            .chain(self.app_credentials.rows.iter())
    }

    /// Every refusal, per kind and client.
    pub fn all_refusals(&self) -> impl Iterator<Item = &ObjectRefusal> {
        self.certificates
            .refused
            .iter()
            .chain(&self.keys.refused)
            .chain(&self.app_credentials.refused)
    }
}

impl Console {
    /// This client's certificates and keys at `now`, from the snapshot.
    pub fn objects_view(&self, now: DateTime<Utc>) -> ObjectsView {
        let mut listing = self.cached_objects();
        let own = self.own_app();
        let own = own
            .as_ref()
            .map(|own| (own.client_id.as_str(), own.tenant_id.as_str()));
        let unrecorded = self.with_keys(|keys| {
            link_keys(&mut listing, own, keys);
            unrecorded_app_keys(&listing, keys)
        });
        let client = self.client();
        let mut view = objects_view(&listing, &client.id, &client.name, now);
        view.app_link_notes
            .extend(unrecorded_note(&client.name, &unrecorded));
        view
    }
}

/// The vendor whose keys are app registration secrets the console rotates through Graph.
const ENTRA_APP_SECRET: &str = "entra-app-secret";

/// Links each app registration's client secrets to the console keys that hold them: keys whose
/// recorded application id (see [`KeyRecord::record_app_id`]) is the credential's app, and, for
/// the console's own app registration (`own`: app id and tenant, app-secret mode) when no key
/// records it, the Entra App Secret keys of its tenant that record no id (saved before ids were
/// recorded; the id is inside the value, which a listing never reads). Certificates are not
/// values a key holds. Display only: a tag anyone with vault write can edit changes this text
/// and nothing else (no status, count, role, action or host reads it).
pub fn link_keys(listing: &mut ObjectListing, own: Option<(&str, &str)>, keys: &[KeyRecord]) {
    let KindListing::Listed(credentials) = &mut listing.app_credentials else {
        return;
    };
    let link = |key: &KeyRecord, guessed: bool| KeyLink {
        secret_name: key.secret_name.clone(),
        rotated_by_console: key
            .vendor()
            .and_then(|v| v.connector.as_deref())
            .is_some_and(|c| c == APP_SECRET_CONNECTOR),
        guessed,
    };
    // Recorded ids are lowercase GUIDs; one lookup per credential (thousands of apps and keys).
    let mut by_app: std::collections::HashMap<&str, Vec<&KeyRecord>> =
        std::collections::HashMap::new();
    for key in keys {
        if let Some(id) = key.settings.app_id.as_deref() {
            by_app.entry(id).or_default().push(key);
        }
    }
    for credential in credentials
        .iter_mut()
        .filter(|c| c.credential_type == CredentialType::Password)
    {
        let app_id = credential.app_id.trim().to_ascii_lowercase();
        let mut links: Vec<KeyLink> = by_app
            .get(app_id.as_str())
            .map(|keys| keys.iter().map(|k| link(k, false)).collect())
            .unwrap_or_default();
        if links.is_empty()
            && let Some((app_id, tenant_id)) = own
            && credential.app_id.eq_ignore_ascii_case(app_id)
        {
            links = keys
                .iter()
                .filter(|k| k.vendor_id == ENTRA_APP_SECRET && k.settings.app_id.is_none())
                .filter(|k| {
                    k.settings
                        .fields
                        .get("tenant")
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case(tenant_id))
                })
                .map(|k| link(k, true))
                .collect();
            // One key of the tenant names the credential for sure.
            if let [one] = links.as_mut_slice() {
                one.guessed = false;
            }
        }
        credential.links = links;
    }
}

/// Keys of app registration vendors (those the Entra app secret connector rotates, whose client
/// id is always an Entra application id) that record no application id and are linked to no
/// credential: saved before the console recorded ids. Only when the tenant's credentials were
/// listed (otherwise there is nothing to link them to).
pub fn unrecorded_app_keys(listing: &ObjectListing, keys: &[KeyRecord]) -> Vec<String> {
    let KindListing::Listed(credentials) = &listing.app_credentials else {
        return Vec::new();
    };
    let mut names: Vec<String> = keys
        .iter()
        .filter(|k| k.settings.app_id.is_none())
        .filter(|k| {
            k.vendor()
                .and_then(|v| v.connector.as_deref())
                .is_some_and(|c| c == APP_SECRET_CONNECTOR)
        })
        .filter(|k| {
            !credentials
                .iter()
                .any(|c| c.links.iter().any(|l| l.secret_name == k.secret_name))
        })
        .map(|k| k.secret_name.clone())
        .collect();
    names.sort_unstable();
    names
}

/// The App credentials view's note on keys it cannot link yet, or `None`.
pub fn unrecorded_note(client_name: &str, names: &[String]) -> Option<String> {
    let (keys, verb) = match names {
        [] => return None,
        [one] => (format!("Key {one}"), "was"),
        several => (format!("Keys {}", several.join(", ")), "were"),
    };
    Some(format!(
        "{client_name}: {keys} {verb} saved before the console recorded application (client) IDs, so no app credential names {} yet. Rotate {} (or Rotate at vendor) to record it; the value itself is never read for this.",
        if names.len() == 1 { "it" } else { "them" },
        if names.len() == 1 { "it" } else { "each" },
    ))
}

/// The detail panel's line on the app registration credential a key holds, by the key's recorded
/// application id: each client secret of that app in the tenant with its end and status, or why
/// none is shown.
pub fn app_credential_text(
    key: &KeyRecord,
    listing: &ObjectListing,
    now: DateTime<Utc>,
) -> Option<String> {
    let app_id = key.settings.app_id.as_deref()?;
    let credentials = match &listing.app_credentials {
        KindListing::Listed(credentials) => credentials,
        KindListing::Refused(error) => {
            return Some(format!(
                "Application (client) ID {app_id}; this tenant's app credentials could not be read ({}).",
                error.message
            ));
        }
    };
    let mut secrets: Vec<&AppCredentialInfo> = credentials
        .iter()
        .filter(|c| c.credential_type == CredentialType::Password)
        .filter(|c| c.app_id.trim().eq_ignore_ascii_case(app_id))
        .collect();
    if secrets.is_empty() {
        return Some(format!(
            "Application (client) ID {app_id}: no client secret of this app registration is listed in this client's tenant (it may be registered in another tenant)."
        ));
    }
    secrets.sort_by_key(|c| c.end);
    let listed: Vec<String> = secrets
        .iter()
        .map(|c| {
            let facts = c.dates().facts(now);
            let name = c.object_name();
            match c.end {
                Some(end) => format!("{name} ends {} ({})", day(end), facts.status_text),
                None => format!("{name}, no end date"),
            }
        })
        .collect();
    Some(format!(
        "Application (client) ID {app_id}: {}",
        listed.join("; ")
    ))
}

/// The rows of one client's listing.
pub fn objects_view(
    listing: &ObjectListing,
    client_id: &str,
    client_name: &str,
    now: DateTime<Utc>,
) -> ObjectsView {
    let refusal = |error: Option<&AppError>| {
        error
            .map(|error| ObjectRefusal {
                client_id: client_id.to_string(),
                client_name: client_name.to_string(),
                error: error.clone(),
            })
            .into_iter()
            .collect()
    };
    let cert_row = |c: &CertificateInfo| ObjectRow {
        client_id: client_id.to_string(),
        client_name: client_name.to_string(),
        kind: ObjectKind::Certificate,
        name: c.name.clone(),
        enabled: c.enabled,
        facts: c.dates().facts(now),
        issuer: c.issuer_text(),
        detail: c
            .policy
            .as_ref()
            .map_or_else(|| "—".to_string(), |p| p.actions_text()),
        detail_note: None,
        subject: c.policy.as_ref().and_then(|p| p.subject.clone()),
        not_before: c.not_before.map(day),
        thumbprint: c.thumbprint.clone(),
        app_id: None,
        linked_key: None,
    };
    let key_row = |k: &CryptoKeyInfo| ObjectRow {
        client_id: client_id.to_string(),
        client_name: client_name.to_string(),
        kind: ObjectKind::Key,
        name: k.name.clone(),
        enabled: k.enabled,
        facts: k.dates().facts(now),
        issuer: "—".to_string(),
        detail: k.type_text(),
        detail_note: k.key_type.is_none().then(|| {
            k.detail_note
                .clone()
                .unwrap_or_else(|| crate::domain::key_detail::NOT_READ_YET.to_string())
        }),
        subject: None,
        not_before: k.not_before.map(day),
        thumbprint: None,
        app_id: None,
        linked_key: None,
    };
    let app_row = |a: &AppCredentialInfo| ObjectRow {
        client_id: client_id.to_string(),
        client_name: client_name.to_string(),
        kind: ObjectKind::AppCredential,
        name: a.app_name.clone(),
        enabled: true,
        facts: a.dates().facts(now),
        // The PDF's and CSV's second column: the credential's type.
        issuer: a.credential_type.label().to_string(),
        detail: a.credential_text(),
        detail_note: None,
        subject: None,
        not_before: a.start.map(day),
        thumbprint: a.thumbprint.clone(),
        app_id: Some(a.app_id.clone()),
        linked_key: links_text(&a.links),
    };
    let mut view = ObjectsView {
        certificates: ObjectKindView {
            rows: listing.certificates.items().iter().map(cert_row).collect(),
            counts: listing.certificate_counts(now),
            refused: refusal(listing.certificates.refused()),
        },
        keys: ObjectKindView {
            rows: listing.keys.items().iter().map(key_row).collect(),
            counts: listing.key_counts(now),
            refused: refusal(listing.keys.refused()),
        },
        app_credentials: ObjectKindView {
            rows: listing
                .app_credentials
                .items()
                .iter()
                .map(app_row)
                .collect(),
            counts: listing.app_credential_counts(now),
            refused: refusal(listing.app_credentials.refused()),
        },
        app_link_notes: Vec::new(),
    };
    for kind in [
        &mut view.certificates,
        &mut view.keys,
        &mut view.app_credentials,
    ] {
        kind.rows.sort_by(|a, b| {
            a.facts
                .urgency
                .cmp(&b.facts.urgency)
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::tests::{at, record};

    const GRAPH_APP: &str = "6f1b2c3d-0000-4000-8000-00000000ab01";
    const DEFENDER_APP: &str = "6f1b2c3d-0000-4000-8000-00000000ab02";
    const OTHER_APP: &str = "6f1b2c3d-0000-4000-8000-00000000ab03";
    const OWN_APP: &str = "6f1b2c3d-0000-4000-8000-00000000ab04";
    const TENANT: &str = "7e7e7e7e-1111-4222-8333-444444444444";

    fn secret(app_name: &str, app_id: &str, end_day: u32) -> AppCredentialInfo {
        AppCredentialInfo {
            app_name: app_name.into(),
            app_id: app_id.into(),
            credential_type: CredentialType::Password,
            key_id: format!("{app_id}-key"),
            display_name: Some("prod".into()),
            hint: Some("Q7x".into()),
            thumbprint: None,
            start: None,
            end: Some(at(2026, 12, end_day, 0)),
            links: Vec::new(),
        }
    }

    fn key(name: &str, vendor: &str, app_id: Option<&str>) -> KeyRecord {
        let mut key = record(at(2026, 11, 1, 8), 90, None);
        key.secret_name = name.into();
        key.vendor_id = vendor.into();
        key.settings.app_id = app_id.map(str::to_string);
        key.settings.fields.insert("tenant".into(), TENANT.into());
        key
    }

    fn credentials() -> ObjectListing {
        let mut cert = secret("Reporting", GRAPH_APP, 20);
        cert.credential_type = CredentialType::Certificate;
        ObjectListing {
            app_credentials: KindListing::Listed(vec![
                secret("Reporting", GRAPH_APP, 10),
                cert,
                secret("Defender export", DEFENDER_APP, 25),
                secret("Backup agent", OTHER_APP, 9),
                secret("Console", OWN_APP, 28),
                secret("Unkept", "6f1b2c3d-0000-4000-8000-00000000ab05", 3),
            ]),
            ..Default::default()
        }
    }

    fn links(keys: &[KeyRecord], own: Option<(&str, &str)>) -> Vec<(String, Option<String>)> {
        let mut listing = credentials();
        link_keys(&mut listing, own, keys);
        let view = objects_view(&listing, "c1", "Contoso", at(2026, 12, 1, 12));
        let mut rows: Vec<(String, Option<String>)> = view
            .app_credentials
            .rows
            .iter()
            .map(|r| (format!("{} {}", r.name, r.issuer), r.linked_key.clone()))
            .collect();
        rows.sort();
        rows
    }

    fn link_of(rows: &[(String, Option<String>)], row: &str) -> Option<String> {
        rows.iter()
            .find(|(name, _)| name == row)
            .unwrap_or_else(|| panic!("{row} in {rows:?}"))
            .1
            .clone()
    }

    #[test]
    fn keys_are_linked_by_their_recorded_app_id_with_who_rotates_them() {
        let keys = [
            key(
                "microsoft-graph--reporting",
                "microsoft-graph",
                Some(GRAPH_APP),
            ),
            key("defender-endpoint", "defender-endpoint", Some(DEFENDER_APP)),
            key(
                "entra-app-secret--backup",
                "entra-app-secret",
                Some(OTHER_APP),
            ),
            // Acronis signs in with a client id too, but no connector rotates an Entra secret.
            key("acronis", "acronis", Some(DEFENDER_APP)),
            key("ninjaone", "ninjaone", None),
        ];
        let rows = links(&keys, None);
        assert_eq!(
            link_of(&rows, "Reporting Client secret").as_deref(),
            Some("rotated by the console: key microsoft-graph--reporting")
        );
        assert_eq!(
            link_of(&rows, "Reporting Certificate"),
            None,
            "a certificate is no value a key holds"
        );
        assert_eq!(
            link_of(&rows, "Defender export Client secret").as_deref(),
            Some(
                "rotated by the console: key defender-endpoint; kept in key acronis (rotated by hand)"
            )
        );
        assert_eq!(
            link_of(&rows, "Backup agent Client secret").as_deref(),
            Some("rotated by the console: key entra-app-secret--backup")
        );
        assert_eq!(link_of(&rows, "Unkept Client secret"), None);
        assert_eq!(
            link_of(&rows, "Console Client secret"),
            None,
            "no own app here"
        );
    }

    #[test]
    fn the_console_s_own_secret_is_linked_by_its_id_or_else_by_its_tenant() {
        let own = Some((OWN_APP, TENANT));
        // Saved before ids were recorded: the tenant names it (the old rule), and the note says
        // which keys cannot be linked yet.
        let old = [
            key("entra-app-secret", "entra-app-secret", None),
            key("microsoft-graph", "microsoft-graph", None),
        ];
        let rows = links(&old, own);
        assert_eq!(
            link_of(&rows, "Console Client secret").as_deref(),
            Some("rotated by the console: key entra-app-secret")
        );
        let mut listing = credentials();
        link_keys(&mut listing, own, &old);
        assert_eq!(
            unrecorded_app_keys(&listing, &old),
            vec!["microsoft-graph".to_string()],
            "the own secret's key is linked; the Graph key is not yet"
        );
        assert!(
            unrecorded_note("Contoso", &unrecorded_app_keys(&listing, &old))
                .is_some_and(|n| n.starts_with("Contoso: Key microsoft-graph was saved before"))
        );
        // A key recording the own app decides: another app's key of the same tenant is no
        // longer a candidate.
        let new = [
            key("entra-app-secret", "entra-app-secret", Some(OWN_APP)),
            key(
                "entra-app-secret--backup",
                "entra-app-secret",
                Some(OTHER_APP),
            ),
        ];
        let rows = links(&new, own);
        assert_eq!(
            link_of(&rows, "Console Client secret").as_deref(),
            Some("rotated by the console: key entra-app-secret")
        );
        let mut listing = credentials();
        link_keys(&mut listing, own, &new);
        assert!(unrecorded_app_keys(&listing, &new).is_empty());
        // Two unrecorded keys of the tenant: either may be it.
        let two = [
            key("entra-app-secret", "entra-app-secret", None),
            key("entra-app-secret--b", "entra-app-secret", None),
        ];
        assert_eq!(
            link_of(&links(&two, own), "Console Client secret").as_deref(),
            Some("rotated by the console: one of keys entra-app-secret, entra-app-secret--b")
        );
    }

    #[test]
    fn a_forged_app_id_changes_only_the_link_text() {
        let now = at(2026, 12, 1, 12);
        let honest = [key("microsoft-graph", "microsoft-graph", Some(GRAPH_APP))];
        // Someone with vault write points the key at the backup agent's app instead.
        let forged = [key("microsoft-graph", "microsoft-graph", Some(OTHER_APP))];
        let view = |keys: &[KeyRecord]| {
            let mut listing = credentials();
            link_keys(&mut listing, Some((OWN_APP, TENANT)), keys);
            objects_view(&listing, "c1", "Contoso", now).app_credentials
        };
        let (honest, forged) = (view(&honest), view(&forged));
        assert_eq!(honest.counts, forged.counts);
        assert_eq!(
            honest.counts.due_soon, 3,
            "Reporting, the backup agent and Unkept stay due"
        );
        assert_eq!(honest.rows.len(), forged.rows.len());
        for (h, f) in honest.rows.iter().zip(&forged.rows) {
            assert_eq!(
                (&h.name, &h.facts, &h.detail),
                (&f.name, &f.facts, &f.detail)
            );
        }
        let backup = forged
            .rows
            .iter()
            .find(|r| r.name == "Backup agent")
            .expect("listed");
        assert_eq!(backup.facts.status_text, "Expires in 8 d");
        assert_eq!(
            backup.linked_key.as_deref(),
            Some("rotated by the console: key microsoft-graph")
        );
    }

    #[test]
    fn the_detail_panel_names_the_credential_a_key_holds() {
        let now = at(2026, 12, 1, 12);
        let graph = key("microsoft-graph", "microsoft-graph", Some(GRAPH_APP));
        assert_eq!(
            app_credential_text(&graph, &credentials(), now).as_deref(),
            Some(
                "Application (client) ID 6f1b2c3d-0000-4000-8000-00000000ab01: Reporting / prod [6f1b2c3d] ends 2026-12-10 (Expires in 9 d)"
            )
        );
        let elsewhere = key(
            "defender-endpoint",
            "defender-endpoint",
            Some(OWN_APP.replace("ab04", "ab99").as_str()),
        );
        assert!(
            app_credential_text(&elsewhere, &credentials(), now)
                .is_some_and(|t| t.contains("no client secret of this app registration is listed"))
        );
        assert_eq!(
            app_credential_text(&key("ninjaone", "ninjaone", None), &credentials(), now),
            None
        );
    }
}
