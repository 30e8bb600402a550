//! API Key Vault Console's core, with no Tauri dependency: the domain rules (`domain`, `audit`,
//! `report`, `ping`), the stores (`store`: Azure Key Vault through the official SDK, or the
//! in-memory demo), the use cases per tab (`service`) and the app's connection state
//! (`session`). The desktop app's commands and the integration tests both drive it.

pub mod arm;
pub mod audit;
pub mod config;
pub mod connectors;
pub mod domain;
pub mod error;
pub mod files;
pub mod graph;
pub mod installation;
pub mod keychain;
pub mod ping;
pub mod report;
pub mod service;
pub mod session;
pub mod signin;
pub mod store;
#[cfg(test)]
mod test_support;
