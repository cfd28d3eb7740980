//! Numbers at their limits never make a request fail: machine resource totals are
//! bounded at 2^53 (an activation that would pass it is refused with Keygen's
//! resource-limit code), every stored sum is read saturating, and limits, page
//! parameters, durations and timestamps at their edges answer 2xx or a JSON:API 4xx.

use futures::StreamExt;
use latchkey_testkit::{Reply, TestServer, machine_body};
use serde_json::{Value, json};

const TWO_53: i64 = 1 << 53;

/// `count` activations, 32 at a time; returns the replies.
async fn activate_many(
    server: &TestServer,
    license_id: &str,
    count: usize,
    resources: Value,
) -> anyhow::Result<Vec<Reply>> {
    futures::stream::iter(0..count)
        .map(|i| {
            let body = machine_body(license_id, &format!("fp-{i}"), resources.clone(), json!({}));
            async move { server.admin("POST", "/v1/machines", Some(body)).await }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Every read of the license (list, show, validation, check-out, machines) answers 200.
async fn reads_succeed(server: &TestServer, license: &Value) -> anyhow::Result<Value> {
    let id = license["id"].as_str().unwrap_or_default();
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    for path in [
        "/v1/licenses".to_owned(),
        format!(
            "/v1/licenses?limit=100&policy={}",
            license["relationships"]["policy"]["data"]["id"]
                .as_str()
                .unwrap_or_default()
        ),
        format!("/v1/licenses/{id}"),
        "/v1/machines?limit=100".to_owned(),
        format!("/v1/licenses/{id}/actions/validate"),
    ] {
        let reply = server.admin("GET", &path, None).await?;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
    }
    let checkout = server
        .admin(
            "POST",
            &format!("/v1/licenses/{id}/actions/check-out"),
            None,
        )
        .await?;
    assert_eq!(checkout.status, 200, "check-out: {}", checkout.body);
    let validation = server.validate_key(key, json!({})).await?;
    Ok(validation)
}

#[tokio::test]
async fn machine_resource_totals_never_pass_two_to_the_53() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": null}))
        .await?;
    let id = license["id"].as_str().unwrap_or_default().to_owned();
    let replies = activate_many(
        &server,
        &id,
        1024,
        json!({"cores": TWO_53, "memory": TWO_53, "disk": TWO_53}),
    )
    .await?;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "only the first machine fits under 2^53 cores");
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(
            (reply.status, reply.error_code()),
            (422, Some("MACHINE_CORE_LIMIT_EXCEEDED")),
            "{}",
            reply.body
        );
        assert_eq!(reply.body["errors"][0]["source"]["pointer"], "/data");
    }
    let validation = reads_succeed(&server, &license).await?;
    assert_eq!(validation["meta"]["valid"], true, "{validation}");
    let shown = server
        .admin("GET", &format!("/v1/licenses/{id}"), None)
        .await?;
    let machines_meta = &shown.body["data"]["relationships"]["machines"]["meta"];
    assert_eq!(machines_meta["cores"], TWO_53, "{}", shown.body);
    assert_eq!(
        validation["data"]["relationships"]["machines"]["meta"]["cores"],
        TWO_53
    );

    // One more core, memory byte or disk byte is refused; a machine declaring none fits.
    for (attribute, code) in [
        ("cores", "MACHINE_CORE_LIMIT_EXCEEDED"),
        ("memory", "MACHINE_MEMORY_LIMIT_EXCEEDED"),
        ("disk", "MACHINE_DISK_LIMIT_EXCEEDED"),
    ] {
        let reply = server
            .admin(
                "POST",
                "/v1/machines",
                Some(machine_body(
                    &id,
                    &format!("one-{attribute}"),
                    json!({attribute: 1}),
                    json!({}),
                )),
            )
            .await?;
        assert_eq!(
            (reply.status, reply.error_code()),
            (422, Some(code)),
            "{}",
            reply.body
        );
    }
    let bare = server.activate(&id, "no-resources").await?;
    assert_eq!(bare.status, 201, "{}", bare.body);
    // Growing an existing machine past the bound is refused the same way.
    let grow = server
        .admin(
            "PATCH",
            "/v1/machines/no-resources",
            Some(json!({"data": {"type": "machines", "attributes": {"cores": 1}}})),
        )
        .await?;
    assert_eq!(
        (grow.status, grow.error_code()),
        (422, Some("MACHINE_CORE_LIMIT_EXCEEDED")),
        "{}",
        grow.body
    );
    Ok(())
}

#[tokio::test]
async fn stored_totals_beyond_i64_are_read_saturated() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": null}))
        .await?;
    let id = license["id"].as_str().unwrap_or_default().to_owned();
    let replies = activate_many(&server, &id, 1024, json!({"cores": 1})).await?;
    assert!(replies.iter().all(|r| r.status == 201));
    // State written before totals were bounded: 1,024 × 2^53 = 2^63 > i64::MAX.
    let raised = server
        .db
        .execute(
            latchkey_store::sql(
                "UPDATE machines SET cores = $1, memory = $1, disk = $1 WHERE license_id = $2",
            )
            .bind(TWO_53)
            .bind(id.as_str()),
        )
        .await?;
    assert_eq!(raised, 1024);
    let validation = reads_succeed(&server, &license).await?;
    let meta = &validation["data"]["relationships"]["machines"]["meta"];
    assert_eq!(meta["count"], 1024, "{validation}");
    for attribute in ["cores", "memory", "disk"] {
        assert_eq!(
            meta[attribute], TWO_53,
            "{attribute} saturates: {validation}"
        );
    }
    let shown = server
        .admin("GET", &format!("/v1/licenses/{id}"), None)
        .await?;
    assert_eq!(
        shown.body["data"]["relationships"]["machines"]["meta"]["cores"],
        TWO_53
    );
    // Later activations are answered, not failed.
    let more = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(&id, "later", json!({"cores": 1}), json!({}))),
        )
        .await?;
    assert_eq!(
        (more.status, more.error_code()),
        (422, Some("MACHINE_CORE_LIMIT_EXCEEDED")),
        "{}",
        more.body
    );
    assert_eq!(server.activate(&id, "later-bare").await?.status, 201);
    Ok(())
}

fn assert_answered(reply: &Reply, what: &str) {
    assert!(
        reply.status < 500,
        "{what}: {} {}",
        reply.status,
        reply.body
    );
    if reply.status >= 400 {
        assert!(reply.body["errors"].is_array(), "{what}: {}", reply.body);
        assert!(
            reply.error_code().is_some() || reply.status == 400,
            "{what}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn limits_pages_durations_and_times_at_their_edges() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let product = server
        .create(
            "/v1/products",
            json!({"data": {"type": "products", "attributes": {"name": "App"}}}),
        )
        .await?;
    let policy_body = |attributes: Value| {
        let mut attributes = attributes;
        attributes["name"] = "Edge".into();
        json!({"data": {"type": "policies", "attributes": attributes,
            "relationships": {"product": {"data": {"type": "products", "id": product["id"]}}}}})
    };
    // Policy numbers: within range accepted, beyond refused with a pointer, never a 5xx.
    let edges: Vec<(&str, Value, u16)> = vec![
        ("maxMachines", json!(i32::MAX), 201),
        ("maxMachines", json!(i64::MAX), 422),
        ("maxMachines", json!(u64::MAX), 400),
        ("maxMachines", json!(-1), 422),
        ("maxCores", json!(i64::MIN), 422),
        ("maxMemory", json!(i64::MAX), 201),
        ("maxDisk", json!(TWO_53), 201),
        ("maxUses", json!(i32::MAX), 201),
        ("maxUses", json!(1.5), 400),
        ("maxProcesses", json!(i32::MAX), 201),
        ("duration", json!(i32::MAX), 201),
        ("duration", json!(i64::MAX), 422),
        ("duration", json!(9_223_372_036_854_775_808u64), 400),
        ("heartbeatDuration", json!(i32::MAX), 201),
    ];
    let mut long_policy = None;
    for (name, value, status) in edges {
        let reply = server
            .admin(
                "POST",
                "/v1/policies",
                Some(policy_body(json!({"floating": true, name: value.clone()}))),
            )
            .await?;
        assert_eq!(reply.status, status, "{name}={value}: {}", reply.body);
        assert_answered(&reply, &format!("{name}={value}"));
        if reply.status >= 400 {
            assert_eq!(
                reply.body["errors"][0]["source"]["pointer"],
                format!("/data/attributes/{name}"),
                "{name}={value}"
            );
        }
        if name == "duration" && status == 201 {
            long_policy = reply.body["data"]["id"].as_str().map(str::to_owned);
        }
    }
    for raw in ["1e400", "-1e400", "123456789012345678901234567890"] {
        let body = policy_body(json!({"floating": true, "maxMachines": "NUMBER"}))
            .to_string()
            .replace("\"NUMBER\"", raw);
        let reply = server
            .raw(
                "POST",
                "/v1/policies",
                &[("Authorization", &format!("Bearer {}", server.admin_token))],
                body.into_bytes(),
            )
            .await?;
        assert_eq!(reply.status, 400, "{raw}: {}", reply.body);
        assert_answered(&reply, raw);
    }

    // A license of the longest policy: expiry 68 years out; far-future expiries.
    let policy_id = long_policy.unwrap_or_default();
    let license = server
        .create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "attributes": {"maxMachines": i32::MAX, "maxCores": i32::MAX, "maxUses": i32::MAX, "maxMemory": i64::MAX},
                "relationships": {"policy": {"data": {"type": "policies", "id": policy_id}}}}}),
        )
        .await?;
    let id = license["id"].as_str().unwrap_or_default().to_owned();
    let key = license["attributes"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        license["attributes"]["expiry"]
            .as_str()
            .is_some_and(|e| e.starts_with("209")),
        "{license}"
    );
    for (name, value) in [
        ("maxMachines", i64::MAX),
        ("maxUses", i64::from(i32::MAX) + 1),
        ("maxCores", i64::MAX),
    ] {
        let reply = server
            .admin(
                "PATCH",
                &format!("/v1/licenses/{id}"),
                Some(json!({"data": {"type": "licenses", "attributes": {name: value}}})),
            )
            .await?;
        assert_eq!(reply.status, 422, "{name}={value}: {}", reply.body);
        assert_eq!(
            reply.body["errors"][0]["source"]["pointer"],
            format!("/data/attributes/{name}")
        );
    }
    let fits = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(
                &id,
                "big",
                json!({"memory": TWO_53, "cores": i32::MAX}),
                json!({}),
            )),
        )
        .await?;
    assert_eq!(fits.status, 201, "{}", fits.body);
    let over = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(&id, "bigger", json!({"memory": 1}), json!({}))),
        )
        .await?;
    assert_eq!(
        over.error_code(),
        Some("MACHINE_MEMORY_LIMIT_EXCEEDED"),
        "{}",
        over.body
    );
    assert!(
        over.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&TWO_53.to_string())),
        "the bound is the limit shown: {}",
        over.body
    );
    let cores_over = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(&id, "bigger", json!({"cores": 1}), json!({}))),
        )
        .await?;
    assert_eq!(
        cores_over.error_code(),
        Some("MACHINE_CORE_LIMIT_EXCEEDED"),
        "{}",
        cores_over.body
    );
    for expiry in [
        "9999-12-31T23:59:59Z",
        "+275760-09-13T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "-1",
    ] {
        let reply = server
            .admin(
                "PATCH",
                &format!("/v1/licenses/{id}"),
                Some(json!({"data": {"type": "licenses", "attributes": {"expiry": expiry}}})),
            )
            .await?;
        assert_answered(&reply, expiry);
        let validation = server
            .call(
                "POST",
                "/v1/licenses/actions/validate-key",
                None,
                Some(json!({"meta": {"key": key}})),
            )
            .await?;
        assert_eq!(validation.status, 200, "{expiry}: {}", validation.body);
        let shown = server
            .admin("GET", &format!("/v1/licenses/{id}"), None)
            .await?;
        assert_eq!(shown.status, 200, "{expiry}: {}", shown.body);
    }
    // Usage counter at its edges.
    for increment in [
        json!(i32::MAX),
        json!(i64::MAX),
        json!(-1),
        json!(u64::MAX),
        json!(1e300),
    ] {
        let reply = server
            .admin(
                "POST",
                &format!("/v1/licenses/{id}/actions/increment-usage"),
                Some(json!({"meta": {"increment": increment}})),
            )
            .await?;
        assert_answered(&reply, &format!("increment {increment}"));
        if increment == json!(i32::MAX) {
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert_eq!(reply.body["data"]["attributes"]["uses"], i32::MAX);
        } else if increment == json!(-1) {
            // A negative increment is accepted (as by Keygen) and stays above zero.
            assert_eq!(reply.status, 200, "{}", reply.body);
        } else {
            assert_eq!(reply.status, 400, "increment {increment}: {}", reply.body);
        }
    }
    // At maxUses (2^31-1): one more use is refused, one less is fine.
    for (action, member, expected) in [
        ("increment-usage", "increment", 200),
        ("increment-usage", "increment", 422),
        ("decrement-usage", "decrement", 200),
        ("increment-usage", "increment", 200),
        ("increment-usage", "increment", 422),
    ] {
        let reply = server
            .admin(
                "POST",
                &format!("/v1/licenses/{id}/actions/{action}"),
                Some(json!({"meta": {member: 1}})),
            )
            .await?;
        assert_eq!(reply.status, expected, "{action}: {}", reply.body);
        if expected == 422 {
            assert_eq!(reply.error_code(), Some("USES_LIMIT_EXCEEDED"));
        }
    }
    // Check-out ttl beyond any date.
    for ttl in [
        "9223372036854775807",
        "99999999999999999999",
        "-9223372036854775808",
        "3600",
    ] {
        let reply = server
            .admin(
                "GET",
                &format!("/v1/licenses/{id}/actions/check-out?ttl={ttl}"),
                None,
            )
            .await?;
        assert!(reply.status < 500, "ttl={ttl}: {}", reply.status);
    }
    // Page parameters.
    for query in [
        "limit=-1",
        "limit=0",
        "limit=101",
        "limit=99999999999999999999",
        "limit=9223372036854775807",
        "page[size]=-9223372036854775808&page[number]=1",
        "page[size]=100&page[number]=9223372036854775807",
        "page[number]=-1",
        "page[size]=1e9&page[number]=1",
        "page[cursor]=&page[size]=99999999999999999999",
    ] {
        let reply = server
            .admin("GET", &format!("/v1/licenses?{query}"), None)
            .await?;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_answered(&reply, query);
        assert!(
            reply.body["errors"][0]["source"]["parameter"].is_string(),
            "{query}: {}",
            reply.body
        );
    }
    let last = server
        .admin("GET", "/v1/licenses?page[size]=100&page[number]=100", None)
        .await?;
    assert_eq!(last.status, 200, "{}", last.body);
    // Machine resources past 2^53 or i64.
    for (value, status) in [
        (json!(TWO_53 + 1), 422),
        (json!(i64::MAX), 422),
        (json!(u64::MAX), 400),
        (json!(0), 422),
    ] {
        let reply = server
            .admin(
                "POST",
                "/v1/machines",
                Some(machine_body(
                    &id,
                    "edge",
                    json!({"memory": value.clone()}),
                    json!({}),
                )),
            )
            .await?;
        assert_eq!(reply.status, status, "memory {value}: {}", reply.body);
        assert_answered(&reply, &format!("memory {value}"));
    }
    Ok(())
}
