//! Set-up shared by the integration tests: reading ids, JSON:API linkage and request
//! bodies, HTTP Basic logins, the account's published keys, and creators of products,
//! policies, licenses, groups and users.
//!
//! The creators are provided methods of [`Fixtures`], so they work on a
//! [`TestServer`] and on a [`Cluster`] (through its first node) alike.

use crate::cluster::Cluster;
use crate::{Reply, TestServer};
use base64::Engine;
use latchkey_proto::offline::PublicKeys;
use serde_json::{Value, json};
use std::future::Future;

/// Password of the users [`TestServer::user_with_token`] creates.
pub const PASSWORD: &str = "secret-pass-1";

/// The `id` of a resource object (a reply's `data`).
///
/// # Panics
/// When `resource` has no string `id`: the test went wrong before this read.
pub fn id(resource: &Value) -> String {
    match resource["id"].as_str() {
        Some(id) => id.to_owned(),
        None => panic!("no id in {resource}"),
    }
}

/// To-one relationship linkage: `{"data": {"type": kind, "id": id}}`.
pub fn to_one(kind: &str, id: &str) -> Value {
    json!({"data": {"type": kind, "id": id}})
}

/// To-many relationship linkage: `{"data": [{"type": kind, "id": …}, …]}`.
pub fn to_many(kind: &str, ids: &[&str]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": kind, "id": id}))
        .collect();
    json!({ "data": data })
}

/// An `Authorization` header value for HTTP Basic: `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A `POST /v1/licenses` body: a license of `policy` with `attributes` and, besides
/// the policy, `relationships` (each `{"data": …}`; `{}` or null for none).
pub fn license_body(policy: &str, attributes: Value, relationships: Value) -> Value {
    let mut relationships = relationships;
    relationships["policy"] = to_one("policies", policy);
    let mut data = json!({"type": "licenses", "relationships": relationships});
    if attributes.as_object().is_some_and(|a| !a.is_empty()) {
        data["attributes"] = attributes;
    }
    json!({ "data": data })
}

/// A component resource object for a machine's `components` relationship.
pub fn component(fingerprint: &str, name: &str) -> Value {
    json!({"type": "components", "attributes": {"fingerprint": fingerprint, "name": name}})
}

/// A `POST /v1/machines` body: a machine of `license` with `fingerprint`, the other
/// `attributes` (cores, memory, …) and, besides the license, `relationships`
/// (group, components, …; `{}` or null for none).
pub fn machine_body(
    license: &str,
    fingerprint: &str,
    attributes: Value,
    relationships: Value,
) -> Value {
    let mut attributes = attributes;
    attributes["fingerprint"] = fingerprint.into();
    let mut relationships = relationships;
    relationships["license"] = to_one("licenses", license);
    json!({"data": {"type": "machines", "attributes": attributes, "relationships": relationships}})
}

/// A server the fixtures create resources on, as admin: a [`TestServer`], or a
/// [`Cluster`] through its first node. Every creator fails unless the server
/// answers 201.
pub trait Fixtures: Sync {
    /// `POST path` with `body` as admin; the created resource (`data`).
    fn create(&self, path: &str, body: Value)
    -> impl Future<Output = anyhow::Result<Value>> + Send;

    /// Creates a product named `name`; returns its id.
    fn product(&self, name: &str) -> impl Future<Output = anyhow::Result<String>> + Send {
        async move {
            let product = self
                .create(
                    "/v1/products",
                    json!({"data": {"type": "products", "attributes": {"name": name}}}),
                )
                .await?;
            Ok(id(&product))
        }
    }

    /// Creates a policy of `product` with `attributes` (named `Policy` unless they
    /// name it); returns its id.
    fn policy_for(
        &self,
        product: &str,
        attributes: Value,
    ) -> impl Future<Output = anyhow::Result<String>> + Send {
        async move {
            let mut attributes = attributes;
            if attributes.get("name").is_none() {
                attributes["name"] = "Policy".into();
            }
            let policy = self
                .create(
                    "/v1/policies",
                    json!({"data": {"type": "policies", "attributes": attributes,
                        "relationships": {"product": to_one("products", product)}}}),
                )
                .await?;
            Ok(id(&policy))
        }
    }

    /// Creates a product `App` and a policy of it with `attributes` (as
    /// [`Fixtures::policy_for`]); returns the policy id.
    fn policy_with_product(
        &self,
        attributes: Value,
    ) -> impl Future<Output = anyhow::Result<String>> + Send {
        async move {
            let product = self.product("App").await?;
            self.policy_for(&product, attributes).await
        }
    }

    /// Creates a license of `policy` with `relationships` besides the policy (owner,
    /// group, …; `{}` for none); returns the resource (id, key, …).
    fn license_for(
        &self,
        policy: &str,
        relationships: Value,
    ) -> impl Future<Output = anyhow::Result<Value>> + Send {
        async move {
            self.create(
                "/v1/licenses",
                license_body(policy, json!({}), relationships),
            )
            .await
        }
    }

    /// Creates a group with `attributes` (limits; named `Team` unless they name it);
    /// returns its id.
    fn group(&self, attributes: Value) -> impl Future<Output = anyhow::Result<String>> + Send {
        async move {
            let mut attributes = attributes;
            if attributes.get("name").is_none() {
                attributes["name"] = "Team".into();
            }
            let group = self
                .create(
                    "/v1/groups",
                    json!({"data": {"type": "groups", "attributes": attributes}}),
                )
                .await?;
            Ok(id(&group))
        }
    }

    /// Creates a user with `email` only (no password, role `user`); returns its id.
    fn user(&self, email: &str) -> impl Future<Output = anyhow::Result<String>> + Send {
        async move {
            let user = self
                .create(
                    "/v1/users",
                    json!({"data": {"type": "users", "attributes": {"email": email}}}),
                )
                .await?;
            Ok(id(&user))
        }
    }
}

impl Fixtures for TestServer {
    fn create(
        &self,
        path: &str,
        body: Value,
    ) -> impl Future<Output = anyhow::Result<Value>> + Send {
        TestServer::create(self, path, body)
    }
}

impl Fixtures for Cluster {
    fn create(
        &self,
        path: &str,
        body: Value,
    ) -> impl Future<Output = anyhow::Result<Value>> + Send {
        Cluster::create(self, path, body)
    }
}

impl TestServer {
    /// `POST /v1/tokens` with HTTP Basic `email:password` (counts against the login
    /// rate limit of the client and `email`).
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Reply> {
        self.login_with(email, password, None).await
    }

    /// [`TestServer::login`] through a proxy: with `X-Forwarded-For: forwarded_for`.
    pub async fn login_from(
        &self,
        forwarded_for: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<Reply> {
        self.login_with(email, password, Some(forwarded_for)).await
    }

    async fn login_with(
        &self,
        email: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> anyhow::Result<Reply> {
        let authorization = basic(email, password);
        let mut headers = vec![("Authorization", authorization.as_str())];
        if let Some(forwarded_for) = forwarded_for {
            headers.push(("X-Forwarded-For", forwarded_for));
        }
        self.raw("POST", "/v1/tokens", &headers, vec![]).await
    }

    /// Creates a user with `role` and password [`PASSWORD`], logs in with HTTP
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
                    "email": email, "password": PASSWORD, "role": role}}}),
            )
            .await?;
        let reply = self.login(email, PASSWORD).await?;
        anyhow::ensure!(reply.status == 201, "token for {email}: {}", reply.body);
        Ok((id(&user), token_of(&reply)))
    }

    /// Creates a product and a product token; returns `(product id, token)`.
    pub async fn product_with_token(&self, name: &str) -> anyhow::Result<(String, String)> {
        let product = Fixtures::product(self, name).await?;
        let reply = self
            .admin("POST", &format!("/v1/products/{product}/tokens"), None)
            .await?;
        anyhow::ensure!(reply.status == 201, "product token: {}", reply.body);
        Ok((product, token_of(&reply)))
    }

    /// The account's published public keys as `meta.keys` of `GET /v1/accounts/acme`
    /// carries them, decoded from base64: `(ed25519, ecdsa, rsa2048)`.
    pub async fn published_keys(&self) -> anyhow::Result<(String, String, String)> {
        let account = self.admin("GET", "/v1/accounts/acme", None).await?;
        anyhow::ensure!(account.status == 200, "account: {}", account.body);
        let text = |name: &str| -> anyhow::Result<String> {
            let encoded = account.body["meta"]["keys"][name]
                .as_str()
                .unwrap_or_default();
            Ok(String::from_utf8(
                base64::engine::general_purpose::STANDARD.decode(encoded)?,
            )?)
        };
        Ok((text("ed25519")?, text("ecdsa")?, text("rsa2048")?))
    }

    /// The account's published keys, parsed for the `proto` verifiers.
    pub async fn public_keys(&self) -> anyhow::Result<PublicKeys> {
        let (ed25519, ecdsa, rsa) = self.published_keys().await?;
        Ok(PublicKeys::from_published(
            Some(&ed25519),
            Some(&ecdsa),
            Some(&rsa),
        )?)
    }
}

/// `data.attributes.token` of a token reply.
fn token_of(reply: &Reply) -> String {
    reply.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
