//! The delivery worker. Every poll it claims as many due webhook events as it has
//! free delivery slots (`store::webhook_events::claim`: the attempt is counted and
//! leased in the database before anything is posted, `SKIP LOCKED` keeps server
//! processes off each other's rows), posts each one signed with the account key,
//! and records the outcome with Keygen's back-off. A process killed mid-post leaves
//! its claimed rows leased; when the lease (twice the delivery timeout) runs out
//! another process delivers them again under the same event id.

use super::{render, target};
use crate::account::Account;
use crate::api::v1::serializers::webhooks as serializer;
use crate::state::AppState;
use latchkey_core::crypto::response_signature::{ResponseToSign, sign_response};
use latchkey_core::webhooks::{Outcome, judge, retry_delay_seconds};
use latchkey_proto::offline::SignatureAlgorithm;
use latchkey_store::webhook_events::{self, Attempt, WebhookEventRow};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Longest response body kept on the event.
const MAX_BODY: usize = 2048;

/// Starts the worker (`None` when the poll interval is zero).
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let config = state.config.webhooks.clone();
    if config.poll_interval.is_zero() {
        return None;
    }
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "Keygen/",
            env!("CARGO_PKG_VERSION"),
            " (+https://keygen.sh/docs/api/webhooks/) Latchkey"
        ))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook delivery disabled: no HTTP client");
            return None;
        }
    };
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(config.poll_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Wait for a free slot, then claim as many events as there are free
            // slots; poll again at once while there is work, else at the next tick.
            let Ok(first) = slots.clone().acquire_owned().await else {
                return;
            };
            let free = slots.available_permits() + 1;
            let now = state.now_ms();
            let lease = i64::try_from(config.timeout.as_millis())
                .unwrap_or(i64::MAX / 4)
                .saturating_mul(2)
                .saturating_add(1000);
            let claimed = match webhook_events::claim(
                &state.db,
                now,
                now.saturating_add(lease),
                i64::try_from(free).unwrap_or(1),
            )
            .await
            {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::warn!(%error, "could not claim webhook events");
                    drop(first);
                    ticks.tick().await;
                    continue;
                }
            };
            if claimed.is_empty() {
                drop(first);
                ticks.tick().await;
                continue;
            }
            let mut first = Some(first);
            for webhook_events::Claimed { row: event, due_at } in claimed {
                crate::telemetry::jobs::late_by_ms(
                    crate::telemetry::jobs::WEBHOOK_DELIVERY,
                    now.saturating_sub(due_at),
                );
                let permit = match first.take() {
                    Some(permit) => permit,
                    None => match slots.clone().acquire_owned().await {
                        Ok(permit) => permit,
                        Err(_) => return,
                    },
                };
                let state = state.clone();
                let client = client.clone();
                tokio::spawn(async move {
                    deliver(&state, &client, event).await;
                    drop(permit);
                });
            }
        }
    }))
}

/// Posts one claimed event and records the outcome.
pub async fn deliver(state: &AppState, client: &reqwest::Client, event: WebhookEventRow) {
    let (outcome, code, body) = match attempt(state, client, &event).await {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(event = %event.id, %error, "webhook event not sent");
            (Outcome::Transient, None, Some("INTERNAL_ERROR".to_owned()))
        }
    };
    let verdict = judge(outcome, event.attempts);
    let now = state.now_ms();
    let next = verdict.retry.then(|| {
        let jitter = rand::thread_rng().gen_range(1..=10);
        let delay = retry_delay_seconds(
            event.attempts,
            state.config.webhooks.retry_base_seconds,
            jitter,
        );
        now.saturating_add(delay.saturating_mul(1000))
    });
    let result = Attempt {
        status: verdict.status.as_str(),
        next_attempt_at: next,
        response_code: code,
        response_body: body,
    };
    let recorded = match event.endpoint_id.as_deref() {
        Some(endpoint) if verdict.disable_endpoint => {
            webhook_events::finish_disabling(
                &state.db,
                &event.id,
                event.attempts,
                &result,
                endpoint,
                now,
            )
            .await
        }
        _ => webhook_events::finish(&state.db, &event.id, event.attempts, &result, now).await,
    };
    if let Err(error) = recorded {
        tracing::warn!(event = %event.id, %error, "could not record a webhook attempt");
    }
}

type Tried = (Outcome, Option<i64>, Option<String>);

async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    event: &WebhookEventRow,
) -> Result<Tried, String> {
    let allow_insecure = state.config.webhooks.allow_insecure;
    let url = match target::parse(&event.endpoint_url, allow_insecure) {
        Ok(url) => url,
        Err(why) => return Ok((Outcome::Unreachable, None, Some(why.to_uppercase()))),
    };
    if target::check_resolution(&url, allow_insecure)
        .await
        .is_err()
    {
        return Ok((Outcome::Unreachable, None, Some("DNS_ERROR".into())));
    }
    let account = state
        .account(&event.account_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("account gone")?;
    let account = Account(account);
    let payload = render::payload(state, &account, event)
        .await
        .map_err(|e| e.to_string())?;
    let body =
        serde_json::json!({ "data": serializer::event(&account, event, &payload) }).to_string();
    let signer = crate::signing::signer(state, &account.0)?;
    let algorithm: SignatureAlgorithm = event
        .signature_algorithm
        .parse()
        .unwrap_or(SignatureAlgorithm::Ed25519);
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let signed = sign_response(
        &signer,
        account.id(),
        algorithm,
        &ResponseToSign {
            method: "post",
            target: &path,
            host: url.host_str().unwrap_or_default(),
            date: state.now(),
            body: body.as_bytes(),
        },
    )
    .map_err(|e| e.to_string())?;
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("date", &signed.date)
        .header("keygen-date", &signed.date)
        .header("digest", &signed.digest)
        .header("keygen-digest", &signed.digest)
        .header("keygen-signature", &signed.signature)
        .header("keygen-version", &event.api_version)
        .header("keygen-event-id", &event.id)
        .body(body)
        .send()
        .await;
    Ok(match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = read_capped(response).await;
            (Outcome::Status(status), Some(i64::from(status)), Some(text))
        }
        Err(error) if error.is_timeout() => (Outcome::Transient, None, Some("REQ_TIMEOUT".into())),
        Err(error) if error.is_connect() => {
            (Outcome::Unreachable, None, Some("CONN_REFUSED".into()))
        }
        Err(_) => (Outcome::Transient, None, Some("EOF_ERROR".into())),
    })
}

async fn read_capped(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BODY {
                    return "RES_BODY_TOO_LARGE".into();
                }
            }
            Ok(Ok(None)) => break,
            _ => return "EOF_ERROR".into(),
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}
