//! Settings: defaults, documentation, layering and validation.

use super::*;

#[test]
fn the_default_document_reads_back_as_the_defaults() -> Result<(), toml::de::Error> {
    assert_eq!(
        Settings::from_toml(&Settings::default_toml())?,
        Settings::default()
    );
    Ok(())
}

#[test]
fn every_setting_is_documented_once_in_field_order() -> Result<(), toml::ser::Error> {
    let everything = Settings {
        secret_key: Some("k".into()),
        account: Some("a".into()),
        admin_email: Some("e".into()),
        admin_password: Some("p".into()),
        tls_cert: Some("c".into()),
        tls_key: Some("k".into()),
        public_url: Some("https://u".into()),
        storage_bucket: Some("b".into()),
        storage_endpoint: Some("http://e".into()),
        storage_access_key_id: Some("i".into()),
        storage_secret_access_key: Some("s".into()),
        metrics_token: Some("t".into()),
        metrics_listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 9100))),
        ..Settings::default()
    };
    let keys: Vec<String> = toml::Table::try_from(everything)?.keys().cloned().collect();
    let mut documented: Vec<String> = DOCS.iter().map(|d| d.key.to_owned()).collect();
    documented.sort();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, documented);
    Ok(())
}

#[test]
fn unknown_keys_are_named() {
    let error = Settings::from_toml("bind = \"127.0.0.1:1\"\nbnid = 3\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("bnid"), "{error}");
}

#[test]
fn a_file_sets_only_its_keys() -> Result<(), toml::de::Error> {
    let settings =
        Settings::from_toml("max_rps = 7\ntrusted_proxies = [\"10.0.0.2\", \"10.0.1.0/24\"]\n")?;
    assert_eq!(settings.max_rps, 7);
    assert_eq!(settings.trusted_proxies.len(), 2);
    assert_eq!(settings.bind, Settings::default().bind);
    assert!(Settings::from_toml("trusted_proxies = [\"nope\"]").is_err());
    Ok(())
}

#[test]
fn zero_timeouts_and_half_tls_are_refused() {
    let zero = Settings {
        body_timeout: 0,
        ..Settings::default()
    };
    assert_eq!(zero.validate().err().map(|e| e.key), Some("body_timeout"));
    let half = Settings {
        tls_cert: Some("cert.pem".into()),
        ..Settings::default()
    };
    assert_eq!(half.validate().err().map(|e| e.key), Some("tls_key"));
    assert!(Settings::default().validate().is_ok());
}

#[test]
fn secrets_stay_out_of_debug() {
    let settings = Settings {
        database_url: "postgres://latchkey:pw-123@db/latchkey".into(),
        secret_key: Some("sk-456".into()),
        admin_password: Some("ap-789".into()),
        storage: "s3".into(),
        storage_bucket: Some("releases".into()),
        storage_secret_access_key: Some("s3-012".into()),
        metrics_token: Some("mt-345-metrics-token".into()),
        ..Settings::default()
    };
    let text = format!("{settings:?} {:?}", settings.config());
    for secret in ["pw-123", "sk-456", "ap-789", "s3-012", "mt-345"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[test]
fn s3_storage_needs_a_bucket_and_a_known_backend() {
    let unknown = Settings {
        storage: "ftp".into(),
        ..Settings::default()
    };
    assert_eq!(unknown.validate().err().map(|e| e.key), Some("storage"));
    let bucketless = Settings {
        storage: "s3".into(),
        ..Settings::default()
    };
    assert_eq!(
        bucketless.validate().err().map(|e| e.key),
        Some("storage_bucket")
    );
    let s3 = Settings {
        storage: "s3".into(),
        storage_bucket: Some("releases".into()),
        storage_endpoint: Some("http://127.0.0.1:9000".into()),
        storage_path_style: true,
        ..Settings::default()
    };
    assert!(s3.validate().is_ok());
    assert!(s3.config().artifacts.s3.is_some());
    assert!(Settings::default().config().artifacts.s3.is_none());
}

#[test]
fn log_format_and_metrics_token_are_checked() {
    let json = Settings {
        log_format: "json".into(),
        ..Settings::default()
    };
    assert!(json.validate().is_ok());
    let yaml = Settings {
        log_format: "yaml".into(),
        ..Settings::default()
    };
    let error = yaml.validate().err();
    assert_eq!(error.as_ref().map(|e| e.key), Some("log_format"));
    assert!(
        error.is_some_and(|e| e.to_string().contains("\"text\" or \"json\"")),
        "the message names the accepted values"
    );
    for weak in ["", "short", "sixteen chars ok"] {
        let settings = Settings {
            metrics_token: Some(weak.into()),
            ..Settings::default()
        };
        assert_eq!(
            settings.validate().err().map(|e| e.key),
            Some("metrics_token"),
            "{weak:?}"
        );
    }
    let good = Settings {
        metrics_token: Some("0123456789abcdef".into()),
        ..Settings::default()
    };
    assert!(good.validate().is_ok());
    assert_eq!(
        good.config().metrics.token.as_deref(),
        Some("0123456789abcdef")
    );
}
