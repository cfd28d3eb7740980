//! Response signatures as Keygen's SDKs check them: every response once the account
//! is known (errors and 204s too), over the Host header as sent (with port), with
//! `Date`/`Digest` and their `Keygen-` duplicates; accepted by the SDK's own response
//! check (`latchkey_sdk::client::verify_response`, what every SDK request goes
//! through) with the account's published public keys.

use std::sync::Arc;

use latchkey_proto::offline::{KeyType, PublicKeys, SignatureHeader};
use latchkey_sdk::client::verify_response;
use latchkey_sdk::{Config, TrustError};
use latchkey_testkit::sdk::ServerClock;
use latchkey_testkit::{Reply, TestServer};
use serde_json::json;

async fn raw_reply(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> anyhow::Result<(Reply, Vec<u8>)> {
    let mut request = server
        .http
        .request(method, format!("{}{path}", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?.to_vec();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok((
        Reply {
            status,
            body,
            headers,
        },
        bytes,
    ))
}

/// An SDK configuration for `server` that trusts only the account's key of `key_type`
/// (so an accepted response was signed with that key's algorithm), on the server's clock.
fn config_trusting(
    server: &TestServer,
    keys: &PublicKeys,
    key_type: KeyType,
) -> anyhow::Result<Config> {
    let key = keys
        .get(key_type)
        .ok_or_else(|| anyhow::anyhow!("the account publishes no {key_type:?} key"))?;
    Ok(Config::new(server.base.clone())
        .verifying_key(key.clone())
        .clock(Arc::new(ServerClock(server.clock.clone()))))
}

/// Which `Date`/`Digest` pair the client gets to see: the response as sent, or with
/// one pair dropped (as a proxy that rewrites or strips headers might).
#[derive(Clone, Copy)]
enum Pair {
    Both,
    Plain,
    Keygen,
}

/// Whether an SDK client accepts `reply` to `method path`, exactly as it checks every
/// response it receives.
fn client_accepts(
    server: &TestServer,
    config: &Config,
    method: reqwest::Method,
    path: &str,
    reply: &Reply,
    body: &[u8],
    pair: Pair,
) -> anyhow::Result<()> {
    let mut headers = reply.headers.clone();
    let dropped: &[&str] = match pair {
        Pair::Both => &[],
        Pair::Plain => &["keygen-date", "keygen-digest"],
        Pair::Keygen => &["date", "digest"],
    };
    for name in dropped {
        assert!(headers.remove(*name).is_some(), "the response has {name}");
    }
    let url = reqwest::Url::parse(&format!("{}{path}", server.base))?;
    Ok(verify_response(config, &method, &url, &headers, body)?)
}

/// The algorithm the `Keygen-Signature` header names.
fn signature_algorithm(reply: &Reply) -> anyhow::Result<String> {
    let header = reply
        .headers
        .get("keygen-signature")
        .ok_or_else(|| anyhow::anyhow!("unsigned response"))?
        .to_str()?;
    Ok(header.parse::<SignatureHeader>()?.algorithm.to_string())
}

#[tokio::test]
async fn every_response_is_signed_and_verifies() -> anyhow::Result<()> {
    use reqwest::Method;
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let config = config_trusting(&server, &keys, KeyType::Ed25519)?;
    let license = server
        .license_with_policy(json!({"floating": true}))
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    let id = license["id"].as_str().unwrap();

    // 200: validate-key without credentials, account-less path, both header pairs.
    let path = "/v1/licenses/actions/validate-key";
    let body = json!({"meta": {"key": key}}).to_string();
    let (reply, bytes) = raw_reply(&server, Method::POST, path, &[], Some(body)).await?;
    assert_eq!(reply.status, 200);
    assert_eq!(signature_algorithm(&reply)?, "ed25519");
    for pair in [Pair::Both, Pair::Plain, Pair::Keygen] {
        client_accepts(&server, &config, Method::POST, path, &reply, &bytes, pair)?;
    }

    // A tampered body fails.
    let mut tampered = bytes.clone();
    tampered[0] ^= 1;
    let refused = client_accepts(
        &server,
        &config,
        Method::POST,
        path,
        &reply,
        &tampered,
        Pair::Plain,
    );
    let refusal = refused.as_ref().err().and_then(|e| e.downcast_ref());
    assert!(
        matches!(refusal, Some(TrustError::Signature(_))),
        "{refused:?}"
    );

    // 404 error with a query string, account-scoped path.
    let path = "/v1/accounts/acme/licenses/nope?limit=1";
    let auth = format!("Bearer {}", server.admin_token);
    let (reply, bytes) = raw_reply(
        &server,
        Method::GET,
        path,
        &[("Authorization", &auth)],
        None,
    )
    .await?;
    assert_eq!(reply.status, 404);
    client_accepts(
        &server,
        &config,
        Method::GET,
        path,
        &reply,
        &bytes,
        Pair::Plain,
    )?;

    // 204 with an empty body.
    server.activate(id, "to-delete").await?;
    let path = "/v1/machines/to-delete";
    let (reply, bytes) = raw_reply(
        &server,
        Method::DELETE,
        path,
        &[("Authorization", &auth)],
        None,
    )
    .await?;
    assert_eq!((reply.status, bytes.len()), (204, 0));
    client_accepts(
        &server,
        &config,
        Method::DELETE,
        path,
        &reply,
        &bytes,
        Pair::Plain,
    )?;
    Ok(())
}

#[tokio::test]
async fn accept_signature_chooses_the_algorithm() -> anyhow::Result<()> {
    use reqwest::Method;
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let auth = format!("Bearer {}", server.admin_token);
    let path = "/v1/products";
    for (algorithm, key_type) in [
        ("ecdsa-p256", KeyType::EcdsaP256),
        ("rsa-sha256", KeyType::Rsa),
        ("rsa-pss-sha256", KeyType::Rsa),
        ("ed25519", KeyType::Ed25519),
    ] {
        let accept = format!("keyid=\"{}\", algorithm=\"{algorithm}\"", server.account_id);
        let (reply, bytes) = raw_reply(
            &server,
            Method::GET,
            path,
            &[
                ("Authorization", &auth),
                ("Keygen-Accept-Signature", &accept),
            ],
            None,
        )
        .await?;
        assert_eq!(reply.status, 200);
        assert_eq!(signature_algorithm(&reply)?, algorithm);
        // A client trusting only that algorithm's key accepts the response.
        let config = config_trusting(&server, &keys, key_type)?;
        client_accepts(
            &server,
            &config,
            Method::GET,
            path,
            &reply,
            &bytes,
            Pair::Plain,
        )?;
    }
    let config = config_trusting(&server, &keys, KeyType::Ed25519)?;
    for bad in [
        "algorithm=\"md5\"",
        "keyid=\"someone-else\", algorithm=\"ed25519\"",
        "garbage",
    ] {
        let (reply, bytes) = raw_reply(
            &server,
            Method::GET,
            path,
            &[("Authorization", &auth), ("Keygen-Accept-Signature", bad)],
            None,
        )
        .await?;
        assert_eq!(reply.status, 400, "{bad}");
        client_accepts(
            &server,
            &config,
            Method::GET,
            path,
            &reply,
            &bytes,
            Pair::Plain,
        )?;
    }
    Ok(())
}

/// Keygen's `GET /v1/ping` answers 200 with an empty body and is never signed, even
/// with an account configured, under the account prefix too, and with an accept header.
#[tokio::test]
async fn ping_answers_200_and_is_never_signed() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for path in ["/v1/ping", "/v1/accounts/acme/ping"] {
        for headers in [
            vec![],
            vec![("Keygen-Accept-Signature", "algorithm=\"rsa-sha256\"")],
        ] {
            let (reply, bytes) =
                raw_reply(&server, reqwest::Method::GET, path, &headers, None).await?;
            assert_eq!((reply.status, bytes.len()), (200, 0), "{path}");
            for name in ["keygen-signature", "digest", "keygen-digest", "keygen-date"] {
                assert!(
                    reply.headers.get(name).is_none(),
                    "{path} carries {name}: {:?}",
                    reply.headers
                );
            }
        }
    }
    Ok(())
}
