//! Custom vendors of the vaults this process is connected to, keyed by vault ("scope").
//!
//! Key records name their vendor by id and are read in many places without their session, so
//! the lookup is process-wide. Two vaults may define the same id differently: then the id
//! resolves to nothing (its keys list as of an unknown vendor and nothing is sent anywhere),
//! never to the other vault's definition. Definitions are interned for the process's life
//! (bounded by 50 per vault and by how often Admins edit them).
use crate::domain::catalog::Vendor;
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

type Scopes = BTreeMap<String, Vec<&'static Vendor>>;

fn scopes() -> &'static Mutex<Scopes> {
    static SCOPES: OnceLock<Mutex<Scopes>> = OnceLock::new();
    SCOPES.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn interned() -> &'static Mutex<Vec<&'static Vendor>> {
    static INTERNED: OnceLock<Mutex<Vec<&'static Vendor>>> = OnceLock::new();
    INTERNED.get_or_init(|| Mutex::new(Vec::new()))
}

fn intern(vendor: Vendor) -> &'static Vendor {
    let mut all = interned().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = all.iter().find(|v| ***v == vendor) {
        return found;
    }
    let leaked: &'static Vendor = Box::leak(Box::new(vendor));
    all.push(leaked);
    leaked
}

/// Replace the custom vendors of one vault (an empty list forgets them).
pub fn register(scope: &str, vendors: Vec<Vendor>) {
    let vendors: Vec<&'static Vendor> = vendors.into_iter().map(intern).collect();
    let mut scopes = scopes().lock().unwrap_or_else(|p| p.into_inner());
    if vendors.is_empty() {
        scopes.remove(scope);
    } else {
        scopes.insert(scope.to_string(), vendors);
    }
}

/// The custom vendors of one vault, in the order its document lists them.
pub fn of_scope(scope: &str) -> Vec<&'static Vendor> {
    let scopes = scopes().lock().unwrap_or_else(|p| p.into_inner());
    scopes.get(scope).cloned().unwrap_or_default()
}

pub(crate) fn lookup(id: &str) -> Option<&'static Vendor> {
    let scopes = scopes().lock().unwrap_or_else(|p| p.into_inner());
    let mut found: Option<&'static Vendor> = None;
    for vendor in scopes.values().flatten().filter(|v| v.id == id) {
        match found {
            Some(seen) if seen != *vendor => return None,
            _ => found = Some(vendor),
        }
    }
    found
}
