//! Machine heartbeats: a background task that pings the server at a safe fraction
//! of the policy's heartbeat duration, stops when its handle is dropped, and reports
//! when the server declares the machine dead.

use std::time::{Duration, SystemTime};

use reqwest::Method;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::client::{Client, Request};
use crate::error::Error;
use crate::licensing::segment;
use crate::resources::{Machine, data};

/// Keygen's default heartbeat duration (10 minutes) when the policy names none.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(600);

/// The state a [`Heartbeat`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum HeartbeatState {
    /// Not pinged yet.
    Starting,
    /// The last ping succeeded at this time.
    Alive {
        /// When the server accepted the ping (local clock).
        last_ping: SystemTime,
    },
    /// Pings are failing to reach the server; the machine dies if this lasts past
    /// the heartbeat duration.
    Unreachable {
        /// The last failure.
        error: String,
        /// When the last successful ping happened, if any.
        last_ping: Option<SystemTime>,
    },
    /// The server refused the heartbeat: the machine is dead or gone (deactivated,
    /// culled). The application should stop using the license. The task has ended.
    Dead {
        /// The server's reason.
        reason: String,
    },
}

/// A running heartbeat. Dropping it stops the pings (the server then lets the
/// machine die after the heartbeat duration, per the policy).
#[derive(Debug)]
pub struct Heartbeat {
    state: watch::Receiver<HeartbeatState>,
    task: JoinHandle<()>,
    interval: Duration,
}

impl Heartbeat {
    /// The latest state.
    pub fn state(&self) -> HeartbeatState {
        self.state.borrow().clone()
    }

    /// The ping interval in use.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits until the state changes and returns the new one (`None` once the task
    /// has ended and no further change can come).
    pub async fn changed(&mut self) -> Option<HeartbeatState> {
        self.state.changed().await.ok()?;
        Some(self.state.borrow().clone())
    }

    /// Waits until the server declares the machine dead; returns the reason.
    pub async fn dead(&mut self) -> String {
        loop {
            if let HeartbeatState::Dead { reason } = &*self.state.borrow() {
                return reason.clone();
            }
            if self.state.changed().await.is_err() {
                return "the heartbeat task ended".into();
            }
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The ping interval for a heartbeat duration: half of it (so one lost ping never
/// kills the machine), at least one second.
pub fn ping_interval(duration: Duration) -> Duration {
    (duration / 2).max(Duration::from_secs(1))
}

impl Client {
    /// One heartbeat ping (`POST /machines/{id}/actions/ping`).
    pub async fn ping(&self, machine_id: &str) -> Result<Machine, Error> {
        let path = format!("machines/{}/actions/ping", segment(machine_id)?);
        let response = self.send(Request::new(Method::POST, &path)).await?;
        Ok(Machine::from_resource(data(&response.body, "machines")?))
    }

    /// Starts pinging `machine` in the background, every [`ping_interval`] of its
    /// `heartbeatDuration`. The first ping is sent at once. Must be called inside a
    /// tokio runtime.
    pub fn start_heartbeat(&self, machine: &Machine) -> Heartbeat {
        let duration = machine
            .heartbeat_duration
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_HEARTBEAT);
        self.start_heartbeat_every(machine, ping_interval(duration))
    }

    /// Like [`Client::start_heartbeat`] with an explicit ping interval (keep it well
    /// under the policy's heartbeat duration).
    pub fn start_heartbeat_every(&self, machine: &Machine, interval: Duration) -> Heartbeat {
        let (tx, rx) = watch::channel(HeartbeatState::Starting);
        let client = self.clone();
        let id = machine.id.clone();
        let task = tokio::spawn(async move {
            let mut last_ping = None;
            loop {
                match client.ping(&id).await {
                    Ok(_) => {
                        let now = client.config().now();
                        last_ping = Some(now);
                        let _ = tx.send(HeartbeatState::Alive { last_ping: now });
                    }
                    Err(e @ Error::Api { status, .. }) if is_fatal(status) => {
                        let _ = tx.send(HeartbeatState::Dead {
                            reason: e.to_string(),
                        });
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(HeartbeatState::Unreachable {
                            error: e.to_string(),
                            last_ping,
                        });
                    }
                }
                tokio::time::sleep(interval).await;
            }
        });
        Heartbeat {
            state: rx,
            task,
            interval,
        }
    }
}

/// Statuses after which pinging again cannot help: the machine is gone (404), the
/// credential lost access (401/403), or the server refused the ping for good (422:
/// dead machine that may not be resurrected).
fn is_fatal(status: u16) -> bool {
    matches!(status, 401 | 403 | 404 | 422)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_at_half_the_duration_and_at_least_every_second() {
        assert_eq!(
            ping_interval(Duration::from_secs(600)),
            Duration::from_secs(300)
        );
        assert_eq!(
            ping_interval(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }
}
