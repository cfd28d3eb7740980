//! `X-Request-Id`: every response carries one; a sane client id is echoed, anything
//! else is replaced by a fresh UUID.

use latchkey_testkit::TestServer;

async fn id_for(server: &TestServer, given: Option<&str>, path: &str) -> anyhow::Result<String> {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.base));
    if let Some(given) = given {
        request = request.header("X-Request-Id", given);
    }
    let reply = request.send().await?;
    Ok(reply
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn every_response_carries_a_request_id() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for path in [
        "/v1/ping",
        "/v1/licenses",
        "/v1/nowhere",
        "/v1/accounts/nobody/licenses",
    ] {
        let id = id_for(&server, None, path).await?;
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{path}: {id:?}");
    }
    assert_ne!(
        id_for(&server, None, "/v1/ping").await?,
        id_for(&server, None, "/v1/ping").await?
    );
    Ok(())
}

#[tokio::test]
async fn a_sane_client_id_is_echoed_and_others_replaced() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    assert_eq!(
        id_for(&server, Some("trace-42.a:b_c"), "/v1/ping").await?,
        "trace-42.a:b_c"
    );
    let long = "a".repeat(129);
    for bad in [long.as_str(), "two words", "<x>", ""] {
        let id = id_for(&server, Some(bad), "/v1/licenses").await?;
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{bad:?} → {id:?}");
    }
    Ok(())
}
