//! A webhook receiver for tests: a real HTTP server on 127.0.0.1:0 that records
//! every POST (headers and body) and answers with scripted statuses (204 once the
//! script runs out).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Lower-case header names with their values.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The body as JSON.
    pub json: Value,
}

impl Received {
    /// A header value (`""` when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// `data.attributes.event`.
    pub fn event(&self) -> &str {
        self.json["data"]["attributes"]["event"]
            .as_str()
            .unwrap_or("")
    }

    /// `data.id`: the webhook event id.
    pub fn id(&self) -> &str {
        self.json["data"]["id"].as_str().unwrap_or("")
    }

    /// The payload (the resource document), parsed.
    pub fn payload(&self) -> Value {
        self.json["data"]["attributes"]["payload"]
            .as_str()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<u16>>,
    always: Mutex<Option<u16>>,
    delay: Mutex<Option<Duration>>,
}

/// The receiver; it stops when dropped.
pub struct Receiver {
    /// `http://127.0.0.1:<port>/hooks?x=1`.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

async fn hook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let received = Received {
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body: body.to_vec(),
    };
    if let Ok(mut all) = shared.received.lock() {
        all.push(received);
    }
    let delay = shared.delay.lock().ok().and_then(|d| *d);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let scripted = shared.script.lock().ok().and_then(|mut s| s.pop_front());
    let always = shared.always.lock().ok().and_then(|a| *a);
    let code = scripted.or(always).unwrap_or(204);
    StatusCode::from_u16(code).unwrap_or(StatusCode::NO_CONTENT)
}

impl Receiver {
    /// Starts a receiver.
    pub async fn start() -> anyhow::Result<Self> {
        let shared = Arc::new(Shared::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hooks?x=1", listener.local_addr()?);
        let app = axum::Router::new()
            .route("/hooks", axum::routing::post(hook))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, shared, task })
    }

    /// Answers the next requests with `codes`, in order.
    pub fn script(&self, codes: &[u16]) {
        if let Ok(mut script) = self.shared.script.lock() {
            script.extend(codes);
        }
    }

    /// Answers every request (after the script) with `code`.
    pub fn always(&self, code: u16) {
        if let Ok(mut always) = self.shared.always.lock() {
            *always = Some(code);
        }
    }

    /// Answers each request only after `delay` (it is recorded on arrival).
    pub fn delay(&self, delay: Duration) {
        if let Ok(mut slot) = self.shared.delay.lock() {
            *slot = Some(delay);
        }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Waits (up to `timeout`) until `count` requests have arrived; returns them all.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let all = self.received();
            if all.len() >= count || tokio::time::Instant::now() >= deadline {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
