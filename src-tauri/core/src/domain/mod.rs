//! Domain logic with no Tauri imports: the catalog, key records and status rules, secret values,
//! validation, roles, the value generator and expiry reminders.

pub mod app_credentials;
pub mod catalog;
pub mod connection;
pub mod custom_vendor;
pub mod generator;
pub mod identity;
pub mod key_detail;
pub mod key_value;
pub mod keys;
pub mod policy;
pub mod policy_template;
pub mod reminders;
pub mod secret;
pub mod status;
pub mod validation;
pub mod vault_objects;
