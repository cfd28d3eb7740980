//! Machine components over HTTP: nested on activation, the `/components` resource,
//! uniqueness strategies and the components validation scope (seed 003: a machine
//! whose disk changed keeps validating under MATCH_MOST).

use latchkey_testkit::{TestServer, component, machine_body};
use serde_json::{Value, json};

fn hardware() -> Vec<Value> {
    vec![
        component("cpu-1", "CPU"),
        component("board-1", "Motherboard"),
        component("mac-1", "MAC"),
        component("disk-1", "Disk"),
    ]
}

/// Activates a machine of `license` with `components`, as admin.
async fn activate_with(
    server: &TestServer,
    license: &str,
    fingerprint: &str,
    components: Vec<Value>,
) -> anyhow::Result<latchkey_testkit::Reply> {
    let relationships = json!({"components": {"data": components}});
    let body = machine_body(license, fingerprint, json!({}), relationships);
    server.admin("POST", "/v1/machines", Some(body)).await
}

#[tokio::test]
async fn nested_components_are_created_with_the_machine() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": 5}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let machine = activate_with(&server, id, "fp-1", hardware()).await?;
    assert_eq!(machine.status, 201, "{}", machine.body);
    let machine_id = machine.body["data"]["id"].as_str().unwrap();

    let list = server
        .admin("GET", &format!("/v1/components?machine={machine_id}"), None)
        .await?;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 4);
    let first = &list.body["data"][0];
    assert_eq!(first["type"], "components");
    assert_eq!(first["relationships"]["machine"]["data"]["id"], machine_id);
    assert_eq!(first["relationships"]["license"]["data"]["id"], id);
    let nested = server
        .admin(
            "GET",
            &format!("/v1/machines/{machine_id}/components"),
            None,
        )
        .await?;
    assert_eq!(nested.body["data"].as_array().unwrap().len(), 4);
    let by_license = server
        .admin("GET", &format!("/v1/components?license={id}"), None)
        .await?;
    assert_eq!(by_license.body["data"].as_array().unwrap().len(), 4);

    // Duplicated fingerprints in one request: nothing is created, not even the machine.
    let dup = activate_with(
        &server,
        id,
        "fp-2",
        vec![component("x", "A"), component("x", "B")],
    )
    .await?;
    assert_eq!(dup.status, 422, "{}", dup.body);
    assert_eq!(dup.error_code(), Some("COMPONENTS_FINGERPRINT_CONFLICT"));
    assert_eq!(
        dup.body["errors"][0]["source"]["pointer"],
        "/data/relationships/components/data/1/attributes/fingerprint"
    );
    let machines = server
        .admin("GET", "/v1/machines?fingerprint=fp-2", None)
        .await?;
    assert_eq!(machines.body["data"].as_array().unwrap().len(), 0);

    // More than 20 components.
    let many: Vec<Value> = (0..21).map(|i| component(&format!("c{i}"), "C")).collect();
    let too_many = activate_with(&server, id, "fp-3", many).await?;
    assert_eq!(too_many.status, 422, "{}", too_many.body);
    assert_eq!(too_many.body["errors"][0]["detail"], "too many records");

    // A missing name inside a nested component.
    let unnamed = activate_with(
        &server,
        id,
        "fp-4",
        vec![json!({"type": "components", "attributes": {"fingerprint": "n"}})],
    )
    .await?;
    assert_eq!(unnamed.status, 422, "{}", unnamed.body);
    assert_eq!(
        unnamed.body["errors"][0]["source"]["pointer"],
        "/data/relationships/components/data/0/attributes/name"
    );

    // Per machine (default): another machine may reuse a component fingerprint.
    let reuse = activate_with(&server, id, "fp-5", vec![component("cpu-1", "CPU")]).await?;
    assert_eq!(reuse.status, 201, "{}", reuse.body);
    Ok(())
}

#[tokio::test]
async fn component_resource_crud() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let machine = server.activate(id, "fp-1").await?;
    let machine_id = machine.body["data"]["id"].as_str().unwrap().to_owned();

    let create = |fingerprint: &str| {
        json!({"data": {"type": "components",
            "attributes": {"fingerprint": fingerprint, "name": "GPU", "metadata": {"vendor": "x"}},
            "relationships": {"machine": {"data": {"type": "machines", "id": machine_id}}}}})
    };
    let created = server
        .admin("POST", "/v1/components", Some(create("gpu-1")))
        .await?;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.headers.get("location").is_some());
    let component_id = created.body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body["data"]["attributes"]["metadata"]["vendor"],
        "x"
    );
    assert_eq!(
        created.body["data"]["relationships"]["product"]["data"]["id"],
        license["relationships"]["product"]["data"]["id"]
    );

    let again = server
        .admin("POST", "/v1/components", Some(create("gpu-1")))
        .await?;
    assert_eq!(again.status, 422);
    assert_eq!(again.error_code(), Some("FINGERPRINT_TAKEN"));

    let no_machine = server
        .admin(
            "POST",
            "/v1/components",
            Some(json!({"data": {"type": "components", "attributes": {"fingerprint": "a", "name": "b"}}})),
        )
        .await?;
    assert_eq!(no_machine.status, 422);
    assert_eq!(no_machine.error_code(), Some("MACHINE_NOT_FOUND"));

    let updated = server
        .admin(
            "PATCH",
            &format!("/v1/components/{component_id}"),
            Some(json!({"data": {"type": "components", "attributes": {"name": "Graphics"}}})),
        )
        .await?;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["data"]["attributes"]["name"], "Graphics");
    let bad = server
        .admin(
            "PATCH",
            &format!("/v1/components/{component_id}"),
            Some(json!({"data": {"type": "components", "attributes": {"fingerprint": "z"}}})),
        )
        .await?;
    assert_eq!(bad.status, 400, "fingerprint is immutable: {}", bad.body);

    let shown = server
        .admin("GET", &format!("/v1/components/{component_id}"), None)
        .await?;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["data"]["attributes"]["fingerprint"], "gpu-1");

    // A license token reads its own components; an anonymous caller cannot.
    let anonymous = server
        .call("GET", &format!("/v1/components/{component_id}"), None, None)
        .await?;
    assert_eq!(anonymous.status, 401);

    let deleted = server
        .admin("DELETE", &format!("/v1/components/{component_id}"), None)
        .await?;
    assert_eq!(deleted.status, 204);
    let gone = server
        .admin("GET", &format!("/v1/components/{component_id}"), None)
        .await?;
    assert_eq!(gone.status, 404);
    Ok(())
}

#[tokio::test]
async fn component_uniqueness_strategies() -> anyhow::Result<()> {
    for (strategy, same_license_other_machine, other_license) in [
        ("UNIQUE_PER_MACHINE", true, true),
        ("UNIQUE_PER_LICENSE", false, true),
        ("UNIQUE_PER_POLICY", false, false),
        ("UNIQUE_PER_ACCOUNT", false, false),
    ] {
        let server = TestServer::start().await?;
        let license = server
            .license_with_policy(json!({"floating": true, "componentUniquenessStrategy": strategy}))
            .await?;
        let id = license["id"].as_str().unwrap();
        let first = activate_with(&server, id, "m-1", vec![component("cpu", "CPU")]).await?;
        assert_eq!(first.status, 201, "{strategy}: {}", first.body);
        let second = activate_with(&server, id, "m-2", vec![component("cpu", "CPU")]).await?;
        assert_eq!(
            second.status == 201,
            same_license_other_machine,
            "{strategy}: {}",
            second.body
        );
        if !same_license_other_machine {
            assert_eq!(second.error_code(), Some("COMPONENTS_FINGERPRINT_TAKEN"));
        }
        let policy = license["relationships"]["policy"]["data"]["id"].clone();
        let other = server
            .create(
                "/v1/licenses",
                json!({"data": {"type": "licenses", "relationships": {"policy": {"data": {"type": "policies", "id": policy}}}}}),
            )
            .await?;
        let third = activate_with(
            &server,
            other["id"].as_str().unwrap(),
            "m-3",
            vec![component("cpu", "CPU")],
        )
        .await?;
        assert_eq!(
            third.status == 201,
            other_license,
            "{strategy}: {}",
            third.body
        );
    }
    Ok(())
}

async fn scope(server: &TestServer, key: &str, components: &[&str]) -> anyhow::Result<String> {
    let reply = server
        .validate_key(
            key,
            json!({"fingerprint": "fp-1", "components": components}),
        )
        .await?;
    Ok(reply["meta"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn component_matching_strategies() -> anyhow::Result<()> {
    // 4 activated components; the scope sends the same minus `dropped` plus new ones.
    let new_disk = ["cpu-1", "board-1", "mac-1", "disk-2"];
    let two_match = ["cpu-1", "board-1", "x-1", "x-2"];
    let one_match = ["cpu-1", "x-1", "x-2", "x-3"];
    for (strategy, all, three_of_four, two_of_four, one_of_four) in [
        ("MATCH_ANY", true, true, true, true),
        ("MATCH_TWO", true, true, true, false),
        // Keygen's "most" is at least half, rounded up: 2 of 4 passes.
        ("MATCH_MOST", true, true, true, false),
        ("MATCH_ALL", true, false, false, false),
    ] {
        let server = TestServer::start().await?;
        let license = server
            .license_with_policy(json!({"floating": true, "componentMatchingStrategy": strategy}))
            .await?;
        let key = license["attributes"]["key"].as_str().unwrap();
        let machine =
            activate_with(&server, license["id"].as_str().unwrap(), "fp-1", hardware()).await?;
        assert_eq!(machine.status, 201, "{}", machine.body);
        let expect = |ok: bool| {
            if ok {
                "VALID"
            } else {
                "COMPONENTS_SCOPE_MISMATCH"
            }
        };
        let original = ["cpu-1", "board-1", "mac-1", "disk-1"];
        assert_eq!(
            scope(&server, key, &original).await?,
            expect(all),
            "{strategy}"
        );
        assert_eq!(
            scope(&server, key, &new_disk).await?,
            expect(three_of_four),
            "{strategy}"
        );
        assert_eq!(
            scope(&server, key, &two_match).await?,
            expect(two_of_four),
            "{strategy}"
        );
        assert_eq!(
            scope(&server, key, &one_match).await?,
            expect(one_of_four),
            "{strategy}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn changed_disk_keeps_validating_under_match_most() -> anyhow::Result<()> {
    // Seed 003: the user swapped a disk; CPU, board and MAC still match.
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(
            json!({"floating": false, "componentMatchingStrategy": "MATCH_MOST",
            "requireComponentsScope": true}),
        )
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    let machine =
        activate_with(&server, license["id"].as_str().unwrap(), "fp-1", hardware()).await?;
    assert_eq!(machine.status, 201, "{}", machine.body);

    let after_swap = server
        .validate_key(
            key,
            json!({"fingerprint": "fp-1", "components": ["cpu-1", "board-1", "mac-1", "disk-NEW"]}),
        )
        .await?;
    assert_eq!(after_swap["meta"]["code"], "VALID", "{after_swap}");
    assert_eq!(after_swap["meta"]["valid"], true);

    let other_pc = server
        .validate_key(
            key,
            json!({"fingerprint": "fp-1", "components": ["cpu-9", "board-9", "mac-1", "disk-NEW"]}),
        )
        .await?;
    assert_eq!(other_pc["meta"]["code"], "COMPONENTS_SCOPE_MISMATCH");

    let without = server
        .validate_key(key, json!({"fingerprint": "fp-1"}))
        .await?;
    assert_eq!(without["meta"]["code"], "COMPONENTS_SCOPE_REQUIRED");
    let empty = server
        .validate_key(key, json!({"fingerprint": "fp-1", "components": []}))
        .await?;
    assert_eq!(empty["meta"]["code"], "COMPONENTS_SCOPE_EMPTY");
    let no_fingerprint = server
        .validate_key(key, json!({"components": ["cpu-1"]}))
        .await?;
    assert_eq!(no_fingerprint["meta"]["code"], "FINGERPRINT_SCOPE_REQUIRED");
    Ok(())
}
