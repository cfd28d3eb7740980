//! Several fingerprints in `meta.scope.fingerprints`, matched by the policy's
//! machineMatchingStrategy (MATCH_ANY / MATCH_TWO / MATCH_MOST / MATCH_ALL).

use latchkey_testkit::TestServer;
use serde_json::json;

async fn code(server: &TestServer, key: &str, fingerprints: &[&str]) -> anyhow::Result<String> {
    let reply = server
        .validate_key(key, json!({"fingerprints": fingerprints}))
        .await?;
    Ok(reply["meta"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn machine_matching_strategies() -> anyhow::Result<()> {
    // Machines fp-1..fp-4 are activated; each scope lists some of them plus strangers.
    let cases: [(&[&str], [bool; 4]); 5] = [
        // (scope, [ANY, TWO, MOST, ALL])
        (&["fp-1", "fp-2", "fp-3"], [true, true, true, true]),
        (&["fp-1", "fp-2", "fp-3", "x"], [true, true, true, false]),
        (&["fp-1", "fp-2", "x", "y"], [true, true, true, false]),
        (&["fp-1", "x", "y"], [true, false, false, false]),
        (&["x", "y"], [false, false, false, false]),
    ];
    for (index, strategy) in ["MATCH_ANY", "MATCH_TWO", "MATCH_MOST", "MATCH_ALL"]
        .into_iter()
        .enumerate()
    {
        let server = TestServer::start().await?;
        let license = server
            .license_with_policy(
                json!({"floating": true, "maxMachines": 10, "machineMatchingStrategy": strategy}),
            )
            .await?;
        let key = license["attributes"]["key"].as_str().unwrap();
        let id = license["id"].as_str().unwrap();
        let none = code(&server, key, &["fp-1", "fp-2"]).await?;
        assert_eq!(none, "NO_MACHINES", "{strategy}");
        for fp in ["fp-1", "fp-2", "fp-3", "fp-4"] {
            assert_eq!(server.activate(id, fp).await?.status, 201);
        }
        for (scope, expected) in &cases {
            let want = if expected[index] {
                "VALID"
            } else {
                "FINGERPRINT_SCOPE_MISMATCH"
            };
            assert_eq!(
                code(&server, key, scope).await?,
                want,
                "{strategy} {scope:?}"
            );
        }
        let reply = server
            .validate_key(key, json!({"fingerprints": ["x", "y"]}))
            .await?;
        assert_eq!(
            reply["meta"]["detail"],
            "one or more fingerprint is not activated (does not match enough associated machines)"
        );
        assert_eq!(code(&server, key, &[]).await?, "FINGERPRINT_SCOPE_EMPTY");
    }
    Ok(())
}

#[tokio::test]
async fn fingerprints_with_required_scope_and_single_fingerprint() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "requireFingerprintScope": true}))
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    let id = license["id"].as_str().unwrap();
    assert_eq!(server.activate(id, "fp-1").await?.status, 201);
    let unscoped = server.validate_key(key, json!({})).await?;
    assert_eq!(unscoped["meta"]["code"], "FINGERPRINT_SCOPE_REQUIRED");
    // The plural form satisfies the requirement.
    assert_eq!(code(&server, key, &["fp-1", "fp-9"]).await?, "VALID");
    let single = server
        .validate_key(key, json!({"fingerprint": "fp-9"}))
        .await?;
    assert_eq!(single["meta"]["code"], "FINGERPRINT_SCOPE_MISMATCH");
    assert_eq!(
        single["meta"]["detail"],
        "fingerprint is not activated (does not match any associated machines)"
    );
    Ok(())
}

#[tokio::test]
async fn per_user_leasing_counts_the_owners_machines() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut ids = Vec::new();
    for email in ["ann@example.com", "bob@example.com"] {
        let user = server
            .create(
                "/v1/users",
                json!({"data": {"type": "users", "attributes": {"email": email}}}),
            )
            .await?;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    let template = server
        .license_with_policy(
            json!({"floating": true, "maxMachines": 1, "machineLeasingStrategy": "PER_USER"}),
        )
        .await?;
    let policy = template["relationships"]["policy"]["data"]["id"].clone();
    let license = server
        .create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "relationships": {
                "policy": {"data": {"type": "policies", "id": policy}},
                "owner": {"data": {"type": "users", "id": ids[0]}}}}}),
        )
        .await?;
    let license_id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();
    let activate = |fingerprint: &str, owner: Option<&str>| {
        let mut body = json!({"data": {"type": "machines", "attributes": {"fingerprint": fingerprint},
            "relationships": {"license": {"data": {"type": "licenses", "id": license_id}}}}});
        if let Some(owner) = owner {
            body["data"]["relationships"]["owner"] =
                json!({"data": {"type": "users", "id": owner}});
        }
        server.admin("POST", "/v1/machines", Some(body))
    };
    let first = activate("fp-1", Some(&ids[0])).await?;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        first.body["data"]["relationships"]["owner"]["data"]["id"],
        ids[0].as_str()
    );
    let second = activate("fp-2", Some(&ids[0])).await?;
    assert_eq!(second.status, 422, "{}", second.body);
    assert_eq!(second.error_code(), Some("MACHINE_LIMIT_EXCEEDED"));
    assert_eq!(
        second.body["errors"][0]["detail"],
        "machine count has exceeded maximum allowed for user (1)"
    );
    // Bob is not a user of the license.
    let stranger = activate("fp-3", Some(&ids[1])).await?;
    assert_eq!(stranger.status, 422);
    assert_eq!(stranger.error_code(), Some("OWNER_INVALID"));

    // User scope on machines: the machine belongs to Ann.
    let ann = server
        .validate_key(key, json!({"fingerprint": "fp-1", "user": ids[0]}))
        .await?;
    assert_eq!(ann["meta"]["code"], "VALID", "{ann}");
    let bob = server
        .validate_key(key, json!({"fingerprint": "fp-1", "user": ids[1]}))
        .await?;
    assert_eq!(bob["meta"]["code"], "USER_SCOPE_MISMATCH", "{bob}");

    // Moving the machine away from Ann frees her slot; moving it back is refused.
    let machine_id = first.body["data"]["id"].as_str().unwrap().to_owned();
    let owner_path = format!("/v1/machines/{machine_id}/owner");
    let shown = server.admin("GET", &owner_path, None).await?;
    assert_eq!(shown.body["data"]["id"], ids[0].as_str());
    let cleared = server
        .admin("PUT", &owner_path, Some(json!({"data": null})))
        .await?;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert!(cleared.body["data"]["relationships"]["owner"]["data"].is_null());
    let again = activate("fp-2", Some(&ids[0])).await?;
    assert_eq!(again.status, 201, "{}", again.body);
    let back = server
        .admin(
            "PUT",
            &owner_path,
            Some(json!({"data": {"type": "users", "id": ids[0]}})),
        )
        .await?;
    assert_eq!(back.status, 422, "{}", back.body);
    assert_eq!(back.error_code(), Some("MACHINE_LIMIT_EXCEEDED"));
    let foreign = server
        .admin(
            "PUT",
            &owner_path,
            Some(json!({"data": {"type": "users", "id": ids[1]}})),
        )
        .await?;
    assert_eq!(foreign.error_code(), Some("OWNER_INVALID"));
    Ok(())
}

#[tokio::test]
async fn fingerprint_taken_names_its_uniqueness_scope() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let policy = json!({"floating": true, "maxMachines": 5,
        "machineUniquenessStrategy": "UNIQUE_PER_ACCOUNT"});
    let first = server.license_with_policy(policy.clone()).await?;
    let second = server.license_with_policy(policy).await?;
    let id = |l: &serde_json::Value| l["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(server.activate(&id(&first), "shared").await?.status, 201);
    let taken = server.activate(&id(&second), "shared").await?;
    assert_eq!(
        taken.error_code(),
        Some("FINGERPRINT_TAKEN"),
        "{}",
        taken.body
    );
    assert_eq!(
        taken.body["errors"][0]["detail"],
        "has already been taken for this account"
    );
    assert_eq!(
        taken.body["errors"][0]["source"]["pointer"],
        "/data/attributes/fingerprint"
    );
    Ok(())
}
