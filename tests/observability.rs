//! Observability through the real binary: `LATCHKEY_LOG_FORMAT=json` writes one JSON
//! object per log line carrying the request's `request_id` (the client's
//! `X-Request-Id`), `LATCHKEY_METRICS_TOKEN` opens `/metrics` on the API address,
//! `--metrics-listen` serves it on its own address, and an unknown log format stops
//! the binary with a message naming the setting.

#![cfg(unix)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TOKEN: &str = "observability-token-0123456789";

fn latchkey(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("LATCHKEY_") {
            command.env_remove(name);
        }
    }
    command
        .env(
            "LATCHKEY_DATABASE_URL",
            format!("sqlite://{}/latchkey.db", dir.display()),
        )
        .env("NO_COLOR", "1");
    command
}

fn temp_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("latchkey-obs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// One HTTP/1.1 request; the status and body of the answer.
fn http(addr: &str, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// The address a "… listening on http://ADDR" line names.
fn address_in(message: &str, marker: &str) -> Option<String> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn next_line(&self, deadline: Instant) -> Option<String> {
        let left = deadline.checked_duration_since(Instant::now())?;
        self.lines.recv_timeout(left).ok()
    }
}

#[test]
fn json_logs_carry_the_request_id_and_metrics_are_served() -> anyhow::Result<()> {
    let dir = temp_dir()?;
    let mut child = latchkey(&dir)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .env("LATCHKEY_LOG_FORMAT", "json")
        .env("LATCHKEY_LOG", "info,latchkey_server::telemetry=debug")
        .env("LATCHKEY_METRICS_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    let server = Server { child, lines, dir };

    // Both addresses, from the (JSON) start-up lines.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut api, mut metrics) = (None, None);
    while api.is_none() || metrics.is_none() {
        let line = server
            .next_line(deadline)
            .ok_or_else(|| anyhow::anyhow!("the server never said where it listens"))?;
        if !line.starts_with('{') {
            continue; // the first-start credentials are printed as plain text
        }
        let entry: Value = serde_json::from_str(&line)?;
        let message = entry["fields"]["message"].as_str().unwrap_or_default();
        if message.starts_with("latchkey listening on http://") {
            api = address_in(message, "http://");
        } else if message.starts_with("metrics listening on http://") {
            metrics = address_in(message, "http://");
        }
    }
    let (api, metrics) = (api.unwrap_or_default(), metrics.unwrap_or_default());

    let (status, _) = http(&api, "/v1/ping", &[("X-Request-Id", "abc123")])?;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut found = None;
    while found.is_none() {
        let line = server
            .next_line(deadline)
            .ok_or_else(|| anyhow::anyhow!("no log line carried request_id abc123"))?;
        if !line.starts_with('{') {
            continue;
        }
        let entry: Value = serde_json::from_str(&line)?;
        let in_span = entry["span"]["request_id"] == "abc123";
        let in_list = entry["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(|s| s["request_id"] == "abc123"));
        if in_span && in_list {
            found = Some(entry);
        }
    }
    let entry = found.unwrap_or_default();
    assert_eq!(entry["fields"]["route"], "/v1/ping", "{entry}");
    assert_eq!(entry["fields"]["status"], 200, "{entry}");

    // /metrics: with the token on the API address, without one on metrics_listen.
    let (status, _) = http(&api, "/metrics", &[])?;
    assert_eq!(status, 401);
    let bearer = format!("Bearer {TOKEN}");
    let (status, text) = http(&api, "/metrics", &[("Authorization", &bearer)])?;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("route=\"/v1/ping\""), "{text}");
    let (status, text) = http(&metrics, "/metrics", &[])?;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("latchkey_http_requests_total"), "{text}");
    assert!(!text.contains(TOKEN));
    Ok(())
}

#[test]
fn an_unknown_log_format_stops_the_binary_with_a_message() -> anyhow::Result<()> {
    let dir = temp_dir()?;
    let output = latchkey(&dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("LATCHKEY_LOG_FORMAT", "yaml")
        .output()?;
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("log_format"), "{stderr}");
    assert!(stderr.contains("\"json\""), "{stderr}");
    Ok(())
}

#[test]
fn a_short_metrics_token_is_refused() -> anyhow::Result<()> {
    let dir = temp_dir()?;
    let output = latchkey(&dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("LATCHKEY_METRICS_TOKEN", "short")
        .output()?;
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("metrics_token"), "{stderr}");
    assert!(
        !stderr.contains("short"),
        "the value is not echoed: {stderr}"
    );
    Ok(())
}
