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

/// Sends `body` as raw bytes with the admin token.
async fn post_raw(
    server: &TestServer,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> anyhow::Result<latchkey_testkit::Reply> {
    let auth = format!("Bearer {}", server.admin_token);
    server
        .raw(
            method,
            path,
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/vnd.api+json"),
            ],
            body,
        )
        .await
}

#[tokio::test]
async fn deep_and_huge_bodies_are_refused_without_crashing() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let depth = 100_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let in_meta = format!(r#"{{"meta": {{"key": "k", "scope": {arrays}}}}}"#);
    for (path, body) in [
        ("/v1/products", arrays.clone()),
        ("/v1/products", objects.clone()),
        ("/v1/licenses/actions/validate-key", in_meta),
        ("/v1/machines", objects),
    ] {
        let reply = post_raw(&server, "POST", path, body.into_bytes()).await?;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, Some("JSON_INVALID")),
            "{path}: {}",
            reply.body
        );
    }
    // Just inside serde_json's nesting limit: parsed and walked, never a 5xx.
    let shallow = format!(
        r#"{{"data": {{"type": "products", "attributes": {{"name": "p", "metadata": {{"m": {}1{}}}}}}}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let reply = post_raw(&server, "POST", "/v1/products", shallow.into_bytes()).await?;
    assert!(reply.status < 500, "{}: {}", reply.status, reply.body);
    // Over the body limit: 413 as JSON:API.
    let huge = format!(
        r#"{{"meta": {{"key": "{}"}}}}"#,
        "k".repeat(4 * 1024 * 1024)
    );
    let reply = post_raw(
        &server,
        "POST",
        "/v1/licenses/actions/validate-key",
        huge.into_bytes(),
    )
    .await?;
    assert_eq!(
        (reply.status, reply.error_code()),
        (413, Some("REQUEST_TOO_LARGE"))
    );
    // The server is still up.
    assert_eq!(server.admin("GET", "/v1/licenses", None).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn numbers_beyond_every_integer_and_float_type_are_client_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true}))
        .await?;
    let id = license["id"].as_str().unwrap_or_default().to_owned();
    let policy_id = license["relationships"]["policy"]["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let product_id = license["relationships"]["product"]["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(server.activate(&id, "fp").await?.status, 201);
    let numbers = [
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "340282366920938463463374607431768211456",
        "1e400",
        "-1e400",
        "1.7976931348623157e309",
        "4.9e-325",
        "0.5",
        "-0",
    ];
    // (method, path, document with NUMBER where the number goes)
    let mut documents: Vec<(&str, String, String)> = Vec::new();
    for attribute in [
        "duration",
        "maxMachines",
        "maxProcesses",
        "maxUsers",
        "maxCores",
        "maxMemory",
        "maxDisk",
        "maxUses",
        "checkInIntervalCount",
        "heartbeatDuration",
    ] {
        documents.push((
            "PATCH",
            format!("/v1/policies/{policy_id}"),
            format!(
                r#"{{"data": {{"type": "policies", "attributes": {{"{attribute}": NUMBER}}}}}}"#
            ),
        ));
        documents.push((
            "POST",
            "/v1/policies".into(),
            format!(
                r#"{{"data": {{"type": "policies", "attributes": {{"name": "n", "floating": true, "{attribute}": NUMBER}},
                "relationships": {{"product": {{"data": {{"type": "products", "id": "{product_id}"}}}}}}}}}}"#
            ),
        ));
    }
    for attribute in [
        "maxMachines",
        "maxProcesses",
        "maxUsers",
        "maxCores",
        "maxMemory",
        "maxDisk",
        "maxUses",
    ] {
        documents.push((
            "PATCH",
            format!("/v1/licenses/{id}"),
            format!(
                r#"{{"data": {{"type": "licenses", "attributes": {{"{attribute}": NUMBER}}}}}}"#
            ),
        ));
    }
    for attribute in ["cores", "memory", "disk"] {
        documents.push((
            "POST",
            "/v1/machines".into(),
            format!(
                r#"{{"data": {{"type": "machines", "attributes": {{"fingerprint": "n", "{attribute}": NUMBER}},
                "relationships": {{"license": {{"data": {{"type": "licenses", "id": "{id}"}}}}}}}}}}"#
            ),
        ));
        documents.push((
            "PATCH",
            "/v1/machines/fp".into(),
            format!(
                r#"{{"data": {{"type": "machines", "attributes": {{"{attribute}": NUMBER}}}}}}"#
            ),
        ));
    }
    for (path, member) in [
        ("increment-usage", "increment"),
        ("decrement-usage", "decrement"),
        ("check-out", "ttl"),
    ] {
        documents.push((
            "POST",
            format!("/v1/licenses/{id}/actions/{path}"),
            format!(r#"{{"meta": {{"{member}": NUMBER}}}}"#),
        ));
    }
    documents.push((
        "POST",
        format!("/v1/licenses/{id}/tokens"),
        r#"{"data": {"type": "tokens", "attributes": {"maxActivations": NUMBER, "maxDeactivations": NUMBER}}}"#.into(),
    ));
    documents.push((
        "POST",
        "/v1/licenses/actions/validate-key".into(),
        r#"{"meta": {"key": NUMBER, "scope": {"fingerprint": NUMBER}}}"#.into(),
    ));
    for (method, path, document) in &documents {
        for number in numbers {
            let body = document.replace("NUMBER", number);
            let reply = post_raw(&server, method, path, body.clone().into_bytes()).await?;
            assert!(
                reply.status < 500,
                "{method} {path} {number}: {} {}",
                reply.status,
                reply.body
            );
            if reply.status >= 400 {
                assert!(
                    reply.body["errors"].is_array(),
                    "{method} {path} {number}: {}",
                    reply.body
                );
            }
        }
    }
    // Whatever was accepted above, the license still reads and validates.
    assert_eq!(
        server
            .admin("GET", &format!("/v1/licenses/{id}"), None)
            .await?
            .status,
        200
    );
    assert_eq!(server.admin("GET", "/v1/licenses", None).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn every_extractor_rejection_is_a_json_api_error() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let auth = format!("Bearer {}", server.admin_token);
    for (method, path, content_type, body) in [
        ("GET", "/v1/licenses/%FF", "", Vec::new()),
        (
            "GET",
            "/v1/machines/%C3%28/actions/check-out",
            "",
            Vec::new(),
        ),
        ("DELETE", "/v1/users/%ED%A0%80", "", Vec::new()),
        ("GET", "/v1/licenses?%FF=1", "", Vec::new()),
        ("GET", "/v1/licenses?limit=%FF", "", Vec::new()),
        (
            "POST",
            "/v1/products",
            "application/x-www-form-urlencoded",
            b"name=%FF".to_vec(),
        ),
        (
            "POST",
            "/v1/products",
            "multipart/form-data; boundary=x",
            b"--x\r\n\r\n".to_vec(),
        ),
        ("POST", "/v1/products", "text/plain", vec![0xff, 0xfe]),
        (
            "POST",
            "/v1/products",
            "application/json",
            b"\"\\ud800\"".to_vec(),
        ),
        (
            "POST",
            "/v1/products",
            "application/json",
            br#"{"data": "\ud800"}"#.to_vec(),
        ),
    ] {
        let mut headers = vec![("Authorization", auth.as_str())];
        if !content_type.is_empty() {
            headers.push(("Content-Type", content_type));
        }
        let reply = server.raw(method, path, &headers, body).await?;
        assert_eq!(reply.status, 400, "{method} {path}: {}", reply.body);
        assert!(
            reply.body["errors"][0]["code"].is_string(),
            "{method} {path}: not a JSON:API error: {:?}",
            reply.body
        );
        assert!(
            reply
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.contains("json")),
            "{method} {path}"
        );
    }
    Ok(())
}
