//! `GET /v1/openapi.json` serves the contract, on both URL forms, and it lists the
//! operations a client uses every day with their documented answers.

use latchkey_testkit::TestServer;
use serde_json::Value;

async fn contract(server: &TestServer, path: &str) -> anyhow::Result<Value> {
    let reply = reqwest::get(format!("{}{path}", server.base)).await?;
    assert_eq!(reply.status(), 200, "{path}");
    Ok(reply.json().await?)
}

#[tokio::test]
async fn the_contract_is_served_on_both_url_forms() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let plain = contract(&server, "/v1/openapi.json").await?;
    let nested = contract(
        &server,
        &format!("/v1/accounts/{}/openapi.json", server.account_id),
    )
    .await?;
    assert_eq!(plain, nested);
    assert_eq!(plain["openapi"], "3.1.0");
    let paths = &plain["paths"];
    let validate = &paths["/v1/licenses/actions/validate-key"]["post"];
    assert_eq!(
        validate["responses"]["200"]["content"]["application/vnd.api+json"]["schema"]["$ref"],
        "#/components/schemas/ValidationDocument"
    );
    let activate = &paths["/v1/accounts/{account}/machines"]["post"];
    assert!(activate["responses"]["201"].is_object());
    assert!(paths["/v1/machines/{id}/actions/ping"]["post"].is_object());
    assert!(paths["/v1/licenses/{id}/actions/check-out"]["get"].is_object());
    Ok(())
}
