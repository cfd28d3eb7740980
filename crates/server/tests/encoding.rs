//! NUL (U+0000) and invalid UTF-8 in every input channel — JSON body strings and
//! keys at any depth (metadata included), path segments, query keys and values,
//! `?auth=`/`?token=`, and headers (Authorization Bearer/License/Basic, Accept,
//! Keygen-Accept-Signature) — answer 400 `ENCODING_INVALID` as a JSON:API error that
//! points at the culprit, for every credential kind, never a 5xx. (Metadata: see
//! `metadata_filter.rs`.)

use base64::Engine;
use latchkey_testkit::TestServer;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

impl Answer {
    fn code(&self) -> Option<&str> {
        self.body["errors"][0]["code"].as_str()
    }
}

/// Sends raw bytes: `headers` may hold any byte a client can put on the wire.
async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, Vec<u8>)],
    body: Option<Vec<u8>>,
) -> anyhow::Result<Answer> {
    let mut request = server.http.request(
        reqwest::Method::from_bytes(method.as_bytes())?,
        format!("{}{path}", server.base),
    );
    for (name, value) in headers {
        request = request.header(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_bytes(value)?,
        );
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/vnd.api+json")
            .body(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// Where the error must point.
#[derive(Clone, Copy)]
enum At<'a> {
    Pointer(&'a str),
    Parameter(&'a str),
    Header(&'a str),
    Nowhere,
}

fn assert_encoding_error(answer: &Answer, at: At<'_>, what: &str) {
    assert_eq!(
        (answer.status, answer.code()),
        (400, Some("ENCODING_INVALID")),
        "{what}: {}",
        answer.body
    );
    assert!(
        answer.content_type.contains("json"),
        "{what}: content type {}",
        answer.content_type
    );
    assert_eq!(answer.body["errors"][0]["title"], "Bad request", "{what}");
    let source = &answer.body["errors"][0]["source"];
    match at {
        At::Pointer(p) => assert_eq!(source["pointer"], p, "{what}: {}", answer.body),
        At::Parameter(p) => assert_eq!(source["parameter"], p, "{what}: {}", answer.body),
        At::Header(h) => assert_eq!(source["header"], h, "{what}: {}", answer.body),
        At::Nowhere => {}
    }
}

fn assert_json_api_client_error(answer: &Answer, what: &str) {
    assert!(
        (400..500).contains(&answer.status),
        "{what}: expected a 4xx, got {}: {}",
        answer.status,
        answer.body
    );
    assert!(answer.body["errors"].is_array(), "{what}: {}", answer.body);
}

fn basic(user_pass: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(user_pass);
    format!("Basic {encoded}").into_bytes()
}

/// Everything the cases need: one license (key auth allowed) with a machine, a
/// user, and a credential of every kind.
struct World {
    server: TestServer,
    license_id: String,
    key: String,
    credentials: Vec<(&'static str, Option<Vec<u8>>)>,
}

async fn world() -> anyhow::Result<World> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "authenticationStrategy": "MIXED"}))
        .await?;
    let license_id = license["id"].as_str().unwrap_or_default().to_owned();
    let key = license["attributes"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let product_id = license["relationships"]["product"]["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(server.activate(&license_id, "fp-1").await?.status, 201);
    let product_token = server
        .create(
            &format!("/v1/products/{product_id}/tokens"),
            json!({"data": {"type": "tokens"}}),
        )
        .await?;
    let license_token = server
        .create(
            &format!("/v1/licenses/{license_id}/tokens"),
            json!({"data": {"type": "tokens"}}),
        )
        .await?;
    server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "end@user.test", "password": "secret-password"}}}),
        )
        .await?;
    let user_token = send(
        &server,
        "POST",
        "/v1/tokens",
        &[("Authorization", basic(b"end@user.test:secret-password"))],
        None,
    )
    .await?;
    assert_eq!(user_token.status, 201, "{}", user_token.body);
    let bearer = |token: &Value| {
        Some(
            format!(
                "Bearer {}",
                token["attributes"]["token"].as_str().unwrap_or_default()
            )
            .into_bytes(),
        )
    };
    let credentials = vec![
        ("anonymous", None),
        (
            "admin",
            Some(format!("Bearer {}", server.admin_token).into_bytes()),
        ),
        ("product", bearer(&product_token)),
        ("license token", bearer(&license_token)),
        ("user", bearer(&user_token.body["data"])),
        ("license key", Some(format!("License {key}").into_bytes())),
        (
            "basic license key",
            Some(basic(format!("license:{key}").as_bytes())),
        ),
    ];
    Ok(World {
        server,
        license_id,
        key,
        credentials,
    })
}

#[tokio::test]
async fn nul_and_invalid_utf8_in_bodies_are_refused_for_every_credential() -> anyhow::Result<()> {
    let w = world().await?;
    let id = w.license_id.as_str();
    let license_rel = json!({"license": {"data": {"type": "licenses", "id": id}}});
    // (method, path, public endpoint, body, pointer)
    let cases: Vec<(&str, String, bool, Value, &str)> = vec![
        (
            "POST",
            "/v1/licenses/actions/validate-key".into(),
            true,
            json!({"meta": {"key": "a\u{0}"}}),
            "/meta/key",
        ),
        (
            "POST",
            "/v1/licenses/actions/validate-key".into(),
            true,
            json!({"meta": {"key": w.key, "scope": {"fingerprint": "f\u{0}"}}}),
            "/meta/scope/fingerprint",
        ),
        (
            "POST",
            "/v1/licenses/actions/validate-key".into(),
            true,
            json!({"meta": {"key": w.key, "scope": {"fingerprints": ["a", "b\u{0}"]}}}),
            "/meta/scope/fingerprints/1",
        ),
        (
            "POST",
            format!("/v1/licenses/{id}/actions/validate"),
            false,
            json!({"meta": {"nonce\u{0}": 1}}),
            "/meta/nonce\u{fffd}",
        ),
        (
            "POST",
            "/v1/licenses".into(),
            false,
            json!({"data": {"type": "licenses", "attributes": {"name": "n\u{0}"}}}),
            "/data/attributes/name",
        ),
        (
            "POST",
            "/v1/machines".into(),
            false,
            json!({"data": {"type": "machines", "attributes": {"fingerprint": "f\u{0}"}, "relationships": license_rel}}),
            "/data/attributes/fingerprint",
        ),
        (
            "POST",
            "/v1/machines".into(),
            false,
            json!({"data": {"type": "machines", "attributes": {"fingerprint": "fp-2", "metadata": {"a": {"b\u{0}": 1}}}, "relationships": license_rel}}),
            "/data/attributes/metadata/a/b\u{fffd}",
        ),
        (
            "POST",
            "/v1/machines".into(),
            false,
            json!({"data": {"type": "machines", "attributes": {"fingerprint": "fp-2", "metadata": {"x/y": ["ok", "\u{0}"]}}, "relationships": license_rel}}),
            "/data/attributes/metadata/x~1y/1",
        ),
        (
            "PATCH",
            format!("/v1/licenses/{id}"),
            false,
            json!({"data": {"type": "licenses", "attributes": {"metadata": {"k": "v\u{0}"}}}}),
            "/data/attributes/metadata/k",
        ),
        (
            "PATCH",
            "/v1/machines/fp-1".into(),
            false,
            json!({"data": {"type": "machines", "attributes": {"name": "\u{0}"}}}),
            "/data/attributes/name",
        ),
        (
            "POST",
            "/v1/users".into(),
            false,
            json!({"data": {"type": "users", "attributes": {"email": "a\u{0}@x.test", "password": "secret-password"}}}),
            "/data/attributes/email",
        ),
        (
            "POST",
            "/v1/tokens".into(),
            false,
            json!({"data": {"type": "tokens", "attributes": {"name": "t\u{0}"}}}),
            "/data/attributes/name",
        ),
        (
            "POST",
            "/v1/products".into(),
            false,
            json!({"data": {"type": "products", "attributes": {"name": "p", "metadata": {"\u{0}": 1}}}}),
            "/data/attributes/metadata/\u{fffd}",
        ),
    ];
    for (who, credential) in &w.credentials {
        let headers: Vec<(&str, Vec<u8>)> = credential
            .iter()
            .map(|c| ("Authorization", c.clone()))
            .collect();
        for (method, path, public, body, pointer) in &cases {
            let what = format!("{who}: {method} {path} {body}");
            let answer = send(
                &w.server,
                method,
                path,
                &headers,
                Some(body.to_string().into_bytes()),
            )
            .await?;
            if credential.is_none() && !public {
                assert_json_api_client_error(&answer, &what);
            } else {
                assert_encoding_error(&answer, At::Pointer(pointer), &what);
            }
        }
        for (method, path) in [
            ("POST", "/v1/licenses/actions/validate-key".to_owned()),
            ("POST", "/v1/machines".to_owned()),
            ("PATCH", format!("/v1/licenses/{id}")),
        ] {
            let what = format!("{who}: {method} {path} with invalid UTF-8");
            let mut body = br#"{"meta": {"key": ""#.to_vec();
            body.extend([0xff, 0xfe, b'"', b'}', b'}']);
            let answer = send(&w.server, method, &path, &headers, Some(body)).await?;
            if credential.is_none() && !path.ends_with("validate-key") {
                assert_json_api_client_error(&answer, &what);
            } else {
                assert_encoding_error(&answer, At::Nowhere, &what);
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn nul_and_invalid_utf8_in_paths_and_queries_are_refused() -> anyhow::Result<()> {
    let w = world().await?;
    let id = w.license_id.as_str();
    let paths: Vec<(&str, String, At<'_>)> = vec![
        ("GET", "/v1/licenses/%00".into(), At::Parameter("id")),
        ("GET", "/v1/licenses/key%00".into(), At::Parameter("id")),
        ("GET", "/v1/licenses/%FF".into(), At::Parameter("id")),
        (
            "POST",
            "/v1/licenses/a%00b/actions/validate".into(),
            At::Parameter("id"),
        ),
        ("GET", "/v1/machines/%00".into(), At::Parameter("id")),
        ("GET", "/v1/machines/%FF%FE".into(), At::Parameter("id")),
        ("DELETE", "/v1/machines/fp%00".into(), At::Parameter("id")),
        ("GET", "/v1/users/%00".into(), At::Parameter("id")),
        ("GET", "/v1/users/%C3%28".into(), At::Parameter("id")),
        ("GET", "/v1/tokens/%00".into(), At::Parameter("id")),
        ("PUT", "/v1/tokens/%FF".into(), At::Parameter("id")),
        ("GET", "/v1/policies/%00".into(), At::Parameter("id")),
        ("GET", "/v1/products/%E0%80%80".into(), At::Parameter("id")),
        (
            "GET",
            format!("/v1/accounts/acme/licenses/{id}%00"),
            At::Parameter("id"),
        ),
        (
            "GET",
            "/v1/licenses?metadata[k%00]=1".into(),
            At::Parameter("metadata[k\u{fffd}]"),
        ),
        (
            "GET",
            "/v1/licenses?metadata[k]=%00".into(),
            At::Parameter("metadata[k]"),
        ),
        (
            "GET",
            "/v1/licenses?product=%C0%AF".into(),
            At::Parameter("product"),
        ),
        (
            "GET",
            "/v1/licenses?user=a%00%40b.c".into(),
            At::Parameter("user"),
        ),
        (
            "GET",
            "/v1/machines?fingerprint=%FF".into(),
            At::Parameter("fingerprint"),
        ),
        (
            "GET",
            "/v1/machines?metadata[%00]=x".into(),
            At::Parameter("metadata[\u{fffd}]"),
        ),
        (
            "GET",
            "/v1/users?metadata[a]=b%00".into(),
            At::Parameter("metadata[a]"),
        ),
        (
            "GET",
            "/v1/tokens?bearer[type]=%00".into(),
            At::Parameter("bearer[type]"),
        ),
        (
            "GET",
            "/v1/licenses?page[cursor]=%FF&page[size]=1".into(),
            At::Parameter("page[cursor]"),
        ),
        (
            "POST",
            "/v1/licenses/actions/validate-key?x=%00".into(),
            At::Parameter("x"),
        ),
        (
            "GET",
            format!("/v1/licenses/{id}/actions/check-out?include=%00"),
            At::Parameter("include"),
        ),
    ];
    for (who, credential) in &w.credentials {
        let headers: Vec<(&str, Vec<u8>)> = credential
            .iter()
            .map(|c| ("Authorization", c.clone()))
            .collect();
        for (method, path, at) in &paths {
            let body = (*method == "POST")
                .then(|| json!({"meta": {"key": w.key}}).to_string().into_bytes());
            let answer = send(&w.server, method, path, &headers, body).await?;
            assert_encoding_error(&answer, *at, &format!("{who}: {method} {path}"));
        }
    }
    // The credential itself in the query string.
    for (path, parameter) in [
        ("/v1/licenses?auth=license:a%00".to_owned(), "auth"),
        (format!("/v1/licenses?auth=license:{}%00", w.key), "auth"),
        ("/v1/licenses?token=%00".to_owned(), "token"),
        ("/v1/licenses?auth=%FF".to_owned(), "auth"),
        ("/v1/machines?token=token:%C3".to_owned(), "token"),
        (format!("/v1/licenses/{id}?auth=license%00:x"), "auth"),
    ] {
        let answer = send(&w.server, "GET", &path, &[], None).await?;
        assert_encoding_error(&answer, At::Parameter(parameter), &path);
    }
    // Not a path parameter: still a JSON:API error, never axum's plain text.
    for path in ["/v1/accounts/%00/licenses", "/v1/licen%FFses", "/v1/%00"] {
        let answer = send(&w.server, "GET", path, &[], None).await?;
        assert_json_api_client_error(&answer, path);
    }
    Ok(())
}

#[tokio::test]
async fn nul_and_invalid_utf8_in_headers_are_refused() -> anyhow::Result<()> {
    let w = world().await?;
    let key = w.key.as_str();
    let authorizations: Vec<(String, Vec<u8>)> = vec![
        ("bearer bytes".into(), b"Bearer \xff\xfe".to_vec()),
        ("license bytes".into(), b"License \xc3\x28".to_vec()),
        (
            "basic license NUL".into(),
            basic(format!("license:{key}\0").as_bytes()),
        ),
        ("basic license bytes".into(), basic(b"license:\xff")),
        ("basic token NUL".into(), basic(b"token:abc\0")),
        ("basic email NUL".into(), basic(b"a\0@x.test:pw")),
        ("basic password NUL".into(), basic(b"end@user.test:pw\0")),
        ("basic bare token bytes".into(), basic(b"\xc0\xaf")),
    ];
    let endpoints: [(&str, String); 5] = [
        ("POST", "/v1/licenses/actions/validate-key".into()),
        ("GET", "/v1/licenses".into()),
        ("GET", format!("/v1/licenses/{}", w.license_id)),
        ("GET", "/v1/machines?metadata[a]=b".into()),
        ("POST", "/v1/tokens".into()),
    ];
    for (what, value) in &authorizations {
        for (method, path) in &endpoints {
            let body =
                (*method == "POST").then(|| json!({"meta": {"key": key}}).to_string().into_bytes());
            let answer = send(
                &w.server,
                method,
                path,
                &[("Authorization", value.clone())],
                body,
            )
            .await?;
            assert_encoding_error(
                &answer,
                At::Header("Authorization"),
                &format!("{what}: {method} {path}"),
            );
        }
    }
    for (name, value) in [
        ("Accept", b"application/json\xff".to_vec()),
        (
            "Keygen-Accept-Signature",
            b"algorithm=\"\xc3\x28\"".to_vec(),
        ),
        (
            "Content-Type",
            b"application/vnd.api+json; charset=\xff".to_vec(),
        ),
    ] {
        for (method, path) in &endpoints {
            let body =
                (*method == "POST").then(|| json!({"meta": {"key": key}}).to_string().into_bytes());
            let admin = format!("Bearer {}", w.server.admin_token).into_bytes();
            let answer = send(
                &w.server,
                method,
                path,
                &[(name, value.clone()), ("Authorization", admin)],
                body,
            )
            .await?;
            assert_encoding_error(
                &answer,
                At::Header(name),
                &format!("{name}: {method} {path}"),
            );
        }
    }
    Ok(())
}
