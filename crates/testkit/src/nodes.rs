//! One server or several nodes on one database, addressed by index, so a test of what
//! a write changes can run on the node that wrote and on another one.

use crate::cluster::Cluster;
use crate::{Fixtures, Reply, TestServer, send_with};
use serde_json::Value;

/// A test server (every index is the one node) or a [`Cluster`].
pub trait Nodes: Fixtures {
    /// Sends a JSON:API request to node `node` with an optional whole
    /// `Authorization` header value (`Bearer …`, `License …`) and JSON body.
    fn send_to(
        &self,
        node: usize,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> impl Future<Output = anyhow::Result<Reply>> + Send;

    /// The admin token.
    fn admin_token(&self) -> &str;

    /// Sends a request to node `node` as admin.
    fn as_admin(
        &self,
        node: usize,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> impl Future<Output = anyhow::Result<Reply>> + Send {
        async move {
            let authorization = format!("Bearer {}", self.admin_token());
            self.send_to(node, method, path, Some(&authorization), body)
                .await
        }
    }
}

impl Nodes for TestServer {
    async fn send_to(
        &self,
        _node: usize,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        send_with(&self.http, &self.base, method, path, authorization, body).await
    }

    fn admin_token(&self) -> &str {
        &self.admin_token
    }
}

impl Nodes for Cluster {
    async fn send_to(
        &self,
        node: usize,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        let base = &self.nodes[node].base;
        send_with(&self.http, base, method, path, authorization, body).await
    }

    fn admin_token(&self) -> &str {
        &self.admin_token
    }
}
