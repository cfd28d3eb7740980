//! The comment of every setting, written above its key by `latchkey print-default-config`.

/// One setting's comment in [`Settings::default_toml`](super::Settings::default_toml).
pub struct SettingDoc {
    /// TOML key (the field name).
    pub key: &'static str,
    /// What it means.
    pub about: &'static str,
    /// A value to show, commented out, for a setting without a default.
    pub example: &'static str,
}

/// Every setting, in the order of [`Settings::default_toml`](super::Settings::default_toml).
pub const DOCS: &[SettingDoc] = &[
    doc(
        "database_url",
        "sqlite://PATH or postgres://user:pass@host/db.",
        "",
    ),
    doc(
        "secret_key",
        "64 hex characters: seals the account private keys and keys token digests.\n\
         Required with PostgreSQL (the same on every node); with SQLite it is generated\n\
         once into secret.key beside the database (mode 0600).",
        "\"<openssl rand -hex 32>\"",
    ),
    doc("bind", "Listen address.", ""),
    doc(
        "account",
        "Account served on account-less /v1/… routes (id or slug); default: the first.\n\
         With admin_email and admin_password, created on an empty database.",
        "\"acme\"",
    ),
    doc(
        "admin_email",
        "First admin created on an empty database.",
        "\"admin@acme.test\"",
    ),
    doc("admin_password", "Password of that first admin.", "\"…\""),
    doc(
        "log",
        "Log filter (tracing syntax, e.g. \"info,latchkey_server=debug\").",
        "",
    ),
    doc(
        "log_format",
        "Log lines as \"text\" or \"json\" (one JSON object per line, with the span\n\
         fields such as the request's request_id).",
        "",
    ),
    doc(
        "cull_interval",
        "Seconds between passes deleting dead machines and processes (0 disables).",
        "",
    ),
    doc(
        "header_timeout",
        "Seconds an HTTP/1 request head (and a TLS handshake) may take.",
        "",
    ),
    doc(
        "body_timeout",
        "Seconds a request body may take to arrive completely.",
        "",
    ),
    doc(
        "idle_timeout",
        "Seconds a connection may move no byte with no request in flight.",
        "",
    ),
    doc(
        "max_connections",
        "Open connections at most (lowered to fit the open-file limit).",
        "",
    ),
    doc(
        "shutdown_timeout",
        "Seconds in-flight requests get to finish on shutdown.",
        "",
    ),
    doc(
        "max_body_bytes",
        "Largest accepted request body, in bytes.",
        "",
    ),
    doc(
        "tls_cert",
        "PEM certificate chain, leaf first: serve HTTPS (with tls_key).",
        "\"/etc/latchkey/cert.pem\"",
    ),
    doc(
        "tls_key",
        "PEM private key of tls_cert (PKCS#8, PKCS#1 or SEC1).",
        "\"/etc/latchkey/key.pem\"",
    ),
    doc(
        "tls_reload_interval",
        "Seconds between checks of the TLS files for a new certificate.",
        "",
    ),
    doc(
        "trusted_proxies",
        "Reverse proxies (IPs or CIDRs) whose X-Forwarded-For is believed.",
        "",
    ),
    doc(
        "max_rps",
        "Requests per second per account, client IP and credential (0 = no limit).",
        "",
    ),
    doc(
        "max_rpm",
        "Requests per minute per account, client IP and credential (0 = no limit).",
        "",
    ),
    doc(
        "artifact_dir",
        "Folder holding uploaded release artifacts (files 0600).",
        "",
    ),
    doc(
        "max_artifact_bytes",
        "Largest accepted release artifact, in bytes.",
        "",
    ),
    doc(
        "artifact_url_ttl",
        "Seconds a signed artifact upload or download URL stays valid.",
        "",
    ),
    doc(
        "public_url",
        "Public base URL of this server for signed artifact URLs; default: from the\n\
         request's Host header.",
        "\"https://licensing.example.com\"",
    ),
    doc(
        "storage",
        "Where artifacts are stored: \"local\" (files under artifact_dir) or \"s3\"\n\
         (an S3-compatible bucket: AWS S3, MinIO, R2, …; the storage_* keys below).",
        "",
    ),
    doc("storage_bucket", "S3 bucket name.", "\"releases\""),
    doc(
        "storage_endpoint",
        "S3 endpoint of a non-AWS service; leave out for AWS.",
        "\"http://127.0.0.1:9000\"",
    ),
    doc(
        "storage_region",
        "S3 region (\"auto\" for Cloudflare R2).",
        "",
    ),
    doc(
        "storage_access_key_id",
        "S3 access key id; default: AWS_ACCESS_KEY_ID or the instance's role.",
        "\"AKIA…\"",
    ),
    doc(
        "storage_secret_access_key",
        "S3 secret access key; default: AWS_SECRET_ACCESS_KEY or the instance's role.",
        "\"…\"",
    ),
    doc(
        "storage_path_style",
        "Path-style S3 URLs (endpoint/bucket/key), as MinIO and moto need.",
        "",
    ),
    doc(
        "storage_prefix",
        "Key prefix of the artifact objects in the bucket.",
        "",
    ),
    doc(
        "allow_insecure_webhooks",
        "Accept http:// webhook URLs and URLs resolving to loopback or private\n\
         addresses (local testing only: it opens the operator's network to SSRF).",
        "",
    ),
    doc(
        "webhook_retry_base_seconds",
        "Webhook retry back-off base: retry n waits n⁴ seconds + base × rand(1..10).",
        "",
    ),
    doc(
        "webhook_timeout",
        "Seconds a webhook delivery may take (connect, send, answer).",
        "",
    ),
    doc(
        "webhook_concurrency",
        "Webhook deliveries in flight at most, per server process.",
        "",
    ),
    doc(
        "webhook_poll_interval_ms",
        "Milliseconds between polls for due webhook deliveries (0 disables delivery).",
        "",
    ),
    doc(
        "validation_cache_size",
        "Licenses whose validation snapshot is kept in memory, least recently used out (0 disables).",
        "",
    ),
    doc(
        "request_logs",
        "Record every API request in the request logs (/v1/request-logs).",
        "",
    ),
    doc(
        "request_log_bodies",
        "Also keep JSON request and response bodies in the request logs, up to 16 KiB each, with every member whose name contains passw, digest, priv, key, token, secret, crypt, salt, certificate, otp, redirect, cvv, cvc, ssn or auth replaced by [FILTERED] (Keygen's filter).",
        "",
    ),
    doc(
        "log_retention_days",
        "Days event logs and request logs are kept (0 keeps them forever).",
        "",
    ),
    doc(
        "webhook_event_retention_days",
        "Days delivered and failed webhook events are kept (0 keeps them forever).",
        "",
    ),
    doc(
        "jobs_interval",
        "Seconds between runs of the scheduled jobs (license expiry and check-in notices, retention pruning; 0 disables them).",
        "",
    ),
    doc(
        "metrics_token",
        "Bearer token GET /metrics requires (Prometheus text format; at least 16\n\
         characters). Unset: /metrics answers 404 on the API address.",
        "\"<openssl rand -hex 32>\"",
    ),
    doc(
        "admin_ui",
        "Serve the admin web UI at /admin (staff sign in with email, password and their\n\
         second factor). false leaves /admin to the API, which answers 404.",
        "",
    ),
    doc(
        "metrics_listen",
        "A separate address serving only /metrics, without a token (keep it private).",
        "\"127.0.0.1:9100\"",
    ),
];

const fn doc(key: &'static str, about: &'static str, example: &'static str) -> SettingDoc {
    SettingDoc {
        key,
        about,
        example,
    }
}
