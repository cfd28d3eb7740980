//! Dev-only helpers: start a real Latchkey server on 127.0.0.1:0 against SQLite (a
//! temp file) or PostgreSQL (a fresh schema), with a movable clock and an admin
//! token, and talk to it over HTTP.
//!
//! The backend comes from `LATCHKEY_TEST_DATABASE` (`sqlite`, the default, or
//! `postgres`); PostgreSQL is reached at `LATCHKEY_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`). [`cluster`] runs several
//! `latchkey serve` processes on one PostgreSQL database instead. [`fixtures`] holds
//! the shared set-up (ids, linkage, logins, creators), [`cast`] the usual bearers.

pub mod cast;
pub mod cluster;
pub mod fixtures;
pub mod nodes;
pub mod receiver;
pub mod sdk;

pub use fixtures::{
    Fixtures, PASSWORD, basic, component, id, license_body, machine_body, to_many, to_one,
};

use latchkey_core::clock::ManualClock;
use latchkey_core::secret::SecretKey;
use latchkey_server::bootstrap::{NewAccount, create_account, issue_admin_token};
use latchkey_server::{AppState, Config};
use latchkey_store::Db;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Which database the suite runs on.
pub fn backend_name() -> String {
    std::env::var("LATCHKEY_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

/// A fresh, migrated database for one test; removed when dropped.
pub async fn fresh_db() -> anyhow::Result<TestDb> {
    let target = fresh_target()?;
    let db = Db::connect_with_schema(&target.0, target.1.as_deref()).await?;
    Ok(TestDb {
        db,
        _target: target,
    })
}

/// A test's database ([`fresh_db`]): derefs to [`Db`]; dropping it removes the
/// SQLite file or PostgreSQL schema.
pub struct TestDb {
    db: Db,
    _target: Target,
}

impl std::ops::Deref for TestDb {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

/// A test's database location: URL and, on PostgreSQL, its schema. Dropping it
/// removes the SQLite file (with its WAL files) or drops the schema.
struct Target(String, Option<String>);

impl Drop for Target {
    fn drop(&mut self) {
        match &self.1 {
            None => {
                if let Some(path) = self.0.strip_prefix("sqlite://") {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{path}{suffix}"));
                    }
                }
            }
            Some(schema) => {
                let (url, schema) = (self.0.clone(), schema.clone());
                // Drop may run inside the test's runtime: use a thread with its own.
                let dropped = std::thread::spawn(move || {
                    use sqlx::Connection;
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async {
                        let mut admin = sqlx::PgConnection::connect(&url).await?;
                        // Sessions of the test (pooled, possibly idle in a
                        // transaction) would hold locks the drop waits for.
                        sqlx::query(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE application_name = $1 AND pid <> pg_backend_pid()",
                        )
                        .bind(&schema)
                        .execute(&mut admin)
                        .await?;
                        sqlx::query("SET lock_timeout = '10s'")
                            .execute(&mut admin)
                            .await?;
                        sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                            .execute(&mut admin)
                            .await?;
                        admin.close().await?;
                        Ok::<_, anyhow::Error>(())
                    })
                });
                if let Ok(Err(error)) = dropped.join() {
                    eprintln!("could not drop the test schema: {error:#}");
                }
            }
        }
    }
}

/// A new database location (URL and PostgreSQL schema) for one test.
fn fresh_target() -> anyhow::Result<Target> {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    if backend_name() == "postgres" {
        let url = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        Ok(Target(url, Some(format!("t_{suffix}"))))
    } else {
        let dir = std::env::temp_dir().join("latchkey-tests");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{suffix}.db"));
        Ok(Target(format!("sqlite://{}", path.display()), None))
    }
}

/// Sends a JSON:API request to `base` with an optional bearer token and JSON body.
pub(crate) async fn send(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<Reply> {
    let authorization = token.map(|token| format!("Bearer {token}"));
    send_with(http, base, method, path, authorization.as_deref(), body).await
}

/// Sends a JSON:API request to `base` with an optional whole `Authorization` header
/// value (`Bearer …`, `License …`, `Basic …`) and JSON body.
pub(crate) async fn send_with(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<Reply> {
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    let mut request = http
        .request(method, format!("{base}{path}"))
        .header("Accept", "application/vnd.api+json");
    if let Some(authorization) = authorization {
        request = request.header("Authorization", authorization);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/vnd.api+json")
            .body(body.to_string());
    }
    TestServer::reply(request.send().await?).await
}

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Admin token of the first account.
    pub admin_token: String,
    /// First account id.
    pub account_id: String,
    /// The server's clock.
    pub clock: ManualClock,
    /// The database (for a second account, or direct checks).
    pub db: Db,
    /// The server secret.
    pub secret: SecretKey,
    /// HTTP client.
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    target: Target,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A response: status and parsed JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body as JSON.
    pub body: Value,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// `errors[0].code`.
    pub fn error_code(&self) -> Option<&str> {
        self.body["errors"][0]["code"].as_str()
    }

    /// The ids of `data`, in order (empty when `data` is not a list).
    pub fn ids(&self) -> Vec<String> {
        self.body["data"]
            .as_array()
            .map(|resources| resources.iter().map(id).collect())
            .unwrap_or_default()
    }

    /// Header `name` as text ("" when absent or not text).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestServer {
    /// Starts a server with account `acme` and an admin token.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Config::default()).await
    }

    /// Like [`TestServer::start`], with `config` (its `account` is set to `acme`).
    /// With `config.tls` set, `base` is `https://localhost:<port>` and `http` must be
    /// replaced by a client trusting the certificate.
    pub async fn start_with(config: Config) -> anyhow::Result<Self> {
        let target = fresh_target()?;
        let db = Db::connect_with_schema(&target.0, target.1.as_deref()).await?;
        let secret = SecretKey::generate();
        let clock = ManualClock::new(time::macros::datetime!(2026-01-01 12:00 UTC));
        let now = 1_767_268_800_000;
        let created = create_account(
            &db,
            &secret,
            now,
            NewAccount {
                slug: "acme".into(),
                name: None,
                email: "admin@acme.test".into(),
                password: "correct horse".into(),
            },
        )
        .await?;
        let admin_token = issue_admin_token(&db, &secret, now, &created.admin).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = match config.tls {
            Some(_) => format!("https://localhost:{}", listener.local_addr()?.port()),
            None => format!("http://{}", listener.local_addr()?),
        };
        let config = Config {
            account: Some("acme".into()),
            ..config
        };
        let state = AppState::new(db.clone(), Arc::new(clock.clone()), secret.clone(), config);
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(latchkey_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            base,
            admin_token,
            account_id: created.account.id,
            clock,
            db,
            secret,
            http: reqwest::Client::new(),
            stop: Some(stop),
            serving: Some(serving),
            target,
        })
    }

    /// Resolves the server's shutdown future and waits until `serve` returns.
    pub async fn shut_down(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            serving.await??;
        }
        Ok(())
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        send(&self.http, &self.base, method, path, token, body).await
    }

    /// Sends a JSON:API request with `authorization` as the whole `Authorization`
    /// header value (`Bearer …`, `License …`, `Basic …`) and an optional JSON body.
    pub async fn send_as(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        let mut headers = vec![
            ("Accept", "application/vnd.api+json"),
            ("Authorization", authorization),
        ];
        if body.is_some() {
            headers.push(("Content-Type", "application/vnd.api+json"));
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.raw(method, path, &headers, bytes).await
    }

    /// Sends raw bytes with the given headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> anyhow::Result<Reply> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::reply(request.send().await?).await
    }

    async fn reply(response: reqwest::Response) -> anyhow::Result<Reply> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Reply {
            status,
            body,
            headers,
        })
    }

    /// As admin.
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        self.call(method, path, Some(&self.admin_token), body).await
    }

    /// Creates a resource as admin and returns it (`data`); an error unless 201.
    pub async fn create(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let reply = self.admin("POST", path, Some(body)).await?;
        anyhow::ensure!(
            reply.status == 201,
            "POST {path} returned {}: {}",
            reply.status,
            reply.body
        );
        Ok(reply.body["data"].clone())
    }

    /// Creates product → policy (with `policy_attributes`, named `Policy`) → license;
    /// returns the license.
    pub async fn license_with_policy(&self, policy_attributes: Value) -> anyhow::Result<Value> {
        let mut attributes = policy_attributes;
        attributes["name"] = "Policy".into();
        let policy = self.policy_with_product(attributes).await?;
        self.license_for(&policy, serde_json::json!({})).await
    }

    /// Validates a key with a scope (no credentials).
    pub async fn validate_key(&self, key: &str, scope: Value) -> anyhow::Result<Value> {
        let reply = self
            .call(
                "POST",
                "/v1/licenses/actions/validate-key",
                None,
                Some(serde_json::json!({"meta": {"key": key, "scope": scope}})),
            )
            .await?;
        anyhow::ensure!(
            reply.status == 200,
            "validate-key returned {}: {}",
            reply.status,
            reply.body
        );
        Ok(reply.body)
    }

    /// A second, independent connection pool on the server's database, as another
    /// server process sharing it would have.
    pub async fn second_node_db(&self) -> anyhow::Result<Db> {
        Ok(Db::connect_with_schema(&self.target.0, self.target.1.as_deref()).await?)
    }

    /// Runs one culling pass at the server's (manual) clock time.
    pub async fn cull(&self) -> anyhow::Result<latchkey_server::jobs::cull::CullReport> {
        use latchkey_core::clock::Clock;
        Ok(latchkey_server::jobs::cull::cull_once(&self.db, self.clock.now()).await?)
    }

    /// Runs one license notices pass at the server's (manual) clock time; the
    /// `(event, license id)` pairs it sent.
    pub async fn notices(&self) -> anyhow::Result<Vec<(&'static str, String)>> {
        let clock: latchkey_core::clock::SharedClock = std::sync::Arc::new(self.clock.clone());
        let report = latchkey_server::jobs::notices::notices_once(&self.db, &clock).await?;
        Ok(report.sent)
    }

    /// Activates a machine as admin.
    pub async fn activate(&self, license_id: &str, fingerprint: &str) -> anyhow::Result<Reply> {
        let body = machine_body(license_id, fingerprint, Value::Null, Value::Null);
        self.admin("POST", "/v1/machines", Some(body)).await
    }

    /// Activates a machine of `license_id` with a fresh random fingerprint; returns
    /// its id.
    pub async fn machine_for(&self, license_id: &str) -> anyhow::Result<String> {
        let fingerprint = uuid::Uuid::new_v4().simple().to_string();
        let reply = self.activate(license_id, &fingerprint).await?;
        anyhow::ensure!(reply.status == 201, "activate: {}", reply.body);
        Ok(id(&reply.body["data"]))
    }
}
