//! The relationship routes of issue #8 (`/parents/{id}/children[/{child}]`, group
//! owners, user tokens, the offline proof): who gets in (every bearer of the shared
//! [`Cast`]), what the lists contain, and the 404 for a child of another parent.

use base64::Engine;
use latchkey_testkit::cast::{Cast, Who, Who::*};
use latchkey_testkit::{Fixtures, TestServer, id};
use serde_json::{Value, json};

const STAFF: &[Who] = &[Admin, Developer, Sales, Support, ReadOnly];

fn with(base: &[Who], more: &[Who]) -> Vec<Who> {
    base.iter().chain(more).copied().collect()
}

/// The cast, plus one of every child resource.
struct World {
    server: TestServer,
    cast: Cast,
    pool_policy: String,
    pool_key: String,
    product_token: String,
    license_token: String,
    owner_token: String,
    entitlement: String,
    component: String,
    process: String,
    group: String,
}

async fn ok(server: &TestServer, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    let reply = server.admin(method, path, Some(body)).await?;
    anyhow::ensure!(
        reply.status < 300,
        "{method} {path}: {} {}",
        reply.status,
        reply.body
    );
    Ok(reply.body)
}

impl World {
    async fn new() -> anyhow::Result<Self> {
        let server = TestServer::start().await?;
        let cast = Cast::new(&server).await?;
        let pool_policy = server
            .policy_for(&cast.product, json!({"name": "Pool", "usePool": true}))
            .await?;
        let pool_key = server
            .create(
                "/v1/keys",
                json!({"data": {"type": "keys", "attributes": {"key": "POOL-KEY-1"},
                "relationships": {"policy": {"data": {"type": "policies", "id": pool_policy}}}}}),
            )
            .await?;
        let product_token = ok(
            &server,
            "POST",
            &format!("/v1/products/{}/tokens", cast.product),
            json!({}),
        )
        .await?;
        let license_token = ok(
            &server,
            "POST",
            &format!("/v1/licenses/{}/tokens", cast.license),
            json!({}),
        )
        .await?;
        let owner_tokens = server
            .admin("GET", &format!("/v1/users/{}/tokens", cast.owner), None)
            .await?;
        anyhow::ensure!(owner_tokens.status == 200, "{}", owner_tokens.body);
        let entitlement = server
            .create("/v1/entitlements", json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": "PRO"}}}))
            .await?;
        ok(
            &server,
            "POST",
            &format!("/v1/licenses/{}/entitlements", cast.license),
            json!({"data": [{"type": "entitlements", "id": entitlement["id"]}]}),
        )
        .await?;
        let component = server
            .create("/v1/components", json!({"data": {"type": "components", "attributes": {"fingerprint": "cpu-1", "name": "CPU"},
                "relationships": {"machine": {"data": {"type": "machines", "id": cast.machine}}}}}))
            .await?;
        let process = server
            .create(
                "/v1/processes",
                json!({"data": {"type": "processes", "attributes": {"pid": "1"},
                "relationships": {"machine": {"data": {"type": "machines", "id": cast.machine}}}}}),
            )
            .await?;
        let group = server.group(json!({})).await?;
        let join = json!({"data": {"type": "groups", "id": group}});
        for path in [
            format!("/v1/users/{}/group", cast.owner),
            format!("/v1/licenses/{}/group", cast.license),
            format!("/v1/machines/{}/group", cast.machine),
        ] {
            ok(&server, "PUT", &path, join.clone()).await?;
        }
        ok(
            &server,
            "POST",
            &format!("/v1/groups/{group}/owners"),
            json!({"data": [{"type": "users", "id": cast.owner}]}),
        )
        .await?;
        Ok(Self {
            pool_policy,
            pool_key: id(&pool_key),
            product_token: id(&product_token["data"]),
            license_token: id(&license_token["data"]),
            owner_token: id(&owner_tokens.body["data"][0]),
            entitlement: id(&entitlement),
            component: id(&component),
            process: id(&process),
            group,
            server,
            cast,
        })
    }
}

/// `(method, path, body, who gets in)` for every read route and action added.
fn rows(w: &World) -> Vec<(&'static str, String, Option<Value>, Vec<Who>)> {
    let c = &w.cast;
    let product_readers = with(STAFF, &[Product]);
    let license_readers = with(STAFF, &[Product, Owner, License]);
    let group_readers = with(STAFF, &[Product, OtherProduct, Owner, License]);
    let get = |path: String, who: &Vec<Who>| ("GET", path, None, who.clone());
    let (p, l, m, g, u) = (&c.product, &c.license, &c.machine, &w.group, &c.owner);
    vec![
        get(format!("/v1/products/{p}/policies"), &product_readers),
        get(
            format!("/v1/products/{p}/policies/{}", c.policy),
            &product_readers,
        ),
        get(format!("/v1/products/{p}/licenses"), &product_readers),
        get(format!("/v1/products/{p}/licenses/{l}"), &product_readers),
        get(format!("/v1/products/{p}/machines"), &product_readers),
        get(format!("/v1/products/{p}/machines/{m}"), &product_readers),
        get(format!("/v1/products/{p}/users"), &product_readers),
        get(format!("/v1/products/{p}/users/{u}"), &product_readers),
        get(
            format!("/v1/products/{p}/tokens/{}", w.product_token),
            &vec![Admin, Developer],
        ),
        get(
            format!("/v1/policies/{}/licenses", c.policy),
            &license_readers,
        ),
        get(
            format!("/v1/policies/{}/licenses/{l}", c.policy),
            &license_readers,
        ),
        get(
            format!("/v1/policies/{}/product", c.policy),
            &license_readers,
        ),
        get(
            format!("/v1/policies/{}/pool/{}", w.pool_policy, w.pool_key),
            &product_readers,
        ),
        get(format!("/v1/licenses/{l}/machines/{m}"), &license_readers),
        get(
            format!("/v1/licenses/{l}/tokens/{}", w.license_token),
            &product_readers,
        ),
        get(format!("/v1/licenses/{l}/users/{u}"), &license_readers),
        get(
            format!("/v1/licenses/{l}/entitlements/{}", w.entitlement),
            &license_readers,
        ),
        get(format!("/v1/licenses/{l}/user"), &license_readers),
        get(format!("/v1/machines/{m}/product"), &license_readers),
        get(format!("/v1/machines/{m}/license"), &license_readers),
        get(format!("/v1/machines/{m}/user"), &license_readers),
        get(format!("/v1/machines/{m}/group"), &license_readers),
        get(
            format!("/v1/machines/{m}/components/{}", w.component),
            &license_readers,
        ),
        (
            "POST",
            format!("/v1/machines/{m}/actions/generate-offline-proof"),
            None,
            vec![Admin, Developer, Sales, Product, Owner, License],
        ),
        get(
            format!("/v1/components/{}/product", w.component),
            &license_readers,
        ),
        get(
            format!("/v1/components/{}/license", w.component),
            &license_readers,
        ),
        get(
            format!("/v1/components/{}/machine", w.component),
            &license_readers,
        ),
        get(
            format!("/v1/processes/{}/license", w.process),
            &license_readers,
        ),
        get(format!("/v1/keys/{}/product", w.pool_key), &product_readers),
        get(format!("/v1/keys/{}/policy", w.pool_key), &product_readers),
        get(format!("/v1/groups/{g}/users"), &group_readers),
        get(format!("/v1/groups/{g}/users/{u}"), &license_readers),
        get(format!("/v1/groups/{g}/licenses"), &group_readers),
        get(format!("/v1/groups/{g}/licenses/{l}"), &license_readers),
        get(format!("/v1/groups/{g}/machines"), &group_readers),
        get(format!("/v1/groups/{g}/machines/{m}"), &license_readers),
        get(format!("/v1/groups/{g}/owners"), &group_readers),
        get(format!("/v1/groups/{g}/owners/{u}"), &license_readers),
        (
            "POST",
            format!("/v1/groups/{g}/owners"),
            Some(json!({"data": [{"type": "users", "id": c.other_user}]})),
            vec![Admin, Developer, Product, OtherProduct],
        ),
        (
            "DELETE",
            format!("/v1/groups/{g}/owners"),
            Some(json!({"data": [{"type": "users", "id": c.other_user}]})),
            vec![Admin, Developer, Product, OtherProduct],
        ),
        get(format!("/v1/users/{u}/licenses"), &license_readers),
        get(format!("/v1/users/{u}/machines"), &license_readers),
        get(format!("/v1/users/{u}/products"), &license_readers),
        get(format!("/v1/users/{u}/group"), &license_readers),
        get(
            format!("/v1/users/{u}/tokens"),
            &with(STAFF, &[Product, Owner]),
        ),
        get(
            format!("/v1/users/{u}/tokens/{}", w.owner_token),
            &with(STAFF, &[Product, Owner]),
        ),
        (
            "POST",
            format!("/v1/users/{u}/tokens"),
            None,
            vec![Admin, Developer, Product],
        ),
        (
            "POST",
            "/v1/search".into(),
            Some(json!({"meta": {"type": "licenses", "query": {"key": c.license_key}}})),
            STAFF.to_vec(),
        ),
    ]
}

#[tokio::test]
async fn each_bearer_reaches_exactly_what_keygen_allows() -> anyhow::Result<()> {
    let w = World::new().await?;
    let mut failures = Vec::new();
    for (method, path, body, expected) in rows(&w) {
        let allowed = w.cast.allowed(&w.server, method, &path, body).await?;
        if allowed != expected {
            failures.push(format!(
                "{method} {path}: allowed {allowed:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[tokio::test]
async fn nested_lists_hold_only_the_parents_children() -> anyhow::Result<()> {
    let w = World::new().await?;
    let (server, c) = (&w.server, &w.cast);
    // A license of another product, and one of the same product without owner.
    let other_policy = server.policy_for(&c.other_product, json!({})).await?;
    let foreign = server.license_for(&other_policy, json!({})).await?;
    let sibling = server.license_for(&c.policy, json!({})).await?;
    let reply = server
        .admin(
            "GET",
            &format!(
                "/v1/products/{}/licenses?product={}",
                c.product, c.other_product
            ),
            None,
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let ids = reply.ids();
    assert!(ids.contains(&c.license) && ids.contains(&id(&sibling)));
    assert!(!ids.contains(&id(&foreign)), "{ids:?}");
    // Offset pagination with links on the nested path.
    let reply = server
        .admin(
            "GET",
            &format!(
                "/v1/policies/{}/licenses?page[number]=1&page[size]=1",
                c.policy
            ),
            None,
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(reply.body["links"]["meta"]["count"], 2);
    let next = reply.body["links"]["next"].as_str().unwrap_or_default();
    assert!(
        next.contains(&format!("/policies/{}/licenses", c.policy)),
        "{next}"
    );
    // The owner's own licenses and products; the owner sees itself only.
    let reply = server
        .admin("GET", &format!("/v1/users/{}/products", c.owner), None)
        .await?;
    let products: Vec<String> = reply.body["data"]
        .as_array()
        .map(|a| a.iter().map(id).collect())
        .unwrap_or_default();
    assert_eq!(products, vec![c.product.clone()]);
    // A child of another parent is not found.
    for path in [
        format!("/v1/products/{}/licenses/{}", c.product, id(&foreign)),
        format!("/v1/policies/{}/licenses/{}", c.policy, id(&foreign)),
        format!("/v1/licenses/{}/users/{}", id(&sibling), c.owner),
        format!("/v1/groups/{}/licenses/{}", w.group, id(&sibling)),
        format!("/v1/licenses/{}/tokens/{}", id(&sibling), w.license_token),
    ] {
        let reply = server.admin("GET", &path, None).await?;
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }
    Ok(())
}

#[tokio::test]
async fn to_one_relationships_name_the_parent_resources() -> anyhow::Result<()> {
    let w = World::new().await?;
    let (server, c) = (&w.server, &w.cast);
    for (path, kind, expected) in [
        (
            format!("/v1/machines/{}/product", c.machine),
            "products",
            c.product.clone(),
        ),
        (
            format!("/v1/machines/{}/license", c.machine),
            "licenses",
            c.license.clone(),
        ),
        (
            format!("/v1/machines/{}/user", c.machine),
            "users",
            c.owner.clone(),
        ),
        (
            format!("/v1/machines/{}/group", c.machine),
            "groups",
            w.group.clone(),
        ),
        (
            format!("/v1/licenses/{}/user", c.license),
            "users",
            c.owner.clone(),
        ),
        (
            format!("/v1/components/{}/machine", w.component),
            "machines",
            c.machine.clone(),
        ),
        (
            format!("/v1/processes/{}/license", w.process),
            "licenses",
            c.license.clone(),
        ),
        (
            format!("/v1/keys/{}/policy", w.pool_key),
            "policies",
            w.pool_policy.clone(),
        ),
        (
            format!("/v1/policies/{}/product", c.policy),
            "products",
            c.product.clone(),
        ),
        (
            format!("/v1/users/{}/group", c.owner),
            "groups",
            w.group.clone(),
        ),
    ] {
        let reply = server.admin("GET", &path, None).await?;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.body["data"]["type"], kind, "{path}");
        assert_eq!(reply.body["data"]["id"], expected.as_str(), "{path}");
    }
    let reply = server
        .admin("GET", &format!("/v1/users/{}/group", c.other_user), None)
        .await?;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["data"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn group_owners_attach_list_and_detach() -> anyhow::Result<()> {
    let w = World::new().await?;
    let (server, c) = (&w.server, &w.cast);
    let owners = format!("/v1/groups/{}/owners", w.group);
    let other = json!({"data": [{"type": "users", "id": c.other_user}]});
    let reply = server.admin("POST", &owners, Some(other.clone())).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"][0]["type"], "group-owners");
    assert_eq!(
        reply.body["data"][0]["relationships"]["user"]["data"]["id"],
        c.other_user.as_str()
    );
    let again = server.admin("POST", &owners, Some(other.clone())).await?;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(again.body["errors"][0]["source"]["pointer"], "/data/0");
    let list = server.admin("GET", &owners, None).await?;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(2));
    let unknown = json!({"data": [{"type": "users", "id": uuid_like()}]});
    let reply = server.admin("POST", &owners, Some(unknown)).await?;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let reply = server.admin("DELETE", &owners, Some(other.clone())).await?;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let reply = server.admin("DELETE", &owners, Some(other)).await?;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let bad = server
        .admin(
            "POST",
            &owners,
            Some(json!({"data": [{"type": "licenses", "id": c.license}]})),
        )
        .await?;
    assert_eq!(bad.status, 400, "{}", bad.body);
    for id in ["not-a-uuid", "a\u{0}b"] {
        let body =
            json!({"data": [{"type": "users", "id": c.other_user}, {"type": "users", "id": id}]});
        let reply = server.admin("POST", &owners, Some(body)).await?;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["errors"][0]["source"]["pointer"], "/data/1/id");
    }
    let list = server.admin("GET", &owners, None).await?;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(list.body["data"][0]["id"], c.owner.as_str());
    Ok(())
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".into()
}

#[tokio::test]
async fn user_tokens_are_created_listed_and_work() -> anyhow::Result<()> {
    let w = World::new().await?;
    let (server, c) = (&w.server, &w.cast);
    let path = format!("/v1/users/{}/tokens", c.owner);
    let reply = server
        .admin(
            "POST",
            &path,
            Some(json!({"data": {"type": "tokens", "attributes": {"name": "CI"}}})),
        )
        .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["name"], "CI");
    assert!(!reply.body["data"]["attributes"]["expiry"].is_null());
    let token = reply.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let me = server.call("GET", "/v1/me", Some(&token), None).await?;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["data"]["id"], c.owner.as_str());
    let list = server.admin("GET", &path, None).await?;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(2));
    // The owner does not mint tokens here (it uses POST /tokens).
    let reply = c.send(server, Owner, "POST", &path, None).await?;
    assert_eq!(reply.status, 403, "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn offline_proofs_verify_with_the_account_key() -> anyhow::Result<()> {
    let w = World::new().await?;
    let (server, c) = (&w.server, &w.cast);
    let account = server.admin("GET", "/v1/account", None).await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let pem = String::from_utf8(
        b64.decode(
            account.body["meta"]["publicKey"]
                .as_str()
                .unwrap_or_default(),
        )?,
    )?;
    let key = latchkey_proto::offline::VerifyingKey::parse(&pem)?;
    let path = format!("/v1/machines/{}/actions/generate-offline-proof", c.machine);
    let url = base64::engine::general_purpose::URL_SAFE;
    let check = |proof: &str| -> anyhow::Result<Value> {
        let (signing_data, signature) = proof
            .rsplit_once('.')
            .ok_or_else(|| anyhow::anyhow!("no signature in {proof}"))?;
        key.verify(
            latchkey_proto::offline::SignatureAlgorithm::RsaSha256,
            signing_data.as_bytes(),
            &url.decode(signature)?,
        )?;
        let data = signing_data
            .strip_prefix("proof/")
            .ok_or_else(|| anyhow::anyhow!("no proof/ prefix"))?;
        Ok(serde_json::from_slice(&url.decode(data)?)?)
    };
    // The license's default dataset.
    let reply = c.send(server, License, "POST", &path, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["id"], c.machine.as_str());
    let dataset = check(reply.body["meta"]["proof"].as_str().unwrap_or_default())?;
    assert_eq!(dataset["machine"]["fingerprint"], "cast-fp");
    assert_eq!(dataset["license"]["key"], c.license_key.as_str());
    assert_eq!(dataset["account"]["id"], server.account_id.as_str());
    // Staff choose the dataset; end users may not.
    let custom = json!({"meta": {"dataset": {"hello": "world"}}});
    let reply = server.admin("POST", &path, Some(custom.clone())).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let dataset = check(reply.body["meta"]["proof"].as_str().unwrap_or_default())?;
    assert_eq!(dataset, json!({"hello": "world"}));
    let reply = c.send(server, Owner, "POST", &path, Some(custom)).await?;
    assert_eq!(reply.status, 400, "{}", reply.body);
    Ok(())
}
