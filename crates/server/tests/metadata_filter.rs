//! The `metadata[key]=value` list filter: any key works (quotes, dots, brackets, `$`,
//! unicode — the key is a bound parameter, never a JSON path), values match by type,
//! NUL can no longer be stored in metadata, and a row holding an escaped NUL from
//! before that rule never fails a filter. Both backends.

use latchkey_testkit::TestServer;
use serde_json::json;

#[tokio::test]
async fn metadata_cannot_hold_nul_and_filters_survive_any_key() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let server = &server;
    let license = server
        .license_with_policy(json!({"floating": true, "authenticationStrategy": "LICENSE"}))
        .await?;
    let license_id = license["id"].as_str().unwrap_or_default();
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    assert_eq!(server.activate(license_id, "fp-1").await?.status, 201);
    // A license-key holder activating with NUL in metadata is refused…
    let activation = server
        .raw(
            "POST",
            "/v1/machines",
            &[("Authorization", &format!("License {key}"))],
            json!({"data": {"type": "machines",
                "attributes": {"fingerprint": "nul-meta", "metadata": {"note": "a\u{0}b"}},
                "relationships": {"license": {"data": {"type": "licenses", "id": license_id}}}}})
            .to_string()
            .into_bytes(),
        )
        .await?;
    assert_eq!(
        (activation.status, activation.error_code()),
        (400, Some("ENCODING_INVALID")),
        "{}",
        activation.body
    );
    assert_eq!(
        activation.body["errors"][0]["source"]["pointer"], "/data/attributes/metadata/note",
        "activation",
    );
    // …and one stored before NUL was refused no longer fails every metadata filter of
    // the account (PostgreSQL's JSONB cannot hold U+0000): that row just never matches.
    for table in ["machines", "licenses"] {
        let legacy = server
            .db
            .execute(
                latchkey_store::sql(format!(
                    "UPDATE {table} SET metadata = $1 WHERE account_id = $2"
                ))
                .bind(r#"{"note":"a\u0000b","other":"x"}"#)
                .bind(server.account_id.as_str()),
            )
            .await?;
        assert!(legacy > 0);
    }
    for path in [
        "/v1/machines?metadata[note]=x",
        "/v1/licenses?metadata[note]=x",
        "/v1/users?metadata[note]=x",
        "/v1/machines?metadata[other]=x",
        "/v1/licenses?metadata[note]=a",
    ] {
        let reply = server.admin("GET", path, None).await?;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    }
    let shown = server.admin("GET", "/v1/machines/fp-1", None).await?;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(
        shown.body["data"]["attributes"]["metadata"]["note"],
        "a\u{0}b"
    );
    for table in ["machines", "licenses"] {
        server
            .db
            .execute(
                latchkey_store::sql(format!(
                    "UPDATE {table} SET metadata = '{{}}' WHERE account_id = $1"
                ))
                .bind(server.account_id.as_str()),
            )
            .await?;
    }

    // Odd keys are bound parameters: each finds exactly its own license.
    let odd_keys = [
        "a\"b", "a.b", "a[0]", "$", "$.x", "a'b", "a\\b", "ключ", "🔑", " ", "a]b", "*", "a b",
    ];
    let mut ids = Vec::new();
    for (i, key) in odd_keys.iter().enumerate() {
        let license = server
            .license_with_policy(json!({"floating": true}))
            .await?;
        let id = license["id"].as_str().unwrap_or_default().to_owned();
        let patched = server
            .admin(
                "PATCH",
                &format!("/v1/licenses/{id}"),
                Some(json!({"data": {"type": "licenses", "attributes": {"metadata": {*key: format!("v{i}"), "n": i, "f": 1.5, "t": true}}}})),
            )
            .await?;
        assert_eq!(patched.status, 200, "{key}: {}", patched.body);
        ids.push(id);
    }
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    for (i, key) in odd_keys.iter().enumerate() {
        let path = format!(
            "/v1/licenses?metadata[{}]={}",
            encode(key),
            encode(&format!("v{i}"))
        );
        let reply = server.admin("GET", &path, None).await?;
        assert_eq!(reply.status, 200, "{key}: {}", reply.body);
        let found: Vec<&str> = reply.body["data"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l["id"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(found, vec![ids[i].as_str()], "metadata[{key}]");
    }
    // Typed values: numbers compare numerically, booleans are not strings.
    for (query, expected) in [
        ("metadata[n]=3", 1),
        ("metadata[n]=3.0", 1),
        ("metadata[f]=1.5", odd_keys.len()),
        ("metadata[t]=true", odd_keys.len()),
        ("metadata[t]=1", 0),
        ("metadata[n]=1e400", 0),
        ("metadata[missing]=null", 0),
    ] {
        let reply = server
            .admin("GET", &format!("/v1/licenses?limit=100&{query}"), None)
            .await?;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        assert_eq!(
            reply.body["data"].as_array().map(Vec::len),
            Some(expected),
            "{query}"
        );
    }
    Ok(())
}
