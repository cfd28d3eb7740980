//! The authorization matrix (spec §6.6) as a table: every row is one endpoint, every
//! column one kind of bearer, and each (row, bearer) pair is sent as a real request
//! against fresh resources. "Allowed" means the request got past authorization (not
//! 401/403/404, never 5xx); "denied" means 401, 403 or 404.

use latchkey_testkit::{Fixtures, TestServer, id, machine_body, to_one};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Developer,
    Sales,
    Support,
    ReadOnly,
    Product,
    OtherProduct,
    Owner,
    OtherUser,
    License,
    Anonymous,
}

use Who::*;

const EVERYONE: [Who; 11] = [
    Admin,
    Developer,
    Sales,
    Support,
    ReadOnly,
    Product,
    OtherProduct,
    Owner,
    OtherUser,
    License,
    Anonymous,
];

/// The account-wide cast: one product with its policy, users and tokens.
struct World {
    server: TestServer,
    policy: String,
    pool_policy: String,
    entitlement: String,
    owner: String,
    tokens: Vec<(Who, String)>,
}

/// Fresh resources for one request.
struct Target {
    license: String,
    license_key: String,
    machine: String,
    process: String,
    user: String,
}

impl World {
    async fn new() -> anyhow::Result<Self> {
        let server = TestServer::start().await?;
        let (product, product_token) = server.product_with_token("Matrix").await?;
        let (_, other_product_token) = server.product_with_token("Elsewhere").await?;
        let policy = server
            .policy_for(
                &product,
                json!({"name": "Matrix", "floating": true, "maxMachines": 100, "maxUses": 100,
                    "duration": 2_592_000, "requireCheckIn": true, "checkInInterval": "day",
                    "checkInIntervalCount": 1, "authenticationStrategy": "MIXED"}),
            )
            .await?;
        let pool_policy = server
            .policy_for(&product, json!({"name": "Pool", "usePool": true}))
            .await?;
        let entitlement = server
            .create("/v1/entitlements", json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": "PRO"}}}))
            .await?;
        let mut tokens = vec![(Admin, server.admin_token.clone())];
        for (who, email, role) in [
            (Developer, "dev@example.test", "developer"),
            (Sales, "sales@example.test", "sales-agent"),
            (Support, "support@example.test", "support-agent"),
            (ReadOnly, "ro@example.test", "read-only"),
            (OtherUser, "other@example.test", "user"),
        ] {
            tokens.push((who, server.user_with_token(email, role).await?.1));
        }
        let (owner, owner_token) = server.user_with_token("owner@example.test", "user").await?;
        tokens.push((Owner, owner_token));
        tokens.push((Product, product_token));
        tokens.push((OtherProduct, other_product_token));
        Ok(Self {
            policy,
            pool_policy,
            entitlement: id(&entitlement),
            owner,
            server,
            tokens,
        })
    }

    /// A license owned by the owner, with one machine, and a throwaway end user.
    async fn target(&self, n: usize) -> anyhow::Result<Target> {
        let license = self
            .server
            .license_for(&self.policy, json!({"owner": to_one("users", &self.owner)}))
            .await?;
        let license_id = id(&license);
        let machine = self
            .server
            .create(
                "/v1/machines",
                machine_body(&license_id, &format!("fp-{n}"), json!({}), json!({})),
            )
            .await?;
        let process = self
            .server
            .create(
                "/v1/processes",
                json!({"data": {"type": "processes", "attributes": {"pid": "1"},
                    "relationships": {"machine": {"data": {"type": "machines", "id": machine["id"]}}}}}),
            )
            .await?;
        let user = self.server.user(&format!("u{n}@example.test")).await?;
        // The throwaway user holds a license of the product, so the product may manage them.
        self.server
            .license_for(&self.policy, json!({"owner": to_one("users", &user)}))
            .await?;
        Ok(Target {
            license_key: license["attributes"]["key"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            license: license_id,
            machine: id(&machine),
            process: id(&process),
            user,
        })
    }

    async fn send(
        &self,
        who: Who,
        target: &Target,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<u16> {
        let credential = match who {
            Anonymous => None,
            License => Some(format!("License {}", target.license_key)),
            _ => self
                .tokens
                .iter()
                .find(|(w, _)| *w == who)
                .map(|(_, token)| format!("Bearer {token}")),
        };
        let mut headers = vec![("Accept", "application/vnd.api+json".to_owned())];
        if let Some(credential) = credential {
            headers.push(("Authorization", credential));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        Ok(self.server.raw(method, path, &headers, bytes).await?.status)
    }
}

struct Row {
    name: &'static str,
    method: &'static str,
    path: fn(&Target) -> String,
    body: fn(&Target, &World) -> Option<Value>,
    allowed: &'static [Who],
}

fn no_body(_: &Target, _: &World) -> Option<Value> {
    None
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "license check-out",
            method: "POST",
            path: |t| format!("/v1/licenses/{}/actions/check-out", t.license),
            body: no_body,
            allowed: &[Admin, Developer, Sales, Support, Product, Owner, License],
        },
        Row {
            name: "license check-out (download)",
            method: "GET",
            path: |t| format!("/v1/licenses/{}/actions/check-out", t.license),
            body: no_body,
            allowed: &[Admin, Developer, Sales, Support, Product, Owner, License],
        },
        Row {
            name: "machine check-out",
            method: "POST",
            path: |t| format!("/v1/machines/{}/actions/check-out", t.machine),
            body: no_body,
            allowed: &[Admin, Developer, Sales, Support, Product, Owner, License],
        },
        Row {
            name: "license read",
            method: "GET",
            path: |t| format!("/v1/licenses/{}", t.license),
            body: no_body,
            allowed: &[
                Admin, Developer, Sales, Support, ReadOnly, Product, Owner, License,
            ],
        },
        Row {
            name: "license validate",
            method: "POST",
            path: |t| format!("/v1/licenses/{}/actions/validate", t.license),
            body: no_body,
            allowed: &[
                Admin, Developer, Sales, Support, ReadOnly, Product, Owner, License,
            ],
        },
    ]
    .into_iter()
    .chain(crate::lifecycle_rows())
    .chain(crate::nested_rows())
    .collect()
}

/// Rows for the lifecycle endpoints (issue #3).
fn lifecycle_rows() -> Vec<Row> {
    let license_action = |name: &'static str,
                          method: &'static str,
                          path: fn(&Target) -> String,
                          allowed: &'static [Who]| Row {
        name,
        method,
        path,
        body: no_body,
        allowed,
    };
    vec![
        license_action(
            "license suspend",
            "POST",
            |t| format!("/v1/licenses/{}/actions/suspend", t.license),
            &[Admin, Developer, Sales, Support, Product],
        ),
        license_action(
            "license reinstate",
            "POST",
            |t| format!("/v1/licenses/{}/actions/reinstate", t.license),
            &[Admin, Developer, Sales, Support, Product],
        ),
        license_action(
            "license renew",
            "POST",
            |t| format!("/v1/licenses/{}/actions/renew", t.license),
            &[Admin, Developer, Sales, Product, Owner],
        ),
        license_action(
            "license revoke",
            "DELETE",
            |t| format!("/v1/licenses/{}/actions/revoke", t.license),
            &[Admin, Developer, Sales, Product, Owner],
        ),
        license_action(
            "license check-in",
            "POST",
            |t| format!("/v1/licenses/{}/actions/check-in", t.license),
            &[Admin, Developer, Sales, Support, Product, Owner, License],
        ),
        license_action(
            "usage increment",
            "POST",
            |t| format!("/v1/licenses/{}/actions/increment-usage", t.license),
            &[Admin, Developer, Sales, Support, Product, Owner, License],
        ),
        license_action(
            "usage decrement",
            "POST",
            |t| format!("/v1/licenses/{}/actions/decrement-usage", t.license),
            &[Admin, Developer, Sales, Support, Product],
        ),
        license_action(
            "usage reset",
            "POST",
            |t| format!("/v1/licenses/{}/actions/reset-usage", t.license),
            &[Admin, Developer, Sales, Support, Product],
        ),
        license_action(
            "heartbeat ping",
            "POST",
            |t| format!("/v1/machines/{}/actions/ping", t.machine),
            &[Admin, Developer, Product, Owner, License],
        ),
        license_action(
            "heartbeat reset",
            "POST",
            |t| format!("/v1/machines/{}/actions/reset", t.machine),
            &[Admin, Developer, Sales, Product],
        ),
        license_action(
            "process read",
            "GET",
            |t| format!("/v1/processes/{}", t.process),
            &[
                Admin, Developer, Sales, Support, ReadOnly, Product, Owner, License,
            ],
        ),
        license_action(
            "process ping",
            "POST",
            |t| format!("/v1/processes/{}/actions/ping", t.process),
            &[Admin, Developer, Sales, Support, Product, Owner, License],
        ),
        license_action(
            "process kill",
            "DELETE",
            |t| format!("/v1/processes/{}", t.process),
            &[Admin, Developer, Sales, Support, Product, Owner, License],
        ),
        Row {
            name: "process spawn",
            method: "POST",
            path: |_| "/v1/processes".into(),
            body: |t, _| {
                Some(
                    json!({"data": {"type": "processes", "attributes": {"pid": "2"},
                "relationships": {"machine": {"data": {"type": "machines", "id": t.machine}}}}}),
                )
            },
            allowed: &[Admin, Developer, Sales, Support, Product, Owner, License],
        },
        Row {
            name: "component create",
            method: "POST",
            path: |_| "/v1/components".into(),
            body: |t, _| {
                Some(
                    json!({"data": {"type": "components", "attributes": {"fingerprint": "cpu-1", "name": "CPU"},
                "relationships": {"machine": {"data": {"type": "machines", "id": t.machine}}}}}),
                )
            },
            allowed: &[Admin, Developer, Sales, Product, Owner, License],
        },
        license_action(
            "user ban",
            "POST",
            |t| format!("/v1/users/{}/actions/ban", t.user),
            &[Admin, Developer, Sales, Support, Product],
        ),
        license_action(
            "user unban",
            "POST",
            |t| format!("/v1/users/{}/actions/unban", t.user),
            &[Admin, Developer, Sales, Support, Product],
        ),
        license_action(
            "me",
            "GET",
            |_| "/v1/me".into(),
            &[
                Admin,
                Developer,
                Sales,
                Support,
                ReadOnly,
                Product,
                OtherProduct,
                Owner,
                OtherUser,
                License,
            ],
        ),
        Row {
            name: "pool key create",
            method: "POST",
            path: |_| "/v1/keys".into(),
            body: |t, w| {
                Some(
                    json!({"data": {"type": "keys", "attributes": {"key": format!("POOL-{}", t.license)},
                "relationships": {"policy": {"data": {"type": "policies", "id": w.pool_policy}}}}}),
                )
            },
            allowed: &[Admin, Developer, Product],
        },
        Row {
            name: "license entitlements attach",
            method: "POST",
            path: |t| format!("/v1/licenses/{}/entitlements", t.license),
            body: |_, w| Some(json!({"data": [{"type": "entitlements", "id": w.entitlement}]})),
            allowed: &[Admin, Developer, Product],
        },
        Row {
            name: "license users attach",
            method: "POST",
            path: |t| format!("/v1/licenses/{}/users", t.license),
            body: |t, _| Some(json!({"data": [{"type": "users", "id": t.user}]})),
            allowed: SUPPORT_UP_AND_PRODUCT,
        },
        Row {
            name: "license owner change",
            method: "PUT",
            path: |t| format!("/v1/licenses/{}/owner", t.license),
            body: |t, _| Some(to_one("users", &t.user)),
            allowed: SUPPORT_UP_AND_PRODUCT,
        },
        Row {
            name: "license policy change",
            method: "PUT",
            path: |t| format!("/v1/licenses/{}/policy", t.license),
            body: |_, w| Some(to_one("policies", &w.policy)),
            allowed: &[Admin, Developer, Sales, Support, Product, Owner],
        },
        Row {
            name: "machine owner change",
            method: "PUT",
            path: |t| format!("/v1/machines/{}/owner", t.machine),
            body: |t, _| Some(to_one("users", &t.user)),
            allowed: SUPPORT_UP_AND_PRODUCT,
        },
    ]
}

const SUPPORT_UP_AND_PRODUCT: &[Who] = &[Admin, Developer, Sales, Support, Product];

const LICENSE_READERS: &[Who] = &[
    Admin, Developer, Sales, Support, ReadOnly, Product, Owner, License,
];

const STAFF_AND_PRODUCT: &[Who] = &[Admin, Developer, Sales, Support, ReadOnly, Product];

/// Rows for the relationship routes, offline proofs and search (issue #8; the full
/// per-route matrix is in `nested_routes.rs`).
fn nested_rows() -> Vec<Row> {
    let read = |name: &'static str, path: fn(&Target) -> String, allowed: &'static [Who]| Row {
        name,
        method: "GET",
        path,
        body: no_body,
        allowed,
    };
    vec![
        read(
            "license user (legacy)",
            |t| format!("/v1/licenses/{}/user", t.license),
            LICENSE_READERS,
        ),
        read(
            "machine license",
            |t| format!("/v1/machines/{}/license", t.machine),
            LICENSE_READERS,
        ),
        read(
            "machine product",
            |t| format!("/v1/machines/{}/product", t.machine),
            LICENSE_READERS,
        ),
        read(
            "process license",
            |t| format!("/v1/processes/{}/license", t.process),
            LICENSE_READERS,
        ),
        read(
            "user licenses",
            |t| format!("/v1/users/{}/licenses", t.user),
            STAFF_AND_PRODUCT,
        ),
        read(
            "user tokens",
            |t| format!("/v1/users/{}/tokens", t.user),
            STAFF_AND_PRODUCT,
        ),
        Row {
            name: "user token create",
            method: "POST",
            path: |t| format!("/v1/users/{}/tokens", t.user),
            body: no_body,
            allowed: &[Admin, Developer, Product],
        },
        Row {
            name: "machine offline proof",
            method: "POST",
            path: |t| format!("/v1/machines/{}/actions/generate-offline-proof", t.machine),
            body: no_body,
            allowed: &[Admin, Developer, Sales, Product, Owner, License],
        },
        Row {
            name: "search",
            method: "POST",
            path: |_| "/v1/search".into(),
            body: |t, _| {
                Some(json!({"meta": {"type": "licenses", "query": {"key": t.license_key}}}))
            },
            allowed: &[Admin, Developer, Sales, Support, ReadOnly],
        },
    ]
}

#[tokio::test]
async fn every_role_gets_exactly_what_the_rules_allow() -> anyhow::Result<()> {
    let world = World::new().await?;
    let mut failures = Vec::new();
    let mut n = 0;
    for row in rows() {
        for who in EVERYONE {
            n += 1;
            let target = world.target(n).await?;
            let path = (row.path)(&target);
            let status = world
                .send(who, &target, row.method, &path, (row.body)(&target, &world))
                .await?;
            let allowed = row.allowed.contains(&who);
            let denied = matches!(status, 401 | 403 | 404);
            let ok = if allowed {
                !denied && status < 500
            } else {
                denied
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {who:?}: {status} (expected {})",
                    row.name,
                    row.method,
                    if allowed { "allowed" } else { "denied" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} pairs wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

/// Tokens and password resets per role (issue #15).
#[path = "authorization/credentials.rs"]
mod credentials;
