//! Role-policy templates: one client's grants (which of L2, L1 and NOC may use which vendor),
//! saved under a name and applied to many clients at once.
//!
//! Templates live with the installation's settings (`policy-templates.json` next to
//! `config.json`), not in a vault: each client's policy sits in that client's own vault, in
//! that client's tenant, so no vault is shared by every client an MSP looks after. A template
//! is only a starting point an Admin applies; the policy in each vault stays the authority.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::catalog;
use crate::domain::policy::{AccessPolicy, Role};
use crate::error::{AppError, AppResult, ErrorCode};

pub const MAX_TEMPLATES: usize = 50;
pub const MAX_TEMPLATE_NAME_CHARS: usize = 60;
/// The file is read whole; anything larger is not one of ours.
pub const MAX_TEMPLATE_FILE_BYTES: usize = 512 * 1024;

/// Grants of the roles an Admin can narrow (Admin always has every vendor).
pub type Grants = BTreeMap<Role, BTreeSet<String>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTemplate {
    pub name: String,
    pub grants: Grants,
    pub saved_at: DateTime<Utc>,
    pub saved_by: String,
    /// The client whose policy it was saved from.
    pub source_client: String,
}

/// One vendor × role toggle a template turns on or off.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GrantChange {
    pub role: Role,
    pub vendor_id: String,
    pub vendor_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GrantChanges {
    pub added: Vec<GrantChange>,
    pub removed: Vec<GrantChange>,
}

impl GrantChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// "+2 −1 (L1: +NinjaOne, −Atera; NOC: +Huntress)" for the audit note; at most a few
    /// names, so a note never grows past what a row shows.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "no change".to_string();
        }
        let mut parts: Vec<String> = self
            .added
            .iter()
            .map(|g| format!("{} +{}", g.role.label(), g.vendor_name))
            .chain(
                self.removed
                    .iter()
                    .map(|g| format!("{} −{}", g.role.label(), g.vendor_name)),
            )
            .collect();
        let more = parts.len().saturating_sub(6);
        parts.truncate(6);
        if more > 0 {
            parts.push(format!("{more} more"));
        }
        format!(
            "+{} −{} ({})",
            self.added.len(),
            self.removed.len(),
            parts.join(", ")
        )
    }
}

/// The editable roles' grants of a policy, keeping only catalog vendors.
pub fn grants_of(policy: &AccessPolicy) -> Grants {
    Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Admin)
        .map(|role| {
            let vendors = policy
                .grants
                .get(&role)
                .map(|set| {
                    set.iter()
                        .filter(|id| catalog::vendor(id).is_some())
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            (role, vendors)
        })
        .collect()
}

/// What setting `grants` on `policy` turns on and off.
pub fn diff(policy: &AccessPolicy, grants: &Grants) -> GrantChanges {
    let current = grants_of(policy);
    let mut changes = GrantChanges::default();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        let empty = BTreeSet::new();
        let before = current.get(&role).unwrap_or(&empty);
        let after = grants.get(&role).unwrap_or(&empty);
        let change = |id: &String| GrantChange {
            role,
            vendor_id: id.clone(),
            vendor_name: crate::service::vendor_name(id),
        };
        changes.added.extend(after.difference(before).map(change));
        changes.removed.extend(before.difference(after).map(change));
    }
    changes
}

/// Replace the editable roles' grants (the roster, pin and stamp key stay as they are).
pub fn set_grants(policy: &mut AccessPolicy, grants: &Grants) {
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        policy
            .grants
            .insert(role, grants.get(&role).cloned().unwrap_or_default());
    }
}

/// Checks a grant set from any source (the templates file, the page): only L2, L1 and NOC, only
/// catalog vendors.
pub fn validate_grants(grants: &Grants) -> AppResult<()> {
    for (role, vendors) in grants {
        if *role == Role::Admin {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "A template cannot narrow Admin: Admin always has every key.",
                "Save the template again from a client's Distribute tab.",
            ));
        }
        if vendors.len() > catalog::catalog().len() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "The template grants more vendors than the catalog has.",
                "Save the template again from a client's Distribute tab.",
            ));
        }
        if let Some(unknown) = vendors.iter().find(|id| catalog::vendor(id).is_none()) {
            return Err(AppError::new(
                ErrorCode::UnknownVendor,
                format!(
                    "The template names '{}', which is not a vendor of the catalog.",
                    unknown.chars().take(40).collect::<String>()
                ),
                "Save the template again from a client's Distribute tab.",
            ));
        }
    }
    Ok(())
}

pub fn validate_template_name(name: &str) -> AppResult<String> {
    let name = crate::domain::validation::validate_text(
        "templateName",
        "Template name",
        name,
        MAX_TEMPLATE_NAME_CHARS,
    )?;
    if name.is_empty() {
        return Err(AppError::field(
            "templateName",
            "Name the template.",
            "For example \"Standard MSP access\".",
        ));
    }
    Ok(name)
}

/// The templates file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateBook {
    pub templates: Vec<PolicyTemplate>,
}

impl TemplateBook {
    pub fn from_json(text: &str) -> AppResult<TemplateBook> {
        let unreadable = |why: String| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("The saved role-policy templates could not be read ({why})."),
                "Delete policy-templates.json in the console's settings folder and save the templates again.",
            )
        };
        if text.len() > MAX_TEMPLATE_FILE_BYTES {
            return Err(unreadable("the file is too large".into()));
        }
        let book: TemplateBook =
            serde_json::from_str(text).map_err(|e| unreadable(e.to_string()))?;
        if book.templates.len() > MAX_TEMPLATES {
            return Err(unreadable(format!("more than {MAX_TEMPLATES} templates")));
        }
        for template in &book.templates {
            validate_template_name(&template.name).map_err(|e| unreadable(e.message))?;
            validate_grants(&template.grants).map_err(|e| unreadable(e.message))?;
        }
        Ok(book)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn find(&self, name: &str) -> AppResult<&PolicyTemplate> {
        self.templates
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    "That template no longer exists.",
                    "Reload the Distribute tab and pick a template from the list.",
                )
            })
    }

    /// Save (or replace, by name ignoring case) a template.
    pub fn put(&mut self, template: PolicyTemplate) -> AppResult<()> {
        validate_grants(&template.grants)?;
        let full = self.templates.len() >= MAX_TEMPLATES;
        match self
            .templates
            .iter_mut()
            .find(|t| t.name.eq_ignore_ascii_case(&template.name))
        {
            Some(existing) => *existing = template,
            None if full => {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    format!("The console keeps at most {MAX_TEMPLATES} templates."),
                    "Delete a template you no longer use, or save over one with the same name.",
                ));
            }
            None => self.templates.push(template),
        }
        self.templates.sort_by_key(|t| t.name.to_lowercase());
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> AppResult<()> {
        let before = self.templates.len();
        self.templates
            .retain(|t| !t.name.eq_ignore_ascii_case(name.trim()));
        if self.templates.len() == before {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "That template no longer exists.",
                "Reload the Distribute tab.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(grants: Grants) -> PolicyTemplate {
        PolicyTemplate {
            name: "Standard".into(),
            grants,
            saved_at: Utc::now(),
            saved_by: "Dana".into(),
            source_client: "Contoso".into(),
        }
    }

    #[test]
    fn the_diff_names_each_toggle_a_template_turns() {
        let mut policy = AccessPolicy::manual_defaults();
        let mut grants = grants_of(&policy);
        grants
            .entry(Role::L1)
            .or_default()
            .insert("sentinelone".into());
        grants.entry(Role::Noc).or_default().remove("ninjaone");
        let changes = diff(&policy, &grants);
        assert_eq!(changes.added.len(), 1);
        assert_eq!(changes.added[0].role, Role::L1);
        assert_eq!(changes.added[0].vendor_name, "SentinelOne");
        assert_eq!(changes.removed.len(), 1);
        assert_eq!(changes.removed[0].vendor_id, "ninjaone");
        assert!(
            changes.describe().starts_with("+1 −1"),
            "{}",
            changes.describe()
        );
        set_grants(&mut policy, &grants);
        assert!(diff(&policy, &grants).is_empty());
        assert!(policy.allows(Role::L1, "sentinelone"));
        assert!(!policy.allows(Role::Noc, "ninjaone"));
    }

    #[test]
    fn templates_refuse_admin_unknown_vendors_and_a_full_book() {
        let mut admin = Grants::new();
        admin.insert(Role::Admin, BTreeSet::new());
        assert!(validate_grants(&admin).is_err());
        let mut unknown = Grants::new();
        unknown.insert(Role::L1, ["not-a-vendor".to_string()].into());
        assert_eq!(
            validate_grants(&unknown).expect_err("unknown").code,
            ErrorCode::UnknownVendor
        );
        let mut book = TemplateBook::default();
        for i in 0..MAX_TEMPLATES {
            let mut t = template(Grants::new());
            t.name = format!("T{i}");
            book.put(t).expect("room");
        }
        assert!(book.put(template(Grants::new())).is_err(), "the 51st");
        let mut again = template(Grants::new());
        again.name = "t0".into();
        book.put(again).expect("same name replaces");
        // A hand-edited file that grants an unknown vendor is refused as a whole.
        let mut bad = TemplateBook::default();
        bad.templates.push(template(unknown));
        assert!(TemplateBook::from_json(&bad.to_json()).is_err());
        assert!(validate_template_name("   ").is_err());
    }
}
