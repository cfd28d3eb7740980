//! A synchronous client for applications without an async runtime (desktop apps,
//! plugins, build tools). It owns a small tokio runtime with one worker thread, so
//! background heartbeats keep running between calls.

use std::future::Future;

use crate::error::Error;
use crate::heartbeat::Heartbeat;
use crate::licensing::{Activation, MachineInfo};
use crate::offline::CheckOut;
use crate::resources::{License, Machine};
use crate::validation::{Scope, Validation};
use crate::{Config, client};

/// The blocking counterpart of [`crate::Client`]. Do not use it inside an async
/// runtime (blocking there would stall it); use [`crate::Client`] instead.
#[derive(Debug)]
pub struct Client {
    inner: client::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client for `config` (see [`crate::Client::new`]).
    pub fn new(config: Config) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("latchkey-sdk")
            .enable_all()
            .build()?;
        let inner = client::Client::new(config)?;
        Ok(Client { inner, runtime })
    }

    fn run<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// The async client this wraps.
    pub fn async_client(&self) -> &client::Client {
        &self.inner
    }

    /// See [`crate::Client::validate_key`].
    pub fn validate_key(&self, key: &str, scope: &Scope) -> Result<Validation, Error> {
        self.run(self.inner.validate_key(key, scope))
    }

    /// See [`crate::Client::activate_if_needed`].
    pub fn activate_if_needed(&self, key: &str, info: &MachineInfo) -> Result<Activation, Error> {
        self.run(self.inner.activate_if_needed(key, info))
    }

    /// See [`crate::Client::deactivate`].
    pub fn deactivate(&self, machine: &str) -> Result<(), Error> {
        self.run(self.inner.deactivate(machine))
    }

    /// See [`crate::Client::machines`].
    pub fn machines(&self, license_id: &str) -> Result<Vec<Machine>, Error> {
        self.run(self.inner.machines(license_id))
    }

    /// See [`crate::Client::license`].
    pub fn license(&self, license: &str) -> Result<License, Error> {
        self.run(self.inner.license(license))
    }

    /// See [`crate::Client::check_out_machine`].
    pub fn check_out_machine(&self, machine: &str, options: &CheckOut) -> Result<String, Error> {
        self.run(self.inner.check_out_machine(machine, options))
    }

    /// See [`crate::Client::start_heartbeat`]; the pings run on the client's runtime
    /// until the returned handle is dropped.
    pub fn start_heartbeat(&self, machine: &Machine) -> Heartbeat {
        let _entered = self.runtime.enter();
        self.inner.start_heartbeat(machine)
    }
}
