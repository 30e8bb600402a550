//! Test support for API Key Vault Console: a local Azure Key Vault + Entra emulator, an
//! HTTPS stub standing in for vendor APIs, and the TLS tooling both use.

pub mod e2e;
pub mod emulator;
pub mod tls;
pub mod vendor_stub;
