//! The ARM client against a scripted transport: paging, the guard (foreign `nextLink`, answer
//! size), named refusals, retries and the one token scope.

use super::*;
use crate::arm::{
    KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_SECRETS_USER, PrincipalType, RoleAssignmentRequest,
    role_definition_id,
};
use crate::domain::connection::Cloud;
use crate::test_support::{Script, TOKEN, Tokens, quick_azure, settings};

fn quick() -> ArmOptions {
    ArmOptions {
        azure: quick_azure(),
        ..ArmOptions::default()
    }
}

fn client(script: Arc<Script>, tokens: Arc<Tokens>, options: &ArmOptions) -> ArmClient {
    ArmClient::over(
        tokens,
        "11111111-1111-1111-1111-111111111111",
        &settings(Cloud::AzurePublic),
        script,
        options,
    )
    .expect("client")
}

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-00000000000a";

fn vault_json(name: &str) -> String {
    format!(
        r#"{{"id":"{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{name}","name":"{name}","location":"westeurope","properties":{{"tenantId":"t","vaultUri":"https://{name}.vault.azure.net/","enableRbacAuthorization":true}}}}"#
    )
}

#[tokio::test]
async fn a_listing_follows_next_links_on_the_same_host() {
    let next = format!(
        "https://management.azure.com{SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01&$skiptoken=2"
    );
    let script = Arc::new(
        Script::default()
            .reply(
                200,
                &format!(
                    r#"{{"value":[{},{}],"nextLink":"{next}"}}"#,
                    vault_json("kv-a"),
                    vault_json("kv-b")
                ),
            )
            .reply(200, &format!(r#"{{"value":[{}]}}"#, vault_json("kv-c"))),
    );
    let tokens = Arc::new(Tokens::default());
    let arm = client(script.clone(), tokens.clone(), &quick());
    let vaults = arm
        .list_vaults("00000000-0000-0000-0000-00000000000a")
        .await
        .expect("listed");
    let names: Vec<&str> = vaults.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["kv-a", "kv-b", "kv-c"]);
    assert_eq!(vaults[0].resource_group(), Some("rg"));
    let urls = script.urls();
    assert_eq!(
        urls[0],
        format!(
            "https://management.azure.com{SUB}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01"
        )
    );
    assert_eq!(urls[1], next);
    for auth in script.authorizations() {
        assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    }
    let asked = tokens.asked();
    assert!(!asked.is_empty());
    assert!(
        asked
            .iter()
            .all(|scope| scope == "https://management.azure.com/.default"),
        "only ARM's scope is asked: {asked:?}"
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_unsent() {
    let script = Arc::new(Script::default().reply(
        200,
        &format!(
            r#"{{"value":[{}],"nextLink":"https://collector.evil.example/steal?page=2"}}"#,
            vault_json("kv-a")
        ),
    ));
    let arm = client(script.clone(), Arc::new(Tokens::default()), &quick());
    let error = arm
        .list_vaults("00000000-0000-0000-0000-00000000000a")
        .await
        .expect_err("refused");
    assert_eq!(error.code, ErrorCode::UntrustedServer);
    assert!(
        error.message.contains("collector.evil.example"),
        "{error:?}"
    );
    assert_eq!(script.urls().len(), 1, "nothing was sent to the other host");
}

#[tokio::test]
async fn an_oversized_answer_is_cut_off_named() {
    let huge = format!(
        r#"{{"value":[],"pad":"{}"}}"#,
        "x".repeat(MAX_ARM_BODY + 10)
    );
    let script = Arc::new(Script::default().reply(200, &huge));
    let arm = client(script, Arc::new(Tokens::default()), &quick());
    let error = arm.list_tenants().await.expect_err("too large");
    assert_eq!(error.code, ErrorCode::UnexpectedResponse);
    assert!(error.message.contains("larger than 4 MiB"), "{error:?}");
}

#[tokio::test]
async fn a_listing_that_never_ends_stops_at_the_page_cap() {
    let mut script = Script::default();
    for _ in 0..4 {
        script = script.reply(
            200,
            r#"{"value":[],"nextLink":"https://management.azure.com/tenants?api-version=2022-12-01&$skiptoken=x"}"#,
        );
    }
    let script = Arc::new(script);
    let options = ArmOptions {
        max_pages: 3,
        ..quick()
    };
    let arm = client(script.clone(), Arc::new(Tokens::default()), &options);
    let error = arm.list_tenants().await.expect_err("capped");
    assert_eq!(error.code, ErrorCode::UnexpectedResponse);
    assert_eq!(script.urls().len(), 3);
}

#[tokio::test]
async fn a_refused_role_assignment_names_the_action_and_the_roles_that_grant_it() {
    let script = Arc::new(Script::default().reply(
        403,
        r#"{"error":{"code":"AuthorizationFailed","message":"The client 'ada@msp.example' with object id 'o' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/x' or the scope is invalid. If access was recently granted, please refresh your credentials."}}"#,
    ));
    let arm = client(script, Arc::new(Tokens::default()), &quick());
    let request = RoleAssignmentRequest {
        role_definition_id: role_definition_id("s", KEY_VAULT_SECRETS_OFFICER),
        principal_id: "group-1".into(),
        principal_type: PrincipalType::Group,
    };
    let error = arm
        .create_role_assignment(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
            &request,
        )
        .await
        .expect_err("refused");
    assert_eq!(error.code, ErrorCode::AzureRoleMissing);
    assert!(
        error
            .message
            .contains("Microsoft.Authorization/roleAssignments/write")
    );
    assert!(error.hint.contains("Owner or User Access Administrator"));
}

#[tokio::test]
async fn an_existing_role_assignment_is_not_an_error() {
    let script = Arc::new(Script::default().reply(
        409,
        r#"{"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists."}}"#,
    ));
    let arm = client(script, Arc::new(Tokens::default()), &quick());
    let request = RoleAssignmentRequest {
        role_definition_id: role_definition_id("s", KEY_VAULT_SECRETS_USER),
        principal_id: "group-1".into(),
        principal_type: PrincipalType::Group,
    };
    let existed = arm
        .create_role_assignment("/subscriptions/s", &request)
        .await
        .expect("idempotent");
    assert_eq!(existed, None);
}

#[tokio::test]
async fn throttling_is_waited_out_and_persistent_outage_named() {
    let script = Arc::new(
        Script::default()
            .reply_with(429, vec![("retry-after", "0".into())], Vec::new())
            .reply(
                200,
                r#"{"value":[{"tenantId":"t1","displayName":"Contoso"}]}"#,
            ),
    );
    let arm = client(script.clone(), Arc::new(Tokens::default()), &quick());
    let tenants = arm.list_tenants().await.expect("retried");
    assert_eq!(tenants[0].display_name.as_deref(), Some("Contoso"));
    assert_eq!(script.urls().len(), 2);

    let down = Arc::new(
        Script::default()
            .reply(503, "")
            .reply(503, "")
            .reply(503, ""),
    );
    let arm = client(down.clone(), Arc::new(Tokens::default()), &quick());
    let error = arm.list_subscriptions().await.expect_err("down");
    assert_eq!(error.code, ErrorCode::ServiceUnavailable);
    assert_eq!(down.urls().len(), 3, "first try and two retries");
}

#[tokio::test]
async fn the_credential_is_never_asked_for_another_scope() {
    // Whatever the pipeline asks, the bound credential passes on only ARM's scope.
    let tokens = Arc::new(Tokens::default());
    let bound = BoundCredential::for_resource(
        tokens.clone(),
        &arm_scope(Cloud::AzurePublic),
        "https://management.azure.com",
        "ARM",
    );
    assert!(
        bound
            .get_token(&["https://vault.azure.net/.default"], None)
            .await
            .is_err()
    );
    assert!(tokens.asked().is_empty());
}
