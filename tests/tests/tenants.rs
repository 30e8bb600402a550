//! One sign-in for every client tenant (issue 20 §1), against the emulator's Entra: the console's
//! app is multi-tenant in the MSP's home tenant and consented in each client tenant, where the
//! technician is a B2B guest. One interactive sign-in at home, then one refresh-token redemption
//! per client tenant (counted at the emulator), each token the guest's in that tenant, the console
//! role still the home one. A tenant that needs the technician in person fails alone, named.

mod support;

use akv_core::error::ErrorCode;
use akv_core::signin::SignInMethod;
use akv_tests::emulator::{
    CONSOLE_ADMIN, DEFAULT_TENANT, Fault, GrantType, RouteKind, VAULT_RESOURCE, jwt_claims,
};
use support::msp::{ADA, CONSOLE_CLIENT, client_tenant, msp_emulator, sign_in_at_home};
use support::msp_vaults::{connect, msp_with_token_lifetime, msp_with_vaults};

fn vault_scope() -> String {
    format!("{VAULT_RESOURCE}/.default")
}

fn console_pc(
    entra: &akv_tests::emulator::Emulator,
    dir: &std::path::Path,
) -> std::sync::Arc<akv_core::session::AppCore> {
    support::msp_vaults::console_pc(entra, dir, support::fast_options())
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

/// The redemptions for different client tenants overlap (the refresh token is not locked while a
/// request is out: Entra keeps a used refresh token valid), and several asks for one tenant's
/// scope at once cost one request. No timing is asserted: every token answer is held back 300 ms
/// and the emulator reports how many it was answering at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_tenants_redeem_in_parallel_and_one_tenant_asked_thrice_costs_one_request() {
    let emulator = msp_emulator(20).await;
    let home = sign_in_at_home(&emulator).await;
    let refreshes_before = emulator.grant_count(GrantType::RefreshToken);
    emulator.inject_fault(
        Fault::latency(std::time::Duration::from_millis(300)).on_route(RouteKind::Token),
    );
    emulator.take_peak_concurrent_token_requests();

    let scope = vault_scope();
    // Tenant 0 is asked three times at once (a vault's secrets, certificates and keys clients).
    let asks = (0..20).chain([0, 0]).map(|index| {
        let tenant_credential = home.for_tenant(&client_tenant(index));
        let scope = scope.clone();
        async move { tenant_credential.access_token(&[scope.as_str()]).await }
    });
    for token in futures::future::join_all(asks).await {
        token.expect("each client tenant gives a token");
    }
    let peak = emulator.take_peak_concurrent_token_requests();
    assert!(
        peak >= 10,
        "client tenants redeemed one after another (at most {peak} at once)"
    );
    assert_eq!(
        emulator.grant_count(GrantType::RefreshToken) - refreshes_before,
        20,
        "one token request per client tenant, however often it was asked"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_clients_in_twenty_tenants_connect_with_one_interactive_sign_in() {
    let msp = msp_with_vaults(20).await;
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path());
    msp.entra.set_interactive_user(Some(ADA));

    // The first client signs in at home; the other nineteen connect in parallel on that sign-in.
    connect(&core, &msp, 0)
        .await
        .expect("the first client connects after the one sign-in");
    let results = futures::future::join_all((1..20).map(|index| connect(&core, &msp, index))).await;
    for (index, result) in results.iter().enumerate() {
        assert!(
            result.is_ok(),
            "client {}: {:?}",
            index + 1,
            result.as_ref().err()
        );
    }
    let status = core.status().await;
    assert_eq!(status.connected, 20, "{:?}", status.badge);
    assert_eq!(
        msp.entra.grant_count(GrantType::AuthorizationCode),
        1,
        "one interactive sign-in"
    );
    // Per client tenant: one token for its vault and one for its Graph (the app registrations'
    // credentials are read with each listing).
    assert_eq!(
        msp.entra.grant_count(GrantType::RefreshToken),
        40,
        "one token request per client tenant and resource"
    );
    // Each vault saw its own tenant's guest, and the console role is the home sign-in's.
    for client in &status.clients {
        let operator = client.operator.as_ref().expect("signed in");
        assert_eq!(operator.upn.as_deref(), Some(ADA));
        assert_eq!(
            operator.role,
            Some(akv_core::domain::policy::Role::Admin),
            "{}",
            client.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_tenant_demanding_mfa_fails_on_its_own_client_and_the_others_connect() {
    let msp = msp_with_vaults(5).await;
    msp.entra.require_mfa_in_tenant(&client_tenant(2));
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path());
    msp.entra.set_interactive_user(Some(ADA));
    let results = futures::future::join_all((0..5).map(|index| connect(&core, &msp, index))).await;
    let codes: Vec<Option<ErrorCode>> = results
        .iter()
        .map(|result| result.as_ref().err().map(|error| error.code))
        .collect();
    assert_eq!(
        codes,
        vec![
            None,
            None,
            Some(ErrorCode::TenantSignInRequired),
            None,
            None
        ]
    );
    let status = core.status().await;
    assert_eq!(status.connected, 4);
    // The new client stays in the list with its tenant's error, so its row offers Sign in to
    // this tenant (the Connect modal showed the same error).
    let mfa = results[2].as_ref().expect_err("mfa");
    assert!(mfa.message.contains(&client_tenant(2)), "{mfa:?}");
    let row = status
        .clients
        .iter()
        .find(|client| client.settings.tenant_id == client_tenant(2))
        .expect("the refused client is listed");
    assert_eq!(
        row.error.as_ref().map(|error| error.code),
        Some(ErrorCode::TenantSignInRequired)
    );
    // Five clients in parallel meant one browser sign-in.
    assert_eq!(msp.entra.grant_count(GrantType::AuthorizationCode), 1);
    let status = core
        .sign_in_to_tenant(&row.id, SignInMethod::Browser)
        .await
        .expect("signed in to that tenant");
    assert_eq!(status.connected, 5);
    assert_eq!(msp.entra.grant_count(GrantType::AuthorizationCode), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_to_this_tenant_satisfies_its_mfa_and_keeps_the_home_role() {
    // Every token is renewed on use, so the tenant's new Conditional Access applies at once.
    let msp = msp_with_token_lifetime(3, 120).await;
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path());
    msp.entra.set_interactive_user(Some(ADA));
    for index in 0..3 {
        connect(&core, &msp, index).await.expect("connects");
    }
    let status = core.status().await;
    let mfa_client = status
        .clients
        .iter()
        .find(|client| client.settings.tenant_id == client_tenant(1))
        .map(|client| client.id.clone())
        .expect("listed");

    // The tenant turns on Conditional Access; the client's next connect needs Ada in person.
    msp.entra.require_mfa_in_tenant(&client_tenant(1));
    core.disconnect_client(&mfa_client)
        .await
        .expect("disconnect");
    let refused = core.connect_client(&mfa_client).await.expect_err("mfa");
    assert_eq!(refused.code, ErrorCode::TenantSignInRequired);
    let status = core.status().await;
    assert_eq!(status.connected, 2, "the other clients stay connected");
    let row = status
        .clients
        .iter()
        .find(|client| client.id == mfa_client)
        .expect("listed");
    assert_eq!(
        row.error.as_ref().map(|error| error.code),
        Some(ErrorCode::TenantSignInRequired),
        "the failure shows on that client's row"
    );

    // One click: an interactive sign-in at that tenant, Ada preselected.
    let status = core
        .sign_in_to_tenant(&mfa_client, SignInMethod::Browser)
        .await
        .expect("signed in to the tenant");
    assert_eq!(status.connected, 3);
    assert_eq!(msp.entra.grant_count(GrantType::AuthorizationCode), 2);
    let row = status
        .clients
        .iter()
        .find(|client| client.id == mfa_client)
        .expect("listed");
    let operator = row.operator.as_ref().expect("signed in");
    assert_eq!(
        operator.role,
        Some(akv_core::domain::policy::Role::Admin),
        "the role is still the home sign-in's"
    );
    // A client not reached through a home tenant has nothing to sign in to.
    assert!(
        core.sign_in_to_tenant("no-such-client", SignInMethod::Browser)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_without_consent_shows_the_admin_consent_link_on_its_row() {
    let msp = msp_with_token_lifetime(2, 120).await;
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path());
    msp.entra.set_interactive_user(Some(ADA));
    for index in 0..2 {
        connect(&core, &msp, index).await.expect("connects");
    }
    let id = core
        .status()
        .await
        .clients
        .iter()
        .find(|client| client.settings.tenant_id == client_tenant(1))
        .map(|client| client.id.clone())
        .expect("listed");
    // The client's admin removes the console's app from their tenant.
    msp.entra
        .withdraw_consent(&client_tenant(1), CONSOLE_CLIENT);
    core.disconnect_client(&id).await.expect("disconnect");
    let refused = core.connect_client(&id).await.expect_err("no consent");
    assert_eq!(refused.code, ErrorCode::TenantConsentRequired);
    let status = core.status().await;
    let row = status
        .clients
        .iter()
        .find(|client| client.id == id)
        .expect("listed");
    let link = row
        .consent_link
        .as_deref()
        .expect("a consent link on the row");
    assert!(
        link.starts_with(&format!(
            "{}/{}/v2.0/adminconsent?client_id={CONSOLE_CLIENT}",
            msp.entra.authority_host(),
            client_tenant(1)
        )),
        "{link}"
    );
    // The other client never had a link, and the consent is noticed on the next try.
    assert!(
        status
            .clients
            .iter()
            .filter(|c| c.id != id)
            .all(|c| c.consent_link.is_none())
    );
    msp.entra
        .consent_in_tenant(&client_tenant(1), CONSOLE_CLIENT)
        .expect("the admin consents");
    let status = core.connect_client(&id).await.expect("connects again");
    assert_eq!(status.connected, 2);
}
