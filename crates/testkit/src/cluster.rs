//! Several real `latchkey serve` processes on one fresh PostgreSQL database, as a
//! user who scales out runs them: for race tests across nodes.
//!
//! [`Cluster::start`] creates a database, spawns the processes (all at once, so they
//! also race through migrations and first-start bootstrap) on `127.0.0.1:0` with a
//! shared `LATCHKEY_SECRET_KEY`, waits until each has logged its bound address and
//! answers `/v1/ping`, and takes an admin token. Dropping the cluster kills the
//! processes and drops the database. The binary path comes from the test
//! (`env!("CARGO_BIN_EXE_latchkey")`), which only root-package tests can see.
//! Multi-process needs PostgreSQL: on SQLite, [`Cluster::unavailable`] says so.

use crate::{Reply, TestServer, backend_name};
use anyhow::{Context, bail};
use latchkey_core::secret::SecretKey;
use serde_json::Value;
use sqlx::Connection;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the processes get their first account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrap {
    /// `LATCHKEY_ACCOUNT=acme`, `LATCHKEY_ADMIN_EMAIL=admin@acme.test`,
    /// `LATCHKEY_ADMIN_PASSWORD=correct horse` on every process.
    Account,
    /// No account variables: the first start creates account `default` and prints
    /// its admin credentials once.
    FirstStart,
}

/// Admin email of [`Bootstrap::Account`].
pub const ADMIN_EMAIL: &str = "admin@acme.test";
/// Admin password of [`Bootstrap::Account`].
pub const ADMIN_PASSWORD: &str = "correct horse";

/// One server process.
pub struct Node {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    output: Arc<Mutex<Vec<String>>>,
    child: Child,
}

impl Node {
    /// Everything the process wrote to stdout and stderr so far (ANSI colours removed).
    pub fn output(&self) -> Vec<String> {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

/// Processes sharing one PostgreSQL database.
pub struct Cluster {
    /// The processes, in start order.
    pub nodes: Vec<Node>,
    /// An admin token of the account.
    pub admin_token: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// `postgres://…/<database>` the processes use.
    pub database_url: String,
    server_url: String,
    database: String,
    binary: String,
    bootstrap: Bootstrap,
    secret: String,
    env: Vec<(String, String)>,
}

fn server_url() -> String {
    std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let host = base.find("://").context("database URL without scheme")? + 3;
    let path = base[host..].find('/').map_or(base.len(), |i| i + host);
    let mut out = format!("{}/{name}", &base[..path]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn collect(stream: impl Read + Send + 'static, output: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut output) = output.lock() {
                output.push(strip_ansi(&line));
            }
        }
    });
}

/// The address in a `latchkey listening addr=…` log line.
fn listening_address(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .filter(|l| l.contains("latchkey listening"))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .map(str::to_owned)
        })
}

impl Cluster {
    /// Whether multi-process tests cannot run here (not on PostgreSQL); prints a
    /// skip note for `test` when so.
    pub fn unavailable(test: &str) -> bool {
        if backend_name() == "postgres" {
            return false;
        }
        eprintln!(
            "skipping {test}: several server processes need PostgreSQL (LATCHKEY_TEST_DATABASE=postgres)"
        );
        true
    }

    /// Starts `nodes` processes of `binary` with [`Bootstrap::Account`].
    pub async fn start(binary: &str, nodes: usize) -> anyhow::Result<Self> {
        Self::start_with(binary, nodes, Bootstrap::Account).await
    }

    /// Starts `nodes` processes of `binary` at once on a fresh database.
    pub async fn start_with(
        binary: &str,
        nodes: usize,
        bootstrap: Bootstrap,
    ) -> anyhow::Result<Self> {
        Self::start_with_env(binary, nodes, bootstrap, &[]).await
    }

    /// Like [`Cluster::start_with`], with extra variables for every process. On
    /// SQLite (the `LATCHKEY_TEST_DATABASE` default) the processes share a fresh
    /// database file instead: run one at a time there ([`Cluster::kill`], then
    /// [`Cluster::add_node`]), as SQLite serves a single process.
    pub async fn start_with_env(
        binary: &str,
        nodes: usize,
        bootstrap: Bootstrap,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let server_url = server_url();
        let (database, database_url) = if backend_name() == "postgres" {
            let database = format!("lk_cluster_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&server_url).await?;
            sqlx::query(&format!("CREATE DATABASE \"{database}\""))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            let url = with_database(&server_url, &database)?;
            (database, url)
        } else {
            let dir = std::env::temp_dir().join(format!(
                "latchkey-cluster-{}",
                uuid::Uuid::new_v4().simple()
            ));
            let url = format!("sqlite://{}/latchkey.db", dir.display());
            (String::new(), url)
        };
        let mut cluster = Cluster {
            nodes: Vec::new(),
            admin_token: String::new(),
            http: reqwest::Client::new(),
            database_url,
            server_url,
            database,
            binary: binary.to_owned(),
            bootstrap,
            secret: SecretKey::generate().to_hex(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        for _ in 0..nodes {
            cluster.spawn_node()?;
        }
        for index in 0..nodes {
            cluster.await_node(index).await?;
        }
        cluster.admin_token = match bootstrap {
            Bootstrap::Account => cluster.password_token(ADMIN_EMAIL, ADMIN_PASSWORD).await?,
            Bootstrap::FirstStart => cluster
                .nodes
                .iter()
                .flat_map(|n| n.output())
                .find_map(|l| {
                    l.trim()
                        .strip_prefix("admin token:")
                        .map(|t| t.trim().to_owned())
                })
                .unwrap_or_default(),
        };
        Ok(cluster)
    }

    fn spawn_node(&mut self) -> anyhow::Result<()> {
        let mut command = Command::new(&self.binary);
        command
            .arg("serve")
            .env("LATCHKEY_DATABASE_URL", &self.database_url)
            .env("LATCHKEY_BIND", "127.0.0.1:0")
            .env("LATCHKEY_SECRET_KEY", &self.secret)
            .env("LATCHKEY_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match self.bootstrap {
            Bootstrap::Account => {
                command
                    .env("LATCHKEY_ACCOUNT", "acme")
                    .env("LATCHKEY_ADMIN_EMAIL", ADMIN_EMAIL)
                    .env("LATCHKEY_ADMIN_PASSWORD", ADMIN_PASSWORD);
            }
            Bootstrap::FirstStart => {
                command
                    .env_remove("LATCHKEY_ACCOUNT")
                    .env_remove("LATCHKEY_ADMIN_EMAIL")
                    .env_remove("LATCHKEY_ADMIN_PASSWORD");
            }
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.binary))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = child.stdout.take() {
            collect(stdout, output.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            collect(stderr, output.clone());
        }
        self.nodes.push(Node {
            base: String::new(),
            output,
            child,
        });
        Ok(())
    }

    /// Starts one more process on the same database; its index.
    pub async fn add_node(&mut self) -> anyhow::Result<usize> {
        self.spawn_node()?;
        let index = self.nodes.len() - 1;
        self.await_node(index).await?;
        Ok(index)
    }

    /// SIGKILLs node `index` (no graceful shutdown) and reaps it.
    pub fn kill(&mut self, index: usize) -> anyhow::Result<()> {
        let node = &mut self.nodes[index];
        node.child.kill()?;
        node.child.wait()?;
        Ok(())
    }

    async fn await_node(&mut self, index: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let node = &mut self.nodes[index];
            if node.base.is_empty()
                && let Some(addr) = listening_address(&node.output())
            {
                node.base = format!("http://{addr}");
            }
            if !node.base.is_empty()
                && let Ok(reply) = self.http.get(format!("{}/v1/ping", node.base)).send().await
                && reply.status().as_u16() < 500
            {
                return Ok(());
            }
            let node = &mut self.nodes[index];
            if let Some(status) = node.child.try_wait()? {
                // Let the reader threads drain the pipes before reporting.
                tokio::time::sleep(Duration::from_millis(200)).await;
                bail!(
                    "node {index} exited with {status}:\n{}",
                    node.output().join("\n")
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "node {index} did not start in time:\n{}",
                    node.output().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `POST /v1/tokens` with HTTP Basic credentials; the new token's secret.
    pub async fn password_token(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let reply = self
            .http
            .post(format!("{}/v1/tokens", self.nodes[0].base))
            .header("Accept", "application/vnd.api+json")
            .basic_auth(email, Some(password))
            .send()
            .await?;
        let reply = TestServer::reply(reply).await?;
        match reply.body["data"]["attributes"]["token"].as_str() {
            Some(token) if reply.status == 201 => Ok(token.to_owned()),
            _ => bail!("POST /v1/tokens returned {}: {}", reply.status, reply.body),
        }
    }

    /// Sends a request to node `node` with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        node: usize,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        crate::send(
            &self.http,
            &self.nodes[node].base,
            method,
            path,
            token,
            body,
        )
        .await
    }

    /// As admin, on node `node`.
    pub async fn admin(
        &self,
        node: usize,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        self.call(node, method, path, Some(&self.admin_token), body)
            .await
    }

    /// Creates a resource as admin on node 0 and returns its `data`.
    pub async fn create(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let reply = self.admin(0, "POST", path, Some(body)).await?;
        anyhow::ensure!(
            reply.status == 201,
            "POST {path} returned {}: {}",
            reply.status,
            reply.body
        );
        Ok(reply.body["data"].clone())
    }

    /// A connection pool on the cluster's database, for direct checks.
    pub async fn db(&self) -> anyhow::Result<latchkey_store::Db> {
        Ok(latchkey_store::Db::connect(&self.database_url).await?)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.child.kill();
            let _ = node.child.wait();
        }
        if let Some(path) = self.database_url.strip_prefix("sqlite://")
            && let Some(dir) = std::path::Path::new(path).parent()
        {
            let _ = std::fs::remove_dir_all(dir);
            return;
        }
        let (server_url, database) = (self.server_url.clone(), self.database.clone());
        // Drop may run inside the test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server_url).await?;
                sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                ))
                .execute(&mut admin)
                .await?;
                admin.close().await?;
                Ok::<_, anyhow::Error>(())
            })
        });
        if let Ok(Err(error)) = dropped.join() {
            eprintln!("could not drop the cluster database: {error:#}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/test?sslmode=disable", "x").ok(),
            Some("postgres://u@h:5432/x?sslmode=disable".to_owned())
        );
        assert_eq!(
            with_database("postgres://u@h", "x").ok(),
            Some("postgres://u@h/x".to_owned())
        );
    }

    #[test]
    fn address_is_read_from_the_log_line() {
        let line = strip_ansi(
            "2026-01-01T00:00:00Z  \u{1b}[32m INFO\u{1b}[0m latchkey_cli: latchkey listening \u{1b}[3maddr\u{1b}[0m\u{1b}[2m=\u{1b}[0m127.0.0.1:4000 backend=Postgres",
        );
        assert_eq!(
            listening_address(&[line]),
            Some("127.0.0.1:4000".to_owned())
        );
    }
}
