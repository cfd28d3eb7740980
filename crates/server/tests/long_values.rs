//! Identifiers at their accepted length limits (fingerprints and pids 4 KiB, license
//! keys 16 KiB) are stored and found on both backends: PostgreSQL's B-tree indexes
//! cannot hold such values, so its uniqueness uses an MD5 of them (migration 0003).

use latchkey_testkit::{TestServer, machine_body};
use serde_json::json;

/// Random text of `len` ASCII characters that does not compress.
fn incompressible(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(len);
    out
}

#[tokio::test]
async fn identifiers_at_their_length_limits_are_stored() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": null}))
        .await?;
    let id = license["id"].as_str().unwrap_or_default().to_owned();
    let policy_id = license["relationships"]["policy"]["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let fingerprint = incompressible(4096);
    let activated = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(&id, &fingerprint, json!({}), json!({}))),
        )
        .await?;
    assert_eq!(activated.status, 201, "{}", activated.body);
    let again = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(&id, &fingerprint, json!({}), json!({}))),
        )
        .await?;
    assert_eq!(
        again.error_code(),
        Some("FINGERPRINT_TAKEN"),
        "{}",
        again.body
    );
    let found = server
        .admin("GET", &format!("/v1/machines/{fingerprint}"), None)
        .await?;
    assert_eq!(found.status, 200, "{}", found.body);
    let machine_id = activated.body["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let machine_rel = json!({"machine": {"data": {"type": "machines", "id": machine_id}}});
    let pid = incompressible(4096);
    for expected in [201, 422] {
        let process = server
            .admin(
                "POST",
                "/v1/processes",
                Some(json!({"data": {"type": "processes", "attributes": {"pid": pid}, "relationships": machine_rel}})),
            )
            .await?;
        assert_eq!(process.status, expected, "{}", process.body);
    }
    let component_fingerprint = incompressible(4096);
    let component = server
        .admin(
            "POST",
            "/v1/components",
            Some(json!({"data": {"type": "components",
                "attributes": {"fingerprint": component_fingerprint, "name": "disk"},
                "relationships": machine_rel}})),
        )
        .await?;
    assert_eq!(component.status, 201, "{}", component.body);
    let key = incompressible(16 * 1024);
    let created = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(
                json!({"data": {"type": "licenses", "attributes": {"key": key},
                "relationships": {"policy": {"data": {"type": "policies", "id": policy_id}}}}}),
            ),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.body);
    let validation = server.validate_key(&key, json!({})).await?;
    assert_eq!(validation["data"]["id"], created.body["data"]["id"]);
    let too_long = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(
                &id,
                &incompressible(4097),
                json!({}),
                json!({}),
            )),
        )
        .await?;
    assert_eq!(too_long.status, 422, "{}", too_long.body);
    Ok(())
}
