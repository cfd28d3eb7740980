//! `POST /search` (spec §1.2): staff only, AND/OR of attribute terms, Keygen's
//! parameter errors, paginated results rendered like the lists.

use latchkey_testkit::TestServer;
use latchkey_testkit::cast::{Cast, Who::*};
use serde_json::{Value, json};

async fn search(server: &TestServer, meta: Value) -> anyhow::Result<latchkey_testkit::Reply> {
    server
        .admin("POST", "/v1/search", Some(json!({ "meta": meta })))
        .await
}

#[tokio::test]
async fn terms_combine_with_and_or_or() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let cast = Cast::new(&server).await?;
    let alpha = server
        .create("/v1/users", json!({"data": {"type": "users", "attributes": {"email": "alpha.search@example.test", "firstName": "Alpha"}}}))
        .await?;
    server
        .create("/v1/users", json!({"data": {"type": "users", "attributes": {"email": "beta.search@example.test", "firstName": "Beta"}}}))
        .await?;
    let reply = search(
        &server,
        json!({"type": "users", "query": {"email": "SEARCH@example", "firstName": "alp"}}),
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.ids(), vec![alpha["id"].as_str().unwrap_or_default()]);
    assert_eq!(reply.body["data"][0]["type"], "users");
    let reply = search(
        &server,
        json!({"type": "user", "op": "OR", "query": {"email": "search@", "firstName": "nobody"}}),
    )
    .await?;
    assert_eq!(reply.ids().len(), 2, "{}", reply.body);
    // Licenses by key (exact), rendered like GET /licenses; paginated.
    let reply = search(
        &server,
        json!({"type": "licenses", "query": {"key": cast.license_key}}),
    )
    .await?;
    assert_eq!(reply.ids(), vec![cast.license.clone()]);
    assert_eq!(
        reply.body["data"][0]["attributes"]["key"],
        cast.license_key.as_str()
    );
    let reply = server
        .admin(
            "POST",
            "/v1/search?page[number]=1&page[size]=1",
            Some(
                json!({"meta": {"type": "users", "op": "or", "query": {"email": "example.test"}}}),
            ),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.ids().len(), 1);
    assert!(reply.body["links"]["meta"]["count"].as_i64().unwrap_or(0) > 2);
    // `%` and `_` are literal characters.
    let reply = search(&server, json!({"type": "users", "query": {"email": "%%%"}})).await?;
    assert!(reply.ids().is_empty(), "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn bad_searches_are_parameter_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for (meta, pointer) in [
        (
            json!({"type": "releases", "query": {"name": "abc"}}),
            "/meta/type",
        ),
        (json!({"type": "users", "query": {}}), "/meta/query"),
        (
            json!({"type": "users", "query": {"email": "ab"}}),
            "/meta/query/email",
        ),
        (
            json!({"type": "users", "query": {"password": "secret"}}),
            "/meta/query/password",
        ),
        (
            json!({"type": "users", "op": "XOR", "query": {"email": "abc"}}),
            "/meta/op",
        ),
        (json!({"query": {"email": "abc"}}), "/meta/type"),
    ] {
        let reply = search(&server, meta.clone()).await?;
        assert_eq!(reply.status, 400, "{meta}: {}", reply.body);
        assert_eq!(
            reply.body["errors"][0]["source"]["pointer"], pointer,
            "{meta}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn only_staff_search() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let cast = Cast::new(&server).await?;
    let body = json!({"meta": {"type": "products", "query": {"name": "Cast"}}});
    let allowed = cast
        .allowed(&server, "POST", "/v1/search", Some(body))
        .await?;
    assert_eq!(allowed, vec![Admin, Developer, Sales, Support, ReadOnly]);
    Ok(())
}
