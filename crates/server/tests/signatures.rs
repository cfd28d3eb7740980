//! Response signatures as Keygen's SDKs check them: every response once the account
//! is known (errors and 204s too), over the Host header as sent (with port), with
//! `Date`/`Digest` and their `Keygen-` duplicates; verified with the account's
//! published public keys by the `proto` verifier.

use latchkey_proto::offline::{PublicKeys, SignedMessage, verify_signed_message};
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

fn verify(
    server: &TestServer,
    keys: &PublicKeys,
    method: &str,
    path: &str,
    reply: &Reply,
    body: &[u8],
    use_keygen_names: bool,
) -> anyhow::Result<String> {
    let header = |name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (date, digest) = if use_keygen_names {
        (header("keygen-date"), header("keygen-digest"))
    } else {
        (header("date"), header("digest"))
    };
    let host = server.base.trim_start_matches("http://");
    let message = SignedMessage {
        method,
        target: path,
        host,
        date: &date,
        digest: Some(&digest),
        body,
    };
    let verified = verify_signed_message(&message, &header("keygen-signature"), keys)?;
    Ok(verified.algorithm.to_string())
}

#[tokio::test]
async fn every_response_is_signed_and_verifies() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let license = server
        .license_with_policy(json!({"floating": true}))
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    let id = license["id"].as_str().unwrap();

    // 200: validate-key without credentials, account-less path, both header pairs.
    let path = "/v1/licenses/actions/validate-key";
    let body = json!({"meta": {"key": key}}).to_string();
    let (reply, bytes) = raw_reply(&server, reqwest::Method::POST, path, &[], Some(body)).await?;
    assert_eq!(reply.status, 200);
    assert_eq!(
        verify(&server, &keys, "post", path, &reply, &bytes, false)?,
        "ed25519"
    );
    assert_eq!(
        verify(&server, &keys, "post", path, &reply, &bytes, true)?,
        "ed25519"
    );

    // A tampered body fails.
    let mut tampered = bytes.clone();
    tampered[0] ^= 1;
    assert!(verify(&server, &keys, "post", path, &reply, &tampered, false).is_err());

    // 404 error with a query string, account-scoped path.
    let path = "/v1/accounts/acme/licenses/nope?limit=1";
    let auth = format!("Bearer {}", server.admin_token);
    let (reply, bytes) = raw_reply(
        &server,
        reqwest::Method::GET,
        path,
        &[("Authorization", &auth)],
        None,
    )
    .await?;
    assert_eq!(reply.status, 404);
    verify(&server, &keys, "get", path, &reply, &bytes, false)?;

    // 204 with an empty body.
    server.activate(id, "to-delete").await?;
    let path = "/v1/machines/to-delete";
    let (reply, bytes) = raw_reply(
        &server,
        reqwest::Method::DELETE,
        path,
        &[("Authorization", &auth)],
        None,
    )
    .await?;
    assert_eq!((reply.status, bytes.len()), (204, 0));
    verify(&server, &keys, "delete", path, &reply, &bytes, false)?;
    Ok(())
}

#[tokio::test]
async fn accept_signature_chooses_the_algorithm() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let auth = format!("Bearer {}", server.admin_token);
    let path = "/v1/products";
    for algorithm in ["ecdsa-p256", "rsa-sha256", "rsa-pss-sha256", "ed25519"] {
        let accept = format!("keyid=\"{}\", algorithm=\"{algorithm}\"", server.account_id);
        let (reply, bytes) = raw_reply(
            &server,
            reqwest::Method::GET,
            path,
            &[
                ("Authorization", &auth),
                ("Keygen-Accept-Signature", &accept),
            ],
            None,
        )
        .await?;
        assert_eq!(reply.status, 200);
        assert_eq!(
            verify(&server, &keys, "get", path, &reply, &bytes, false)?,
            algorithm
        );
    }
    for bad in [
        "algorithm=\"md5\"",
        "keyid=\"someone-else\", algorithm=\"ed25519\"",
        "garbage",
    ] {
        let (reply, bytes) = raw_reply(
            &server,
            reqwest::Method::GET,
            path,
            &[("Authorization", &auth), ("Keygen-Accept-Signature", bad)],
            None,
        )
        .await?;
        assert_eq!(reply.status, 400, "{bad}");
        verify(&server, &keys, "get", path, &reply, &bytes, false)?;
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
