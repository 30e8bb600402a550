//! One sign-in for every client tenant (issue 20 §1), against the emulator's Entra: the console's
//! app is multi-tenant in the MSP's home tenant and consented in each client tenant, where the
//! technician is a B2B guest. One interactive sign-in at home, then one refresh-token redemption
//! per client tenant (counted at the emulator), each token the guest's in that tenant, the console
//! role still the home one. A tenant that needs the technician in person fails alone, named.

use std::sync::Arc;

use akv_core::error::ErrorCode;
use akv_core::signin::{self, SignInCancel, SignInMethod, SignInTarget, SignInUi, UserCredential};
use akv_tests::emulator::{
    CONSOLE_ADMIN, DEFAULT_TENANT, Emulator, EmulatorConfig, GrantType, PublicClient, TestUser,
    VAULT_RESOURCE, jwt_claims,
};

const CONSOLE_CLIENT: &str = "33333333-3333-4333-8333-333333333333";
const ADA: &str = "ada@msp.example";

fn client_tenant(index: usize) -> String {
    format!("{index:08x}-0000-4000-8000-{index:012x}")
}

fn vault_scope() -> String {
    format!("{VAULT_RESOURCE}/.default")
}

/// Follows the sign-in page like a browser whose user is already signed in.
struct FollowingBrowser {
    client: reqwest::Client,
}

impl SignInUi for FollowingBrowser {
    fn open_browser(&self, url: &str) -> Result<(), String> {
        let client = self.client.clone();
        let url = url.to_string();
        tokio::spawn(async move {
            let _ = client.get(url).send().await;
        });
        Ok(())
    }

    fn show_device_code(&self, _prompt: &signin::DeviceCodePrompt) {}
}

async fn msp_emulator(client_tenants: usize) -> Emulator {
    let emulator = Emulator::start(EmulatorConfig {
        public_clients: vec![PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT)],
        users: vec![
            TestUser::new(DEFAULT_TENANT, ADA, "Ada Admin")
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
        ],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    emulator
        .make_multi_tenant(DEFAULT_TENANT, CONSOLE_CLIENT)
        .expect("multi-tenant app");
    for index in 0..client_tenants {
        let tenant = client_tenant(index);
        emulator
            .consent_in_tenant(&tenant, CONSOLE_CLIENT)
            .expect("consent");
        emulator.add_guest(&tenant, ADA).expect("guest");
    }
    emulator
}

fn target(emulator: &Emulator) -> SignInTarget {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("ca");
    SignInTarget {
        authority_host: emulator.authority_host(),
        tenant_id: DEFAULT_TENANT.to_string(),
        client_id: CONSOLE_CLIENT.to_string(),
        vault_scope: vault_scope(),
        http: reqwest::Client::builder()
            .tls_certs_merge([ca])
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http"),
    }
}

async fn sign_in_at_home(emulator: &Emulator) -> Arc<UserCredential> {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("ca");
    let browser = FollowingBrowser {
        client: reqwest::Client::builder()
            .tls_certs_merge([ca])
            .build()
            .expect("browser"),
    };
    emulator.set_interactive_user(Some(ADA));
    signin::sign_in(
        &target(emulator),
        SignInMethod::Browser,
        &browser,
        &SignInCancel::default(),
    )
    .await
    .expect("one interactive sign-in at home")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sign_in_reaches_twenty_client_tenants_with_one_token_request_each() {
    let emulator = msp_emulator(20).await;
    let home = sign_in_at_home(&emulator).await;
    assert_eq!(emulator.grant_count(GrantType::AuthorizationCode), 1);
    let refreshes_before = emulator.grant_count(GrantType::RefreshToken);
    let home_user = home.user();
    assert_eq!(home_user.tenant_id, DEFAULT_TENANT);

    let scope = vault_scope();
    let tokens = futures::future::join_all((0..20).map(|index| {
        let tenant_credential = home.for_tenant(&client_tenant(index));
        let scope = scope.clone();
        async move { tenant_credential.access_token(&[scope.as_str()]).await }
    }))
    .await;

    for (index, token) in tokens.iter().enumerate() {
        let (token, _) = token.as_ref().expect("each client tenant gives a token");
        let claims = jwt_claims(token.expose()).expect("a JWT");
        assert_eq!(
            claims["tid"],
            client_tenant(index),
            "token {index} is that tenant's"
        );
        assert_ne!(
            claims["oid"], home_user.oid,
            "the guest object, not the home account"
        );
        assert_eq!(claims["appid"], CONSOLE_CLIENT);
        assert_eq!(claims["aud"], VAULT_RESOURCE);
    }
    assert_eq!(
        emulator.grant_count(GrantType::RefreshToken) - refreshes_before,
        20,
        "one token request per client tenant"
    );
    assert_eq!(
        emulator.grant_count(GrantType::AuthorizationCode),
        1,
        "no second browser sign-in"
    );

    // Tokens are kept until they near expiry: asking again costs nothing.
    for index in 0..20 {
        home.for_tenant(&client_tenant(index))
            .access_token(&[scope.as_str()])
            .await
            .expect("cached");
    }
    assert_eq!(
        emulator.grant_count(GrantType::RefreshToken) - refreshes_before,
        20
    );

    // The console role is the home sign-in's, whatever the client tenants said.
    assert_eq!(home.user().tenant_id, DEFAULT_TENANT);
    assert_eq!(home.user().roles, vec![CONSOLE_ADMIN.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_needs_the_technician_in_person_fails_alone_and_named() {
    let emulator = msp_emulator(5).await;
    let mfa_tenant = client_tenant(1);
    let unconsented_tenant = client_tenant(90);
    let foreign_tenant = client_tenant(91);
    emulator.require_mfa_in_tenant(&mfa_tenant);
    // A tenant where Ada is a guest but the console's app was never consented.
    emulator.add_guest(&unconsented_tenant, ADA).expect("guest");
    // A tenant that consented to the app, where Ada is nobody.
    emulator
        .consent_in_tenant(&foreign_tenant, CONSOLE_CLIENT)
        .expect("consent");
    let home = sign_in_at_home(&emulator).await;

    let scope = vault_scope();
    let tenants = [
        client_tenant(0),
        mfa_tenant.clone(),
        client_tenant(2),
        unconsented_tenant.clone(),
        foreign_tenant.clone(),
        client_tenant(3),
    ];
    let results = futures::future::join_all(tenants.iter().map(|tenant| {
        let credential = home.for_tenant(tenant);
        let scope = scope.clone();
        async move { credential.access_token(&[scope.as_str()]).await }
    }))
    .await;
    let codes: Vec<Option<ErrorCode>> = results
        .iter()
        .map(|result| result.as_ref().err().map(|error| error.code))
        .collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some(ErrorCode::TenantSignInRequired),
            None,
            Some(ErrorCode::TenantConsentRequired),
            Some(ErrorCode::NotInTenant),
            None,
        ]
    );
    let mfa = results[1].as_ref().expect_err("mfa error");
    assert!(
        mfa.message.contains(&mfa_tenant) && mfa.message.contains("AADSTS50076"),
        "{mfa:?}"
    );
    let consent = results[3].as_ref().expect_err("consent error");
    assert!(
        consent.hint.contains(&format!(
            "{}/{unconsented_tenant}/v2.0/adminconsent?client_id={CONSOLE_CLIENT}",
            emulator.authority_host()
        )),
        "the hint carries the admin consent link: {consent:?}"
    );

    // A refusal rotates nothing: the shared sign-in still reaches the other tenants, and the
    // tenant whose admin has now consented connects on the next try.
    emulator
        .consent_in_tenant(&unconsented_tenant, CONSOLE_CLIENT)
        .expect("admin consents");
    home.for_tenant(&unconsented_tenant)
        .access_token(&[scope.as_str()])
        .await
        .expect("consent noticed on the next try");
    home.for_tenant(&client_tenant(4))
        .access_token(&[scope.as_str()])
        .await
        .expect("the other tenants are unaffected");
}
