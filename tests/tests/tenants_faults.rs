//! A client tenant's token endpoint misbehaving, as an MSP sees it in the morning (issue 20):
//! Entra answering 503 or 429 for one tenant, or a guest just invited whose access has not
//! replicated yet (AADSTS50020 for a while). Each failure shows on that client only, named; the
//! other clients connect; a retry later succeeds.

mod support;

use std::sync::Arc;
use std::time::Duration;

use akv_core::error::ErrorCode;
use akv_core::session::{AppCore, AppStatus};
use akv_tests::emulator::{Fault, GrantType, RouteKind};
use support::msp_vaults::{ADA, Msp, client_tenant, connect, console_pc, msp_with_vaults};

async fn connect_all(core: &Arc<AppCore>, msp: &Msp, count: usize) -> Vec<Option<ErrorCode>> {
    // The first client signs in at home; the others connect in parallel on that sign-in.
    let mut codes = vec![connect(core, msp, 0).await.err().map(|e| e.code)];
    let rest = futures::future::join_all((1..count).map(|index| connect(core, msp, index))).await;
    codes.extend(rest.into_iter().map(|r| r.err().map(|e| e.code)));
    codes
}

fn row_of(status: &AppStatus, index: usize) -> &akv_core::session::ClientStatus {
    status
        .clients
        .iter()
        .find(|client| client.settings.tenant_id == client_tenant(index))
        .expect("the client is listed")
}

async fn console(msp: &Msp, dir: &std::path::Path) -> Arc<AppCore> {
    let core = console_pc(&msp.entra, dir, support::fast_options());
    msp.entra.set_interactive_user(Some(ADA));
    core
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_endpoint_answering_503_fails_its_client_alone_and_a_retry_connects() {
    let msp = msp_with_vaults(4).await;
    // Tenant 2's token endpoint is down for longer than the console's retries last.
    msp.entra.inject_fault(
        Fault::server_error(503)
            .on_route(RouteKind::Token)
            .for_tenant(&client_tenant(2))
            .times(20),
    );
    let dir = tempfile::tempdir().expect("dir");
    let core = console(&msp, dir.path()).await;
    let codes = connect_all(&core, &msp, 4).await;
    assert_eq!(
        codes,
        vec![None, None, Some(ErrorCode::ServiceUnavailable), None],
        "only tenant 2's client fails"
    );
    let status = core.status().await;
    assert_eq!(status.connected, 3);
    let row = row_of(&status, 2);
    let error = row.error.as_ref().expect("the row shows why");
    assert!(
        error.message.contains(&client_tenant(2)) && !error.hint.is_empty(),
        "{error:?}"
    );

    // Entra is back: Connect on that row works, nothing else is asked of the technician.
    msp.entra.clear_faults();
    let status = core.connect_client(&row.id.clone()).await.expect("retry");
    assert_eq!(status.connected, 4);
    assert_eq!(msp.entra.grant_count(GrantType::AuthorizationCode), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_503_or_429_at_a_tenant_endpoint_is_retried_without_the_technician() {
    let msp = msp_with_vaults(3).await;
    msp.entra.inject_fault(
        Fault::server_error(503)
            .on_route(RouteKind::Token)
            .for_tenant(&client_tenant(1))
            .times(1),
    );
    msp.entra.inject_fault(
        Fault::throttle(1)
            .on_route(RouteKind::Token)
            .for_tenant(&client_tenant(2))
            .times(1),
    );
    let dir = tempfile::tempdir().expect("dir");
    let core = console(&msp, dir.path()).await;
    let started = std::time::Instant::now();
    let codes = connect_all(&core, &msp, 3).await;
    assert_eq!(codes, vec![None, None, None]);
    assert_eq!(core.status().await.connected, 3);
    // The 429's Retry-After (1 s) was honoured, not hammered through.
    assert!(started.elapsed() >= Duration::from_secs(1));
    // Each client tenant redeems the home sign-in twice: its vault and its Graph (app
    // registrations' credentials).
    assert_eq!(msp.entra.grant_count(GrantType::RefreshToken), 6);
    assert_eq!(
        msp.entra.request_count(RouteKind::Token),
        1 + 6 + 2,
        "the home code, two redemptions per client tenant, one retry each for the two faults"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_throttling_for_longer_is_named_on_its_client_with_its_retry_after() {
    let msp = msp_with_vaults(3).await;
    msp.entra.inject_fault(
        Fault::throttle(30)
            .on_route(RouteKind::Token)
            .for_tenant(&client_tenant(1)),
    );
    let dir = tempfile::tempdir().expect("dir");
    let core = console(&msp, dir.path()).await;
    let started = std::time::Instant::now();
    let codes = connect_all(&core, &msp, 3).await;
    assert_eq!(codes, vec![None, Some(ErrorCode::Throttled), None]);
    // A 30-second Retry-After is not waited out in the connect: the row says when to retry.
    assert!(started.elapsed() < Duration::from_secs(20));
    let status = core.status().await;
    let error = row_of(&status, 1).error.clone().expect("named on the row");
    assert!(error.message.contains(&client_tenant(1)), "{error:?}");
    assert!(error.hint.contains("30"), "{error:?}");
    msp.entra.clear_faults();
    let id = row_of(&status, 1).id.clone();
    assert_eq!(core.connect_client(&id).await.expect("retry").connected, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_whose_access_is_still_propagating_is_named_and_connects_later() {
    let mut msp = msp_with_vaults(2).await;
    // A third client whose guest invitation was accepted a moment ago.
    msp.add_client_tenant(Some(Duration::from_secs(3))).await;
    let dir = tempfile::tempdir().expect("dir");
    let core = console(&msp, dir.path()).await;
    let codes = connect_all(&core, &msp, 3).await;
    assert_eq!(codes, vec![None, None, Some(ErrorCode::NotInTenant)]);
    let status = core.status().await;
    let row = row_of(&status, 2);
    let error = row.error.as_ref().expect("named");
    assert!(
        error.hint.contains("invit") && error.hint.contains("minutes"),
        "the hint says a new guest's access can take a few minutes: {error:?}"
    );
    let id = row.id.clone();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(core.connect_client(&id).await.expect("later").connected, 3);
}
