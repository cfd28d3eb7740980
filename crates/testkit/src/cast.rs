//! [`Cast`], the usual set of bearers for authorization tests (every staff role, a
//! product and another product, a license owner and another user, the license
//! itself) around one product.

use crate::fixtures::{Fixtures, id, to_one};
use crate::{Reply, TestServer};
use serde_json::{Value, json};

/// The staff roles, in Keygen's rank order.
pub const STAFF_ROLES: [&str; 5] = [
    "admin",
    "developer",
    "sales-agent",
    "support-agent",
    "read-only",
];

/// One kind of bearer of a [`Cast`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The account's first admin.
    Admin,
    /// A developer.
    Developer,
    /// A sales agent.
    Sales,
    /// A support agent.
    Support,
    /// A read-only user.
    ReadOnly,
    /// The cast's product.
    Product,
    /// A product the cast's resources do not belong to.
    OtherProduct,
    /// The end user owning the cast's license.
    Owner,
    /// An end user with no tie to the cast's resources.
    OtherUser,
    /// The cast's license, by its key (`Authorization: License …`).
    License,
}

/// Every [`Who`].
pub const EVERYONE: [Who; 10] = [
    Who::Admin,
    Who::Developer,
    Who::Sales,
    Who::Support,
    Who::ReadOnly,
    Who::Product,
    Who::OtherProduct,
    Who::Owner,
    Who::OtherUser,
    Who::License,
];

/// The usual bearers around one product: a policy, a license owned by an end user
/// with one machine, and a token for every [`Who`].
pub struct Cast {
    /// The product.
    pub product: String,
    /// Another product.
    pub other_product: String,
    /// The product's policy (floating, up to 100 machines).
    pub policy: String,
    /// The owner's user id.
    pub owner: String,
    /// The other end user's id.
    pub other_user: String,
    /// The license (owned by the owner).
    pub license: String,
    /// Its key.
    pub license_key: String,
    /// A machine of the license (fingerprint `cast-fp`).
    pub machine: String,
    tokens: Vec<(Who, String)>,
}

impl Cast {
    /// Builds the cast on `server`.
    pub async fn new(server: &TestServer) -> anyhow::Result<Self> {
        let (product, product_token) = server.product_with_token("Cast").await?;
        let (other_product, other_product_token) = server.product_with_token("Elsewhere").await?;
        let policy = server
            .policy_for(
                &product,
                json!({"floating": true, "maxMachines": 100, "authenticationStrategy": "MIXED"}),
            )
            .await?;
        let mut tokens = vec![
            (Who::Admin, server.admin_token.clone()),
            (Who::Product, product_token),
            (Who::OtherProduct, other_product_token),
        ];
        for (who, email, role) in [
            (Who::Developer, "cast-dev@example.test", "developer"),
            (Who::Sales, "cast-sales@example.test", "sales-agent"),
            (Who::Support, "cast-support@example.test", "support-agent"),
            (Who::ReadOnly, "cast-ro@example.test", "read-only"),
        ] {
            tokens.push((who, server.user_with_token(email, role).await?.1));
        }
        let (owner, owner_token) = server
            .user_with_token("cast-owner@example.test", "user")
            .await?;
        let (other_user, other_token) = server
            .user_with_token("cast-other@example.test", "user")
            .await?;
        tokens.push((Who::Owner, owner_token));
        tokens.push((Who::OtherUser, other_token));
        let license = server
            .license_for(&policy, json!({"owner": to_one("users", &owner)}))
            .await?;
        let license_key = license["attributes"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let license = id(&license);
        let machine = server.activate(&license, "cast-fp").await?;
        anyhow::ensure!(machine.status == 201, "machine: {}", machine.body);
        Ok(Self {
            product,
            other_product,
            policy,
            owner,
            other_user,
            machine: id(&machine.body["data"]),
            license,
            license_key,
            tokens,
        })
    }

    /// The `Authorization` header value of `who`.
    pub fn authorization(&self, who: Who) -> String {
        match who {
            Who::License => format!("License {}", self.license_key),
            _ => self
                .tokens
                .iter()
                .find(|(w, _)| *w == who)
                .map(|(_, token)| format!("Bearer {token}"))
                .unwrap_or_default(),
        }
    }

    /// Sends a request as `who`.
    pub async fn send(
        &self,
        server: &TestServer,
        who: Who,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        server
            .send_as(method, path, &self.authorization(who), body)
            .await
    }

    /// Sends `method path` as each of `EVERYONE` and returns the bearers whose
    /// request got past authorization (not 401/403/404, and no 5xx, which fails).
    pub async fn allowed(
        &self,
        server: &TestServer,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Vec<Who>> {
        let mut allowed = Vec::new();
        for who in EVERYONE {
            let reply = self.send(server, who, method, path, body.clone()).await?;
            anyhow::ensure!(
                reply.status < 500,
                "{method} {path} as {who:?}: {} {}",
                reply.status,
                reply.body
            );
            if !matches!(reply.status, 401 | 403 | 404) {
                allowed.push(who);
            }
        }
        Ok(allowed)
    }
}
