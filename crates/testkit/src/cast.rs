//! Shared set-up for authorization tests: users of each role with tokens, products
//! with product tokens, policies and licenses, and [`Cast`], the usual set of
//! bearers (every staff role, a product and another product, a license owner and
//! another user, the license itself) around one product.

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

fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap_or_default().to_owned()
}

impl TestServer {
    /// Creates a user with `role` and password `secret-pass-1`, logs in with HTTP
    /// Basic and returns `(user id, token)`.
    pub async fn user_with_token(
        &self,
        email: &str,
        role: &str,
    ) -> anyhow::Result<(String, String)> {
        let user = self
            .create(
                "/v1/users",
                json!({"data": {"type": "users", "attributes": {
                    "email": email, "password": "secret-pass-1", "role": role}}}),
            )
            .await?;
        let response = self
            .http
            .post(format!("{}/v1/tokens", self.base))
            .basic_auth(email, Some("secret-pass-1"))
            .send()
            .await?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status == 201, "token for {email}: {status} {body}");
        Ok((
            id_of(&user),
            body["data"]["attributes"]["token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ))
    }

    /// Creates a product and a product token; returns `(product id, token)`.
    pub async fn product_with_token(&self, name: &str) -> anyhow::Result<(String, String)> {
        let product = self
            .create(
                "/v1/products",
                json!({"data": {"type": "products", "attributes": {"name": name}}}),
            )
            .await?;
        let id = id_of(&product);
        let token = self
            .admin("POST", &format!("/v1/products/{id}/tokens"), None)
            .await?;
        anyhow::ensure!(token.status == 201, "product token: {}", token.body);
        Ok((
            id,
            token.body["data"]["attributes"]["token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ))
    }

    /// Creates a policy of `product` with `attributes` (a name is added); returns its id.
    pub async fn policy_for(&self, product: &str, attributes: Value) -> anyhow::Result<String> {
        let mut attributes = attributes;
        if attributes.get("name").is_none() {
            attributes["name"] = "Policy".into();
        }
        let policy = self
            .create(
                "/v1/policies",
                json!({"data": {"type": "policies", "attributes": attributes,
                    "relationships": {"product": {"data": {"type": "products", "id": product}}}}}),
            )
            .await?;
        Ok(id_of(&policy))
    }

    /// Creates a license of `policy`, owned by `owner` if given; returns the resource.
    pub async fn license_for(&self, policy: &str, owner: Option<&str>) -> anyhow::Result<Value> {
        let mut relationships = json!({"policy": {"data": {"type": "policies", "id": policy}}});
        if let Some(owner) = owner {
            relationships["owner"] = json!({"data": {"type": "users", "id": owner}});
        }
        self.create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "relationships": relationships}}),
        )
        .await
    }
}

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
        let license = server.license_for(&policy, Some(&owner)).await?;
        let license_key = license["attributes"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let license = id_of(&license);
        let machine = server.activate(&license, "cast-fp").await?;
        anyhow::ensure!(machine.status == 201, "machine: {}", machine.body);
        Ok(Self {
            product,
            other_product,
            policy,
            owner,
            other_user,
            machine: id_of(&machine.body["data"]),
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
        let authorization = self.authorization(who);
        let mut headers = vec![
            ("Accept", "application/vnd.api+json"),
            ("Authorization", authorization.as_str()),
        ];
        if body.is_some() {
            headers.push(("Content-Type", "application/vnd.api+json"));
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        server.raw(method, path, &headers, bytes).await
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
