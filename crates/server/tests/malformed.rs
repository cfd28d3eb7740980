//! No request, however malformed, yields a 5xx: a sample of each kind of bad input.

use latchkey_testkit::TestServer;
use serde_json::json;

fn assert_client_error(status: u16, what: &str) {
    assert!(
        (400..500).contains(&status),
        "{what}: expected a 4xx, got {status}"
    );
}

#[tokio::test]
async fn malformed_requests_get_json_api_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let auth = format!("Bearer {}", server.admin_token);
    let json_headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/vnd.api+json"),
    ];

    let bad_json = server
        .raw("POST", "/v1/products", &json_headers, b"{not json".to_vec())
        .await?;
    assert_eq!(bad_json.status, 400);
    assert_eq!(bad_json.error_code(), Some("JSON_INVALID"));

    let not_object = server
        .raw("POST", "/v1/products", &json_headers, b"[1,2,3]".to_vec())
        .await?;
    assert_eq!(not_object.status, 400);

    let wrong_type = server
        .admin(
            "POST",
            "/v1/products",
            Some(json!({"data": {"type": "products", "attributes": {"name": 12}}})),
        )
        .await?;
    assert_eq!(wrong_type.status, 400);
    assert_eq!(
        wrong_type.body["errors"][0]["source"]["pointer"],
        "/data/attributes/name"
    );

    let unknown = server
        .admin(
            "POST",
            "/v1/products",
            Some(json!({"data": {"type": "products", "attributes": {"name": "x", "bogus": true}}})),
        )
        .await?;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["errors"][0]["detail"], "unpermitted parameter");

    let wrong_resource = server
        .admin(
            "POST",
            "/v1/products",
            Some(json!({"data": {"type": "licenses", "attributes": {"name": "x"}}})),
        )
        .await?;
    assert_eq!(wrong_resource.status, 400);

    let missing_name = server
        .admin(
            "POST",
            "/v1/products",
            Some(json!({"data": {"type": "products", "attributes": {}}})),
        )
        .await?;
    assert_eq!(missing_name.status, 422);
    assert_eq!(missing_name.error_code(), Some("NAME_MISSING"));

    let huge = vec![b'a'; 3 * 1024 * 1024];
    let too_big = server
        .raw("POST", "/v1/products", &json_headers, huge)
        .await?;
    assert_client_error(too_big.status, "huge body");

    for path in [
        "/v1/licenses/not-a-uuid",
        "/v1/machines/%ZZ",
        "/v1/policies/00000000-0000-0000-0000-000000000000",
        "/v1/products/'%20OR%201=1",
    ] {
        let reply = server.admin("GET", path, None).await?;
        assert_client_error(reply.status, path);
    }

    let form = server
        .raw(
            "POST",
            "/v1/products",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            b"name=x".to_vec(),
        )
        .await?;
    assert_eq!(form.status, 400);

    let accept = server
        .raw(
            "GET",
            "/v1/products",
            &[("Authorization", auth.as_str()), ("Accept", "text/html")],
            vec![],
        )
        .await?;
    assert_eq!(accept.status, 400);
    assert_eq!(accept.error_code(), Some("MIME_TYPE_INVALID"));

    let bad_page = server
        .admin("GET", "/v1/licenses?page[number]=0&page[size]=5", None)
        .await?;
    assert_eq!(bad_page.status, 400);
    let bad_limit = server.admin("GET", "/v1/licenses?limit=abc", None).await?;
    assert_eq!(bad_limit.status, 400);
    let bad_order = server
        .admin("GET", "/v1/licenses?order=sideways", None)
        .await?;
    assert_eq!(bad_order.status, 400);

    let bad_policy_enum = server.admin("POST", "/v1/policies", Some(json!({"data": {"type": "policies", "attributes": {"name": "p", "expirationStrategy": "NOPE"}}}))).await?;
    assert_client_error(bad_policy_enum.status, "policy without product");

    let scope_types = server
        .call(
            "POST",
            "/v1/licenses/actions/validate-key",
            None,
            Some(json!({"meta": {"key": "x", "scope": {"fingerprint": 5}}})),
        )
        .await?;
    assert_eq!(scope_types.status, 400);
    let no_key = server
        .call(
            "POST",
            "/v1/licenses/actions/validate-key",
            None,
            Some(json!({"meta": {}})),
        )
        .await?;
    assert_eq!(no_key.status, 400);

    let license = server
        .license_with_policy(json!({"floating": true}))
        .await?;
    let huge_memory = server
        .admin(
            "POST",
            "/v1/machines",
            Some(json!({"data": {"type": "machines",
            "attributes": {"fingerprint": "big", "memory": i64::MAX},
            "relationships": {"license": {"data": {"type": "licenses", "id": license["id"]}}}}})),
        )
        .await?;
    assert_eq!(
        (huge_memory.status, huge_memory.error_code()),
        (422, Some("MEMORY_INVALID"))
    );

    let unknown_route = server.admin("GET", "/v1/nothing-here", None).await?;
    assert_eq!(unknown_route.status, 404);
    assert_eq!(unknown_route.error_code(), Some("NOT_FOUND"));
    let wrong_method = server
        .admin("PATCH", "/v1/licenses/actions/validate-key", None)
        .await?;
    assert_client_error(wrong_method.status, "wrong method");
    Ok(())
}

#[tokio::test]
async fn random_bodies_never_cause_server_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let auth = format!("Bearer {}", server.admin_token);
    let bodies = [
        json!({"data": null}),
        json!({"data": {"type": 5}}),
        json!({"data": {"type": "machines", "attributes": {"fingerprint": ["a"]}, "relationships": {"license": "x"}}}),
        json!({"data": {"type": "machines", "attributes": {"fingerprint": "a"}, "relationships": {"license": {"data": {"type": "licenses", "id": 7}}}}}),
        json!({"data": {"type": "machines", "attributes": {"fingerprint": "a", "cores": -3}, "relationships": {"license": {"data": {"type": "licenses", "id": "00000000-0000-0000-0000-000000000000"}}}}}),
        json!({"data": {"type": "policies", "attributes": {"name": "p", "maxMachines": "three"}}}),
        json!({"data": {"type": "licenses", "attributes": {"expiry": "yesterday"}}}),
        json!({"meta": {"key": {"nested": true}}}),
    ];
    for path in [
        "/v1/machines",
        "/v1/policies",
        "/v1/licenses",
        "/v1/licenses/actions/validate-key",
        "/v1/tokens",
        "/v1/users",
    ] {
        for body in &bodies {
            if path == "/v1/tokens" && body.get("data").is_none() {
                continue; // a token request without `data` is valid: it mints a token
            }
            let reply = server
                .raw(
                    "POST",
                    path,
                    &[("Authorization", auth.as_str())],
                    body.to_string().into_bytes(),
                )
                .await?;
            assert_client_error(reply.status, &format!("POST {path} {body}"));
            assert!(
                reply.body["errors"].is_array(),
                "POST {path} {body}: {}",
                reply.body
            );
        }
    }
    Ok(())
}
