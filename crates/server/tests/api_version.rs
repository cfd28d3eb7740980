//! `Keygen-Version` (spec §0, §7.2): resolution, the 400 for unsupported versions,
//! the echo on every response, and the response migrations for older clients.

use latchkey_testkit::TestServer;
use latchkey_testkit::cast::Cast;
use serde_json::json;

#[tokio::test]
async fn every_response_echoes_the_resolved_version() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let auth = format!("Bearer {}", server.admin_token);
    let ok = server
        .raw("GET", "/v1/products", &[("Authorization", &auth)], vec![])
        .await?;
    assert_eq!((ok.status, ok.header("keygen-version")), (200, "1.8"));
    let unauthorized = server.raw("GET", "/v1/products", &[], vec![]).await?;
    assert_eq!(
        (unauthorized.status, unauthorized.header("keygen-version")),
        (401, "1.8")
    );
    let missing = server
        .raw("GET", "/v1/nowhere", &[("Authorization", &auth)], vec![])
        .await?;
    assert_eq!(
        (missing.status, missing.header("keygen-version")),
        (404, "1.8")
    );
    for (asked, echoed) in [("1.7", "1.7"), ("v1.0", "1.0"), ("1.8", "1.8")] {
        let reply = server
            .raw(
                "GET",
                "/v1/products",
                &[("Authorization", &auth), ("Keygen-Version", asked)],
                vec![],
            )
            .await?;
        assert_eq!(
            (reply.status, reply.header("keygen-version")),
            (200, echoed),
            "{asked}"
        );
    }
    // Under the account prefix too, and signed like every response.
    let path = format!("/v1/accounts/{}/products", server.account_id);
    let reply = server
        .raw(
            "GET",
            &path,
            &[("Authorization", &auth), ("Keygen-Version", "v1.6")],
            vec![],
        )
        .await?;
    assert_eq!((reply.status, reply.header("keygen-version")), (200, "1.6"));
    assert!(reply.headers.contains_key("keygen-signature"));
    Ok(())
}

#[tokio::test]
async fn unsupported_versions_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let auth = format!("Bearer {}", server.admin_token);
    for asked in ["1.9", "2.0", "1", "latest", "", "1.8.0"] {
        let reply = server
            .raw(
                "GET",
                &format!("/v1/accounts/{}/products", server.account_id),
                &[("Authorization", &auth), ("Keygen-Version", asked)],
                vec![],
            )
            .await?;
        assert_eq!(reply.status, 400, "{asked}: {}", reply.body);
        assert_eq!(reply.error_code(), Some("INVALID_API_VERSION"), "{asked}");
        assert_eq!(reply.header("keygen-version"), "1.8");
        assert!(reply.headers.contains_key("keygen-signature"), "{asked}");
    }
    Ok(())
}

#[tokio::test]
async fn older_clients_get_the_older_shapes() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let cast = Cast::new(&server).await?;
    let auth = format!("Bearer {}", server.admin_token);
    let get = |path: String, asked: &'static str| {
        let auth = auth.clone();
        let server = &server;
        async move {
            server
                .raw(
                    "GET",
                    &path,
                    &[("Authorization", &auth), ("Keygen-Version", asked)],
                    vec![],
                )
                .await
        }
    };
    // 1.6: processLeasingStrategy is leasingStrategy (lists and single resources).
    let policy = get(format!("/v1/policies/{}", cast.policy), "1.6").await?;
    let attributes = &policy.body["data"]["attributes"];
    assert!(attributes.get("processLeasingStrategy").is_none());
    assert!(attributes["leasingStrategy"].is_string(), "{attributes}");
    let list = get("/v1/policies".into(), "1.6").await?;
    assert!(list.body["data"][0]["attributes"]["leasingStrategy"].is_string());
    let current = get(format!("/v1/policies/{}", cast.policy), "1.7").await?;
    assert!(current.body["data"]["attributes"]["processLeasingStrategy"].is_string());
    // 1.5: a license's owner is its user, linking the legacy route.
    let license = get(format!("/v1/licenses/{}", cast.license), "1.5").await?;
    let user = &license.body["data"]["relationships"]["user"];
    assert_eq!(user["data"]["id"], cast.owner.as_str());
    assert!(
        user["links"]["related"]
            .as_str()
            .unwrap_or_default()
            .ends_with(&format!("/licenses/{}/user", cast.license)),
        "{user}"
    );
    assert!(license.body["data"]["relationships"].get("owner").is_none());
    let newer = get(format!("/v1/licenses/{}", cast.license), "1.6").await?;
    assert!(newer.body["data"]["relationships"].get("owner").is_some());
    // 1.5: OWNER_NOT_FOUND is USER_NOT_FOUND.
    let body = json!({"data": {"type": "licenses", "relationships": {
        "policy": {"data": {"type": "policies", "id": cast.policy}},
        "owner": {"data": {"type": "users", "id": "00000000-0000-4000-8000-000000000000"}}}}});
    let reply = server
        .raw(
            "POST",
            "/v1/licenses",
            &[
                ("Authorization", &auth),
                ("Keygen-Version", "1.5"),
                ("Content-Type", "application/vnd.api+json"),
            ],
            body.to_string().into_bytes(),
        )
        .await?;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.error_code(), Some("USER_NOT_FOUND"));
    assert_eq!(
        reply.body["errors"][0]["source"]["pointer"],
        "/data/relationships/user"
    );
    Ok(())
}

#[tokio::test]
async fn token_generation_errors_are_the_same_for_1_7_and_1_8() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for asked in ["1.7", "1.8"] {
        let reply = server
            .raw(
                "POST",
                "/v1/tokens",
                &[
                    // admin@acme.test with a wrong password
                    ("Authorization", "Basic YWRtaW5AYWNtZS50ZXN0Ondyb25n"),
                    ("Keygen-Version", asked),
                ],
                vec![],
            )
            .await?;
        assert_eq!(reply.status, 401, "{asked}: {}", reply.body);
        assert_eq!(reply.error_code(), Some("CREDENTIALS_INVALID"), "{asked}");
        assert_eq!(reply.header("keygen-version"), asked);
    }
    Ok(())
}
