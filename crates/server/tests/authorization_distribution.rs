//! Who may use the release, package, release-constraint and engine routes (issue 14),
//! after Keygen's `ReleasePolicy`, `ReleasePackagePolicy`,
//! `Releases::ReleaseEntitlementConstraintPolicy`, `Releases::EntitlementPolicy`,
//! `Releases::ProductPolicy` and `ReleaseEnginePolicy`: every staff role reads, admins,
//! developers and the release's product write, licensees (the owner, the license by
//! key or by token) read what their product distributes, everyone else is refused;
//! another account never sees these ids (404).
#![allow(clippy::expect_used)]

use latchkey_server::bootstrap::{NewAccount, create_account, issue_admin_token};
use latchkey_testkit::TestServer;
use latchkey_testkit::cast::{Cast, EVERYONE, Who};
use latchkey_testkit::fixtures::{Fixtures, id, to_one};
use serde_json::{Value, json};

mod release_support;
use release_support::*;

const STAFF: [Who; 5] = [
    Who::Admin,
    Who::Developer,
    Who::Sales,
    Who::Support,
    Who::ReadOnly,
];
const WRITERS: [Who; 3] = [Who::Admin, Who::Developer, Who::Product];

/// Staff, the product, the license's owner and the license.
fn licensees() -> Vec<Who> {
    let mut who = STAFF.to_vec();
    who.extend([Who::Product, Who::Owner, Who::License]);
    who
}

/// The credentials outside the cast: none, the cast license's token, a license of the
/// other product (by key and by token) and another account's admin.
struct Outsiders {
    license_token: String,
    other_license_key: String,
    other_license_token: String,
    other_account_admin: String,
}

impl Outsiders {
    async fn new(server: &TestServer, cast: &Cast) -> anyhow::Result<Self> {
        let license_token = mint_token(server, &cast.license).await?;
        let policy = server
            .policy_for(
                &cast.other_product,
                json!({"authenticationStrategy": "MIXED"}),
            )
            .await?;
        let other = server.license_for(&policy, json!({})).await?;
        let other_license_key = other["attributes"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let other_license_token = mint_token(server, &id(&other)).await?;
        let created = create_account(
            &server.db,
            &server.secret,
            1_767_268_800_000,
            NewAccount {
                slug: "globex".into(),
                name: None,
                email: "admin@globex.test".into(),
                password: "another horse".into(),
            },
        )
        .await?;
        let other_account_admin = issue_admin_token(
            &server.db,
            &server.secret,
            1_767_268_800_000,
            &created.admin,
        )
        .await?;
        Ok(Self {
            license_token,
            other_license_key,
            other_license_token,
            other_account_admin,
        })
    }

    /// The status each outsider gets: (anonymous, license token, other license key,
    /// other license token).
    async fn statuses(
        &self,
        server: &TestServer,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<[u16; 4]> {
        let mut out = [0; 4];
        let auths = [
            None,
            Some(format!("Bearer {}", self.license_token)),
            Some(format!("License {}", self.other_license_key)),
            Some(format!("Bearer {}", self.other_license_token)),
        ];
        for (slot, auth) in out.iter_mut().zip(auths) {
            let reply = send(server, method, path, auth.as_deref(), body.clone(), &[]).await?;
            anyhow::ensure!(
                reply.status < 500,
                "{method} {path}: {} {}",
                reply.status,
                reply.body
            );
            *slot = reply.status;
        }
        Ok(out)
    }

    /// `method path` under the other account's prefix, as its admin: 404, an empty
    /// list, or a create naming this account's product refused as unknown (422).
    async fn cross_account(
        &self,
        server: &TestServer,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<bool> {
        let path = path.replacen("/v1/", "/v1/accounts/globex/", 1);
        let auth = format!("Bearer {}", self.other_account_admin);
        let reply = send(server, method, &path, Some(&auth), body, &[]).await?;
        let unknown_relationship =
            reply.status == 422 && reply.error_code().is_some_and(|c| c.ends_with("NOT_FOUND"));
        Ok(reply.status == 404
            || unknown_relationship
            || (method == "GET" && reply.status == 200 && reply.body["data"] == json!([])))
    }
}

fn allowed(status: u16) -> bool {
    !matches!(status, 401 | 403 | 404)
}

async fn mint_token(server: &TestServer, license: &str) -> anyhow::Result<String> {
    let reply = server
        .admin("POST", &format!("/v1/licenses/{license}/tokens"), None)
        .await?;
    anyhow::ensure!(reply.status == 201, "license token: {}", reply.body);
    Ok(reply.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

async fn package(server: &TestServer, product: &str, key: &str) -> anyhow::Result<String> {
    let body = json!({"data": {"type": "packages",
        "attributes": {"name": key, "key": key, "engine": "tauri"},
        "relationships": {"product": to_one("products", product)}}});
    Ok(id(&server.create("/v1/packages", body).await?))
}

async fn entitlement(server: &TestServer, code: &str) -> anyhow::Result<String> {
    let body =
        json!({"data": {"type": "entitlements", "attributes": {"name": code, "code": code}}});
    Ok(id(&server.create("/v1/entitlements", body).await?))
}

fn constraint_body(entitlement: &str) -> Value {
    json!({"data": [{"type": "constraints",
        "relationships": {"entitlement": to_one("entitlements", entitlement)}}]})
}

/// One row of the matrix: the cast's allowed bearers, the outsiders' statuses.
struct Row {
    method: &'static str,
    path: String,
    body: Option<Value>,
    cast: Vec<Who>,
    /// Anonymous, license token, other license key, other license token.
    outsiders: [bool; 4],
}

async fn check(
    server: &TestServer,
    cast: &Cast,
    outsiders: &Outsiders,
    row: Row,
) -> anyhow::Result<()> {
    let Row {
        method,
        path,
        body,
        cast: expected,
        outsiders: expected_outsiders,
    } = row;
    let got = cast.allowed(server, method, &path, body.clone()).await?;
    assert_eq!(got, expected, "{method} {path}");
    let statuses = outsiders
        .statuses(server, method, &path, body.clone())
        .await?;
    assert_eq!(
        statuses.map(allowed),
        expected_outsiders,
        "{method} {path}: anonymous, license token, other license key, other license token: {statuses:?}"
    );
    assert!(
        outsiders.cross_account(server, method, &path, body).await?,
        "{method} {path} from another account"
    );
    Ok(())
}

const LICENSEE_OUTSIDERS: [bool; 4] = [false, true, false, false];
const NOBODY: [bool; 4] = [false; 4];
const EVERY_OUTSIDER: [bool; 4] = [true; 4];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_routes_matrix() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let cast = Cast::new(&server).await?;
    let outsiders = Outsiders::new(&server, &cast).await?;
    let old = release(&server, &cast.product, "1.0.0", "stable").await?;
    let new = release(&server, &cast.product, "1.1.0", "stable").await?;
    let to_yank = release(&server, &cast.product, "0.9.0", "stable").await?;
    for r in [&old, &new, &to_yank] {
        publish(&server, r).await?;
    }
    let patch = json!({"data": {"type": "releases", "attributes": {"name": "Renamed"}}});
    let create = json!({"data": {"type": "releases",
        "attributes": {"version": "3.0.0", "channel": "stable"},
        "relationships": {"product": to_one("products", &cast.product)}}});
    let rows = vec![
        Row {
            method: "GET",
            path: "/v1/releases".into(),
            body: None,
            cast: EVERYONE.to_vec(),
            outsiders: EVERY_OUTSIDER,
        },
        Row {
            method: "GET",
            path: format!("/v1/releases/{old}"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: "/v1/releases/1.0.0".into(),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/releases/{old}/upgrade"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/releases/{old}/product"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/products/{}/releases", cast.product),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/products/{}/artifacts", cast.product),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/products/{}/channels", cast.product),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "POST",
            path: "/v1/releases".into(),
            body: Some(create),
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
        Row {
            method: "PATCH",
            path: format!("/v1/releases/{old}"),
            body: Some(patch),
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
        Row {
            method: "POST",
            path: format!("/v1/releases/{old}/actions/publish"),
            body: None,
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
        Row {
            method: "POST",
            path: format!("/v1/releases/{to_yank}/actions/yank"),
            body: None,
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
    ];
    for row in rows {
        check(&server, &cast, &outsiders, row).await?;
    }

    // DELETE: a fresh release for every bearer.
    let mut deleted = Vec::new();
    for (n, who) in EVERYONE.into_iter().enumerate() {
        let doomed = release(&server, &cast.product, &format!("5.0.{n}"), "stable").await?;
        let reply = cast
            .send(
                &server,
                who,
                "DELETE",
                &format!("/v1/releases/{doomed}"),
                None,
            )
            .await?;
        assert!(reply.status < 500, "{who:?}: {}", reply.body);
        if allowed(reply.status) {
            deleted.push(who);
        }
    }
    assert_eq!(deleted, WRITERS.to_vec(), "DELETE /v1/releases/{{id}}");

    // An OPEN product's lists are public; a license of another product still gets 404.
    let open = server
        .create(
            "/v1/products",
            json!({"data": {"type": "products",
                "attributes": {"name": "Open", "distributionStrategy": "OPEN"}}}),
        )
        .await?;
    let path = format!("/v1/products/{}/releases", id(&open));
    assert_eq!(
        send(&server, "GET", &path, None, None, &[]).await?.status,
        200
    );
    let other = cast
        .send(&server, Who::OtherUser, "GET", &path, None)
        .await?;
    assert_eq!(other.status, 200, "{}", other.body);
    let license = cast.send(&server, Who::License, "GET", &path, None).await?;
    assert_eq!(license.status, 404, "{}", license.body);
    let doomed = release(&server, &cast.product, "6.0.0", "stable").await?;
    let path = format!("/v1/releases/{doomed}");
    assert_eq!(
        outsiders
            .statuses(&server, "DELETE", &path, None)
            .await?
            .map(allowed),
        NOBODY
    );
    assert!(
        outsiders
            .cross_account(&server, "DELETE", &path, None)
            .await?
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraint_routes_matrix() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let cast = Cast::new(&server).await?;
    let outsiders = Outsiders::new(&server, &cast).await?;
    let release = release(&server, &cast.product, "1.0.0", "stable").await?;
    publish(&server, &release).await?;
    let held = entitlement(&server, "HELD").await?;
    let other = entitlement(&server, "OTHER").await?;
    let attach = json!({"data": [{"type": "entitlements", "id": held}]});
    let reply = server
        .admin(
            "POST",
            &format!("/v1/licenses/{}/entitlements", cast.license),
            Some(attach),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = server
        .admin(
            "POST",
            &format!("/v1/releases/{release}/constraints"),
            Some(constraint_body(&held)),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let constraint = id(&reply.body["data"][0]);

    let rows = vec![
        Row {
            method: "GET",
            path: format!("/v1/releases/{release}/constraints"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/releases/{release}/constraints/{constraint}"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/releases/{release}/entitlements"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        // The license holds HELD, so the constrained release stays readable.
        Row {
            method: "GET",
            path: format!("/v1/releases/{release}"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "POST",
            path: format!("/v1/releases/{release}/constraints"),
            body: Some(constraint_body(&other)),
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
        Row {
            method: "DELETE",
            path: format!("/v1/releases/{release}/constraints"),
            body: Some(json!({"data": [{"type": "constraints", "id": other}]})),
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
    ];
    for row in rows {
        check(&server, &cast, &outsiders, row).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_and_engine_routes_matrix() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let cast = Cast::new(&server).await?;
    let outsiders = Outsiders::new(&server, &cast).await?;
    let pkg = package(&server, &cast.product, "app").await?;
    let release = release(&server, &cast.product, "1.0.0", "stable").await?;
    let link = json!({"data": {"type": "releases",
        "relationships": {"package": to_one("packages", &pkg)}}});
    let reply = server
        .admin("PATCH", &format!("/v1/releases/{release}"), Some(link))
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    publish(&server, &release).await?;
    let patch = json!({"data": {"type": "packages", "attributes": {"name": "Renamed"}}});
    let create = json!({"data": {"type": "packages",
        "attributes": {"name": "New", "key": "new"},
        "relationships": {"product": to_one("products", &cast.product)}}});
    let rows = vec![
        Row {
            method: "GET",
            path: "/v1/packages".into(),
            body: None,
            cast: EVERYONE.to_vec(),
            outsiders: EVERY_OUTSIDER,
        },
        Row {
            method: "GET",
            path: format!("/v1/packages/{pkg}"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: "/v1/packages/app".into(),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/releases/{release}/package"),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "POST",
            path: "/v1/packages".into(),
            body: Some(create),
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
        Row {
            method: "PATCH",
            path: format!("/v1/packages/{pkg}"),
            body: Some(patch),
            cast: WRITERS.to_vec(),
            outsiders: NOBODY,
        },
        Row {
            method: "GET",
            path: "/v1/engines".into(),
            body: None,
            cast: EVERYONE.to_vec(),
            outsiders: EVERY_OUTSIDER,
        },
        // A product's lists: 404 unless the caller reaches the product.
        Row {
            method: "GET",
            path: format!("/v1/products/{}/packages", cast.product),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: format!("/v1/products/{}/engines", cast.product),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
        Row {
            method: "GET",
            path: "/v1/engines/tauri".into(),
            body: None,
            cast: licensees(),
            outsiders: LICENSEE_OUTSIDERS,
        },
    ];
    for row in rows {
        check(&server, &cast, &outsiders, row).await?;
    }

    let mut deleted = Vec::new();
    for (n, who) in EVERYONE.into_iter().enumerate() {
        let doomed = package(&server, &cast.product, &format!("doomed-{n}")).await?;
        let reply = cast
            .send(
                &server,
                who,
                "DELETE",
                &format!("/v1/packages/{doomed}"),
                None,
            )
            .await?;
        assert!(reply.status < 500, "{who:?}: {}", reply.body);
        if allowed(reply.status) {
            deleted.push(who);
        }
    }
    assert_eq!(deleted, WRITERS.to_vec(), "DELETE /v1/packages/{{id}}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
