//! HTTPS from the server itself: a certificate issued by a test CA, the activation
//! flow through it (HTTP/2 via ALPN), and certificate replacement without a restart
//! (a broken replacement keeps the previous certificate).

use latchkey_server::Config;
use latchkey_server::config::TlsFiles;
use latchkey_testkit::TestServer;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

/// A CA and a `localhost` certificate it issued: (CA PEM, leaf PEM, leaf DER, key PEM).
struct Issued {
    ca_pem: String,
    cert_pem: String,
    cert_der: Vec<u8>,
    key_pem: String,
}

fn issue() -> anyhow::Result<Issued> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["localhost".to_owned()])?.signed_by(&key, &ca)?;
    Ok(Issued {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
    })
}

fn write(dir: &Path, issued: &Issued) -> anyhow::Result<()> {
    // Written beside and renamed into place, as certificate tools do.
    for (name, text) in [("cert.pem", &issued.cert_pem), ("key.pem", &issued.key_pem)] {
        let temporary = dir.join(format!("{name}.new"));
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, dir.join(name))?;
    }
    Ok(())
}

fn client(server: &TestServer, trusted_ca: &str) -> anyhow::Result<reqwest::Client> {
    let port = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| anyhow::anyhow!("no port in {}", server.base))?;
    Ok(reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(trusted_ca.as_bytes())?)
        .tls_built_in_root_certs(false)
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .build()?)
}

/// The leaf certificate a fresh connection is served.
async fn served_certificate(server: &TestServer, trusted_ca: &str) -> anyhow::Result<Vec<u8>> {
    let response = client(server, trusted_ca)?
        .get(format!("{}/v1/ping", server.base))
        .send()
        .await?;
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec)
        .ok_or_else(|| anyhow::anyhow!("no peer certificate"))
}

#[tokio::test]
async fn activation_over_https_and_certificate_reload() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("latchkey-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let first = issue()?;
    write(&dir, &first)?;
    let mut server = TestServer::start_with(Config {
        tls: Some(TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
            reload_interval: Duration::from_millis(200),
        }),
        ..Config::default()
    })
    .await?;
    assert!(server.base.starts_with("https://localhost:"));
    server.http = client(&server, &first.ca_pem)?;

    // HTTP/2 is offered through ALPN; HTTP/1.1 works too.
    let ping = server
        .http
        .get(format!("{}/v1/ping", server.base))
        .send()
        .await?;
    assert!(ping.status().is_success());
    assert_eq!(ping.version(), reqwest::Version::HTTP_2);
    let http1 = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(first.ca_pem.as_bytes())?)
        .resolve(
            "localhost",
            (
                [127, 0, 0, 1],
                server.base.rsplit(':').next().unwrap_or("0").parse()?,
            )
                .into(),
        )
        .http1_only()
        .build()?;
    let ping1 = http1.get(format!("{}/v1/ping", server.base)).send().await?;
    assert_eq!(ping1.version(), reqwest::Version::HTTP_11);

    // The activation flow over HTTPS.
    let license = server.license_with_policy(json!({})).await?;
    let key = license["attributes"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let license_id = license["id"].as_str().unwrap_or_default().to_owned();
    let before = server
        .validate_key(&key, json!({"fingerprint": "device-1"}))
        .await?;
    assert_eq!(before["meta"]["valid"], false, "{before}");
    let activated = server.activate(&license_id, "device-1").await?;
    assert_eq!(activated.status, 201, "{}", activated.body);
    let after = server
        .validate_key(&key, json!({"fingerprint": "device-1"}))
        .await?;
    assert_eq!(after["meta"]["valid"], true, "{after}");
    assert_eq!(after["meta"]["code"], "VALID");

    // Plain HTTP on the TLS port is refused, not served.
    let plain = reqwest::Client::new()
        .get(format!(
            "{}/v1/ping",
            server.base.replace("https://", "http://")
        ))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));

    // Replace the certificate: new connections get the new one without a restart.
    assert_eq!(
        served_certificate(&server, &first.ca_pem).await?,
        first.cert_der
    );
    let second = issue()?;
    write(&dir, &second)?;
    let mut reloaded = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Ok(der) = served_certificate(&server, &second.ca_pem).await
            && der == second.cert_der
        {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "the new certificate was never served");

    // A broken replacement is refused and the last good certificate stays.
    std::fs::write(dir.join("cert.pem"), "-----BEGIN CERTIFICATE-----\nnope\n")?;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        served_certificate(&server, &second.ca_pem).await?,
        second.cert_der
    );
    // So is a key that does not belong to the certificate.
    let third = issue()?;
    std::fs::write(dir.join("cert.pem"), &third.cert_pem)?;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        served_certificate(&server, &second.ca_pem).await?,
        second.cert_der
    );

    server.shut_down().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
