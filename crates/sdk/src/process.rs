//! Processes: per-process seats for policies that limit concurrent processes. A
//! [`ProcessGuard`] keeps its process alive with heartbeats and frees the seat when
//! dropped.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::task::JoinHandle;

use crate::client::{Client, Request};
use crate::error::Error;
use crate::heartbeat::{DEFAULT_HEARTBEAT, ping_interval};
use crate::licensing::segment;
use crate::resources::{Process, data};

/// A spawned process; pings in the background and kills the process (frees the seat)
/// when dropped. Use [`ProcessGuard::kill`] to wait for the release instead.
#[derive(Debug)]
pub struct ProcessGuard {
    client: Client,
    process: Process,
    task: Option<JoinHandle<()>>,
    killed: bool,
}

impl ProcessGuard {
    /// The process resource as created.
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// Stops the pings and deletes the process, waiting for the server.
    pub async fn kill(mut self) -> Result<(), Error> {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.killed = true;
        self.client.kill_process(&self.process.id).await
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if self.killed {
            return;
        }
        // Best effort: free the seat if a runtime is still there to do it; otherwise
        // the server culls the process after its heartbeat duration.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let id = self.process.id.clone();
            runtime.spawn(async move {
                let _ = client.kill_process(&id).await;
            });
        }
    }
}

impl Client {
    /// Spawns a process on a machine (`POST /processes`) and keeps it alive.
    pub async fn spawn_process(&self, machine_id: &str, pid: &str) -> Result<ProcessGuard, Error> {
        let body = json!({ "data": {
            "type": "processes",
            "attributes": { "pid": pid },
            "relationships": { "machine": { "data": { "type": "machines", "id": machine_id } } },
        }});
        let response = self
            .send(Request::new(Method::POST, "processes").json(body))
            .await?;
        let process = Process::from_resource(data(&response.body, "processes")?);
        let interval = ping_interval(
            process
                .interval
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_HEARTBEAT),
        );
        let client = self.clone();
        let id = process.id.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                if let Err(Error::Api {
                    status: 404 | 422, ..
                }) = client.ping_process(&id).await
                {
                    return;
                }
            }
        });
        Ok(ProcessGuard {
            client: self.clone(),
            process,
            task: Some(task),
            killed: false,
        })
    }

    /// One process heartbeat (`POST /processes/{id}/actions/ping`).
    pub async fn ping_process(&self, process_id: &str) -> Result<Process, Error> {
        let path = format!("processes/{}/actions/ping", segment(process_id)?);
        let response = self.send(Request::new(Method::POST, &path)).await?;
        Ok(Process::from_resource(data(&response.body, "processes")?))
    }

    /// Deletes a process (`DELETE /processes/{id}`), freeing its seat.
    pub async fn kill_process(&self, process_id: &str) -> Result<(), Error> {
        self.delete(&format!("processes/{}", segment(process_id)?))
            .await
    }
}
