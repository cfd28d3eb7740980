//! Every validation code of spec §3.4, produced through real requests (license, machine,
//! user, process and component endpoints) and the injected clock — the HTTP counterpart
//! of core's one-case-per-code unit tests. Validations are asked as an application
//! asks them, through the SDK client's `validate_key` (typed `ValidationCode`); the
//! scopes the SDK cannot send as written (empty lists) go raw.

use latchkey_sdk::{Client, Scope, Validation, ValidationCode};
use latchkey_testkit::TestServer;
use serde_json::{Value, json};

const HOUR: time::Duration = time::Duration::hours(1);

struct Case {
    server: TestServer,
    license: Value,
    /// An application's SDK client (no credential: validate-key needs none).
    client: Client,
}

/// The SDK scope for a JSON scope of these tests; panics on a scope the SDK would not
/// send exactly as written (use [`Case::expect_raw`] for those).
fn sdk_scope(scope: &Value) -> Scope {
    let text = |name: &str| scope[name].as_str().map(str::to_owned);
    let list = |name: &str| -> Vec<String> {
        let items = scope[name]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert!(
            scope.get(name).is_none() || !items.is_empty(),
            "the SDK omits an empty {name} list: {scope}"
        );
        items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    };
    for name in scope.as_object().into_iter().flat_map(|o| o.keys()) {
        assert!(
            [
                "fingerprint",
                "components",
                "entitlements",
                "product",
                "policy",
                "user",
                "machine",
                "checksum",
                "version",
            ]
            .contains(&name.as_str()),
            "no SDK scope field for {name}"
        );
    }
    Scope {
        fingerprint: text("fingerprint"),
        components: list("components"),
        entitlements: list("entitlements"),
        product: text("product"),
        policy: text("policy"),
        user: text("user"),
        machine: text("machine"),
        checksum: text("checksum"),
        version: text("version"),
    }
}

impl Case {
    async fn new(policy: Value) -> anyhow::Result<Self> {
        let server = TestServer::start().await?;
        let license = server.license_with_policy(policy).await?;
        let client = server.sdk().await?;
        Ok(Self {
            server,
            license,
            client,
        })
    }

    fn id(&self) -> &str {
        self.license["id"].as_str().unwrap_or_default()
    }

    fn key(&self) -> &str {
        self.license["attributes"]["key"]
            .as_str()
            .unwrap_or_default()
    }

    fn rel(&self, name: &str) -> &str {
        self.license["relationships"][name]["data"]["id"]
            .as_str()
            .unwrap_or_default()
    }

    /// Validates with `scope` through the SDK and checks `(valid, code)`, and that the
    /// server echoes the scope it checked; returns the verdict.
    async fn expect(&self, scope: Value, valid: bool, code: &str) -> anyhow::Result<Validation> {
        let verdict = self
            .client
            .validate_key(self.key(), &sdk_scope(&scope))
            .await?;
        assert_eq!(verdict.code.as_str(), code, "scope {scope}: {verdict:?}");
        assert_eq!(verdict.valid, valid, "scope {scope}: {verdict:?}");
        assert!(!verdict.detail.is_empty(), "scope {scope}: {verdict:?}");
        assert_eq!(verdict.scope, scope, "the checked scope is echoed");
        Ok(verdict)
    }

    /// Validates with `scope` sent exactly as written (raw JSON) and checks
    /// `(valid, code)`; returns the meta.
    async fn expect_raw(&self, scope: Value, valid: bool, code: &str) -> anyhow::Result<Value> {
        let body = self.server.validate_key(self.key(), scope.clone()).await?;
        let meta = body["meta"].clone();
        assert_eq!(meta["code"], code, "scope {scope}: {meta}");
        assert_eq!(meta["valid"], valid, "scope {scope}: {meta}");
        assert!(meta["detail"].as_str().is_some_and(|d| !d.is_empty()));
        Ok(meta)
    }

    async fn activate(&self, fingerprint: &str, attributes: Value) -> anyhow::Result<String> {
        let mut attributes = attributes;
        attributes["fingerprint"] = fingerprint.into();
        let reply = self
            .server
            .admin(
                "POST",
                "/v1/machines",
                Some(json!({"data": {"type": "machines", "attributes": attributes,
                    "relationships": {"license": {"data": {"type": "licenses", "id": self.id()}}}}})),
            )
            .await?;
        anyhow::ensure!(
            reply.status == 201,
            "activate {fingerprint}: {}",
            reply.body
        );
        Ok(reply.body["data"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    async fn admin_ok(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let reply = self.server.admin(method, path, body).await?;
        anyhow::ensure!(
            reply.status < 300,
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
        Ok(reply.body)
    }
}

#[tokio::test]
async fn not_found_and_valid() -> anyhow::Result<()> {
    let case = Case::new(json!({})).await?;
    let verdict = case
        .client
        .validate_key("NO-SUCH-KEY", &Scope::default())
        .await?;
    assert_eq!(verdict.code, ValidationCode::NotFound);
    assert!(!verdict.valid);
    assert!(verdict.license.is_none(), "data is null");
    case.expect(json!({}), true, "VALID").await?;
    Ok(())
}

#[tokio::test]
async fn banned_suspended_expired_overdue() -> anyhow::Result<()> {
    // BANNED: the owner is banned.
    let case = Case::new(json!({})).await?;
    let user = case
        .server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "b@example.test"}}}),
        )
        .await?;
    let owned = case
        .server
        .create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "relationships": {
                "policy": {"data": {"type": "policies", "id": case.rel("policy")}},
                "owner": {"data": {"type": "users", "id": user["id"]}}}}}),
        )
        .await?;
    let owned_case = Case {
        server: case.server,
        license: owned,
        client: case.client,
    };
    owned_case.expect(json!({}), true, "VALID").await?;
    owned_case
        .admin_ok(
            "POST",
            &format!("/v1/users/{}/actions/ban", user["id"].as_str().unwrap()),
            None,
        )
        .await?;
    owned_case.expect(json!({}), false, "BANNED").await?;

    // SUSPENDED, then reinstated.
    let case = Case::new(json!({})).await?;
    case.admin_ok(
        "POST",
        &format!("/v1/licenses/{}/actions/suspend", case.id()),
        None,
    )
    .await?;
    case.expect(json!({}), false, "SUSPENDED").await?;
    case.admin_ok(
        "POST",
        &format!("/v1/licenses/{}/actions/reinstate", case.id()),
        None,
    )
    .await?;
    case.expect(json!({}), true, "VALID").await?;

    // EXPIRED under REVOKE_ACCESS comes before the scope checks.
    let case =
        Case::new(json!({"duration": 86_400, "expirationStrategy": "REVOKE_ACCESS"})).await?;
    case.server.clock.advance(time::Duration::days(2));
    case.expect(
        json!({"product": "00000000-0000-4000-8000-000000000000"}),
        false,
        "EXPIRED",
    )
    .await?;

    // OVERDUE: a check-in every 2 days, none for 3.
    let case = Case::new(
        json!({"requireCheckIn": true, "checkInInterval": "day", "checkInIntervalCount": 2}),
    )
    .await?;
    case.expect(json!({}), true, "VALID").await?;
    case.server.clock.advance(time::Duration::days(3));
    case.expect(json!({}), false, "OVERDUE").await?;
    case.admin_ok(
        "POST",
        &format!("/v1/licenses/{}/actions/check-in", case.id()),
        None,
    )
    .await?;
    case.expect(json!({}), true, "VALID").await?;
    Ok(())
}

#[tokio::test]
async fn product_policy_and_user_scopes() -> anyhow::Result<()> {
    let nobody = "00000000-0000-4000-8000-000000000000";
    let case = Case::new(
        json!({"requireProductScope": true, "requirePolicyScope": true, "requireUserScope": true}),
    )
    .await?;
    case.expect(json!({}), false, "PRODUCT_SCOPE_REQUIRED")
        .await?;
    case.expect(json!({"product": nobody}), false, "PRODUCT_SCOPE_MISMATCH")
        .await?;
    let product = case.rel("product").to_owned();
    case.expect(json!({"product": product}), false, "POLICY_SCOPE_REQUIRED")
        .await?;
    case.expect(
        json!({"product": product, "policy": nobody}),
        false,
        "POLICY_SCOPE_MISMATCH",
    )
    .await?;
    let policy = case.rel("policy").to_owned();
    case.expect(
        json!({"product": product, "policy": policy}),
        false,
        "USER_SCOPE_REQUIRED",
    )
    .await?;
    case.expect(
        json!({"product": product, "policy": policy, "user": "who@example.test"}),
        false,
        "USER_SCOPE_MISMATCH",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn entitlement_scopes() -> anyhow::Result<()> {
    let case = Case::new(json!({})).await?;
    let entitlement = case
        .server
        .create(
            "/v1/entitlements",
            json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": "PRO"}}}),
        )
        .await?;
    case.expect_raw(
        json!({"entitlements": []}),
        false,
        "ENTITLEMENTS_SCOPE_EMPTY",
    )
    .await?;
    case.expect(
        json!({"entitlements": ["PRO"]}),
        false,
        "ENTITLEMENTS_MISSING",
    )
    .await?;
    case.admin_ok(
        "POST",
        &format!("/v1/licenses/{}/entitlements", case.id()),
        Some(json!({"data": [{"type": "entitlements", "id": entitlement["id"]}]})),
    )
    .await?;
    case.expect(json!({"entitlements": ["PRO"]}), true, "VALID")
        .await?;
    Ok(())
}

#[tokio::test]
async fn machine_and_fingerprint_scopes() -> anyhow::Result<()> {
    let nobody = "00000000-0000-4000-8000-000000000000";
    let node_locked = Case::new(json!({"floating": false, "requireMachineScope": true})).await?;
    node_locked
        .expect(json!({}), false, "MACHINE_SCOPE_REQUIRED")
        .await?;
    node_locked
        .expect(json!({"machine": nobody}), false, "NO_MACHINE")
        .await?;
    node_locked.activate("fp-1", json!({})).await?;
    node_locked
        .expect(json!({"machine": nobody}), false, "MACHINE_SCOPE_MISMATCH")
        .await?;

    let floating =
        Case::new(json!({"floating": true, "maxMachines": 3, "requireFingerprintScope": true}))
            .await?;
    floating
        .expect(json!({}), false, "FINGERPRINT_SCOPE_REQUIRED")
        .await?;
    floating
        .expect(json!({"fingerprint": "fp-1"}), false, "NO_MACHINES")
        .await?;
    floating.activate("fp-1", json!({})).await?;
    floating
        .expect_raw(
            json!({"fingerprints": []}),
            false,
            "FINGERPRINT_SCOPE_EMPTY",
        )
        .await?;
    floating
        .expect(
            json!({"fingerprint": "fp-9"}),
            false,
            "FINGERPRINT_SCOPE_MISMATCH",
        )
        .await?;
    floating
        .expect(json!({"fingerprint": "fp-1"}), true, "VALID")
        .await?;
    Ok(())
}

#[tokio::test]
async fn heartbeat_codes() -> anyhow::Result<()> {
    let case = Case::new(json!({"floating": true, "maxMachines": 2, "requireHeartbeat": true, "heartbeatDuration": 600, "heartbeatBasis": "FROM_FIRST_PING"})).await?;
    let machine = case.activate("fp-1", json!({})).await?;
    case.expect(
        json!({"fingerprint": "fp-1"}),
        false,
        "HEARTBEAT_NOT_STARTED",
    )
    .await?;
    case.admin_ok(
        "POST",
        &format!("/v1/machines/{machine}/actions/ping"),
        None,
    )
    .await?;
    case.expect(json!({"fingerprint": "fp-1"}), true, "VALID")
        .await?;
    case.server.clock.advance(HOUR);
    case.expect(json!({"machine": machine}), false, "HEARTBEAT_DEAD")
        .await?;
    Ok(())
}

#[tokio::test]
async fn component_scopes() -> anyhow::Result<()> {
    let case = Case::new(json!({"floating": true, "maxMachines": 2, "requireComponentsScope": true, "componentMatchingStrategy": "MATCH_ALL"})).await?;
    let reply = case
        .server
        .admin(
            "POST",
            "/v1/machines",
            Some(json!({"data": {"type": "machines", "attributes": {"fingerprint": "fp-1"},
                "relationships": {
                    "license": {"data": {"type": "licenses", "id": case.id()}},
                    "components": {"data": [
                        {"type": "components", "attributes": {"fingerprint": "cpu-1", "name": "CPU"}},
                        {"type": "components", "attributes": {"fingerprint": "disk-1", "name": "Disk"}}]}}}})),
        )
        .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    case.expect(
        json!({"fingerprint": "fp-1"}),
        false,
        "COMPONENTS_SCOPE_REQUIRED",
    )
    .await?;
    case.expect(
        json!({"components": ["cpu-1"]}),
        false,
        "FINGERPRINT_SCOPE_REQUIRED",
    )
    .await?;
    case.expect_raw(
        json!({"fingerprint": "fp-1", "components": []}),
        false,
        "COMPONENTS_SCOPE_EMPTY",
    )
    .await?;
    case.expect(
        json!({"fingerprint": "fp-1", "components": ["cpu-1", "disk-2"]}),
        false,
        "COMPONENTS_SCOPE_MISMATCH",
    )
    .await?;
    case.expect(
        json!({"fingerprint": "fp-1", "components": ["cpu-1", "disk-1"]}),
        true,
        "VALID",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn checksum_and_version_scopes() -> anyhow::Result<()> {
    let case = Case::new(json!({"requireChecksumScope": true})).await?;
    case.expect(json!({}), false, "CHECKSUM_SCOPE_REQUIRED")
        .await?;
    // No artifact is published, so no checksum can match.
    case.expect(json!({"checksum": "abc"}), false, "CHECKSUM_SCOPE_MISMATCH")
        .await?;
    let case = Case::new(json!({"requireVersionScope": true})).await?;
    case.expect(json!({}), false, "VERSION_SCOPE_REQUIRED")
        .await?;
    case.expect(json!({"version": "1.0.0"}), false, "VERSION_SCOPE_MISMATCH")
        .await?;
    Ok(())
}

#[tokio::test]
async fn limits_and_overages() -> anyhow::Result<()> {
    // TOO_MANY_USERS: two licensees, then the license is cut down to one seat.
    let case = Case::new(json!({"maxUsers": 2})).await?;
    for email in ["a@example.test", "b@example.test"] {
        let user = case
            .server
            .create(
                "/v1/users",
                json!({"data": {"type": "users", "attributes": {"email": email}}}),
            )
            .await?;
        case.admin_ok(
            "POST",
            &format!("/v1/licenses/{}/users", case.id()),
            Some(json!({"data": [{"type": "users", "id": user["id"]}]})),
        )
        .await?;
    }
    case.expect(json!({}), true, "VALID").await?;
    case.admin_ok(
        "PATCH",
        &format!("/v1/licenses/{}", case.id()),
        Some(json!({"data": {"type": "licenses", "attributes": {"maxUsers": 1}}})),
    )
    .await?;
    case.expect(json!({}), false, "TOO_MANY_USERS").await?;

    // Strict node-locked: NO_MACHINE, then TOO_MANY_MACHINES past the limit.
    let case = Case::new(
        json!({"strict": true, "floating": false, "overageStrategy": "ALWAYS_ALLOW_OVERAGE"}),
    )
    .await?;
    case.expect(json!({}), false, "NO_MACHINE").await?;
    case.activate("fp-1", json!({})).await?;
    case.activate("fp-2", json!({})).await?;
    case.expect(json!({}), true, "TOO_MANY_MACHINES").await?;

    // Strict floating: NO_MACHINES; cores, memory and disk over their limits.
    let case = Case::new(json!({"strict": true, "floating": true, "maxMachines": 5,
        "maxCores": 4, "maxMemory": 1000, "maxDisk": 1000, "overageStrategy": "ALWAYS_ALLOW_OVERAGE"})).await?;
    case.expect(json!({}), false, "NO_MACHINES").await?;
    case.activate("fp-1", json!({"cores": 8, "memory": 10, "disk": 10}))
        .await?;
    case.expect(json!({}), true, "TOO_MANY_CORES").await?;
    let case = Case::new(json!({"strict": true, "floating": true, "maxMachines": 5, "maxMemory": 1000, "overageStrategy": "ALWAYS_ALLOW_OVERAGE"})).await?;
    case.activate("fp-1", json!({"memory": 5000})).await?;
    case.expect(json!({}), true, "TOO_MUCH_MEMORY").await?;
    let case = Case::new(json!({"strict": true, "floating": true, "maxMachines": 5, "maxDisk": 1000, "overageStrategy": "ALWAYS_ALLOW_OVERAGE"})).await?;
    case.activate("fp-1", json!({"disk": 5000})).await?;
    case.expect(json!({}), true, "TOO_MUCH_DISK").await?;

    // TOO_MANY_PROCESSES: two processes for one, allowed as overage.
    let case = Case::new(json!({"strict": true, "floating": true, "maxMachines": 5, "maxProcesses": 1, "overageStrategy": "ALWAYS_ALLOW_OVERAGE"})).await?;
    let machine = case.activate("fp-1", json!({})).await?;
    for pid in ["100", "200"] {
        case.admin_ok(
            "POST",
            "/v1/processes",
            Some(
                json!({"data": {"type": "processes", "attributes": {"pid": pid},
                "relationships": {"machine": {"data": {"type": "machines", "id": machine}}}}}),
            ),
        )
        .await?;
    }
    case.expect(json!({"fingerprint": "fp-1"}), true, "TOO_MANY_PROCESSES")
        .await?;
    Ok(())
}

#[tokio::test]
async fn expiry_strategies() -> anyhow::Result<()> {
    for (strategy, valid) in [
        ("RESTRICT_ACCESS", false),
        ("MAINTAIN_ACCESS", true),
        ("ALLOW_ACCESS", true),
    ] {
        let case = Case::new(json!({"duration": 86_400, "expirationStrategy": strategy})).await?;
        case.expect(json!({}), true, "VALID").await?;
        case.server.clock.advance(time::Duration::days(2));
        case.expect(json!({}), valid, "EXPIRED").await?;
    }
    Ok(())
}
