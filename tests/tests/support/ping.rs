//! The vendor test ping against the local HTTPS vendor stub: catalog vendors moved onto the
//! stub's host, their keys as parts, the requests the stub recorded.

use std::collections::BTreeMap;

use akv_core::domain::catalog::{Vendor, vendor};
use akv_core::domain::key_value::KeyParts;
use akv_core::domain::secret::SecretValue;
use akv_core::ping::target::fill;
use akv_core::ping::{PingClient, PingOutcome, PingReport, PingTarget, ping};
use akv_tests::vendor_stub::{RecordedRequest, VendorStub};

pub fn catalog(id: &str) -> &'static Vendor {
    vendor(id).unwrap_or_else(|| panic!("{id} is in the catalog"))
}

/// A URL template moved onto the stub: same path and query, stub host.
pub fn on_stub(stub: &VendorStub, template: &str, fields: &BTreeMap<String, String>) -> String {
    let mut filled = fill(template, fields);
    for placeholder in ["{tenant}", "{server}", "{region}"] {
        filled = filled.replace(placeholder, "acme.example");
    }
    let parsed = url::Url::parse(&filled).expect("template is a URL");
    let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
    format!(
        "{}{}{query}",
        stub.base_url(),
        parsed.path().trim_end_matches('/')
    )
}

pub fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn client(stub: &VendorStub) -> PingClient {
    PingClient::new(Some(&stub.ca_pem()))
        .and_then(PingClient::allowing_private_addresses_for_tests)
        .expect("client")
}

pub fn parts(vendor: &Vendor, named: &[(&str, &str)]) -> KeyParts {
    KeyParts::from_named(
        vendor,
        named
            .iter()
            .map(|(id, v)| (*id, SecretValue::new(*v)))
            .collect(),
    )
}

pub async fn run_with(
    stub: &VendorStub,
    vendor: &'static Vendor,
    field_values: &[(&str, &str)],
    key: &[(&str, &str)],
) -> PingReport {
    let values = fields(field_values);
    let endpoint = on_stub(stub, &vendor.endpoint, &values);
    let token_url = vendor.auth.token_url().map(|t| on_stub(stub, t, &values));
    let target = PingTarget::new(vendor, endpoint, token_url).with_fields(&values);
    ping(&client(stub), &target, &parts(vendor, key)).await
}

pub async fn run(stub: &VendorStub, vendor: &'static Vendor, key: &[(&str, &str)]) -> PingReport {
    run_with(stub, vendor, &[], key).await
}

pub fn last(stub: &VendorStub, method: &str) -> RecordedRequest {
    stub.requests()
        .into_iter()
        .rev()
        .find(|r| r.method == method)
        .unwrap_or_else(|| panic!("a {method} reached the stub"))
}

pub fn form(request: &RecordedRequest) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A wrong key is the named "rejected" outcome with its hint, from the vendor's 401.
pub fn assert_refused(report: &PingReport) {
    assert_eq!(report.outcome, PingOutcome::Rejected, "{report:?}");
    assert_eq!(report.status, Some(401));
    assert_eq!(report.message, "The vendor rejected the key (401).");
    assert!(report.hint.contains("revoked or regenerated"), "{report:?}");
}
