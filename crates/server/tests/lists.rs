//! Pagination (limit, offset pages with links, cursors, order) and list filters.

use latchkey_testkit::TestServer;
use serde_json::json;

#[tokio::test]
async fn pagination_and_filters() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let first = server.license_with_policy(json!({})).await?;
    let policy = first["relationships"]["policy"]["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut created = vec![first["id"].as_str().unwrap().to_owned()];
    for n in 0..4 {
        server.clock.advance(time::Duration::seconds(1));
        let license = server
            .create("/v1/licenses", json!({"data": {"type": "licenses",
                "attributes": {"name": format!("n{n}"), "metadata": {"tier": if n % 2 == 0 { "gold" } else { "silver" }, "seats": n}},
                "relationships": {"policy": {"data": {"type": "policies", "id": policy}}}}}))
            .await?;
        created.push(license["id"].as_str().unwrap().to_owned());
    }
    server.clock.advance(time::Duration::seconds(1));
    let other = server.license_with_policy(json!({})).await?;

    let all = server.admin("GET", "/v1/licenses?limit=100", None).await?;
    assert_eq!(all.ids().len(), 6);
    assert_eq!(
        all.ids()[0],
        other["id"].as_str().unwrap(),
        "newest first by default"
    );

    let by_policy = server
        .admin(
            "GET",
            &format!("/v1/licenses?policy={policy}&order=asc"),
            None,
        )
        .await?;
    assert_eq!(by_policy.ids(), created);

    let page = server
        .admin(
            "GET",
            &format!("/v1/licenses?policy={policy}&order=asc&page[number]=2&page[size]=2"),
            None,
        )
        .await?;
    assert_eq!(page.ids(), created[2..4].to_vec());
    assert_eq!(page.body["links"]["meta"], json!({"pages": 3, "count": 5}));
    assert!(
        page.body["links"]["next"]
            .as_str()
            .unwrap()
            .contains("page%5Bnumber%5D=3")
    );

    let cursor = server
        .admin(
            "GET",
            &format!(
                "/v1/licenses?policy={policy}&order=asc&page[cursor]={}&page[size]=10",
                created[1]
            ),
            None,
        )
        .await?;
    assert_eq!(cursor.ids(), created[2..].to_vec());

    let gold = server
        .admin("GET", "/v1/licenses?metadata[tier]=gold", None)
        .await?;
    assert_eq!(gold.ids(), vec![created[3].clone(), created[1].clone()]);
    let seats = server
        .admin("GET", "/v1/licenses?metadata[seats]=3", None)
        .await?;
    assert_eq!(seats.ids(), vec![created[4].clone()]);

    let suspend = server
        .admin(
            "PATCH",
            &format!("/v1/licenses/{}", created[0]),
            Some(json!({"data": {"type": "licenses", "attributes": {"suspended": true}}})),
        )
        .await?;
    assert_eq!(suspend.body["data"]["attributes"]["status"], "SUSPENDED");
    let suspended = server
        .admin("GET", "/v1/licenses?status=SUSPENDED", None)
        .await?;
    assert_eq!(suspended.ids(), vec![created[0].clone()]);
    let active = server
        .admin("GET", "/v1/licenses?status=active&limit=100", None)
        .await?;
    assert_eq!(active.ids().len(), 5);

    server.activate(&created[2], "fp").await?;
    let by_machine = server.admin("GET", "/v1/licenses?machine=fp", None).await?;
    assert_eq!(by_machine.ids(), vec![created[2].clone()]);
    let machines = server
        .admin("GET", &format!("/v1/machines?license={}", created[2]), None)
        .await?;
    assert_eq!(machines.ids().len(), 1);
    let policies = server
        .admin(
            "GET",
            &format!(
                "/v1/policies?product={}",
                other["relationships"]["product"]["data"]["id"]
                    .as_str()
                    .unwrap()
            ),
            None,
        )
        .await?;
    assert_eq!(
        policies.ids(),
        vec![
            other["relationships"]["policy"]["data"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        ]
    );
    Ok(())
}

#[tokio::test]
async fn expiry_activity_and_activation_filters() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let first = server
        .license_with_policy(json!({"floating": true, "maxMachines": 5}))
        .await?;
    let policy = first["relationships"]["policy"]["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .admin(
            "DELETE",
            &format!("/v1/licenses/{}", first["id"].as_str().unwrap()),
            None,
        )
        .await?;
    let make = |expiry: Option<&'static str>| {
        let server = &server;
        let policy = policy.clone();
        async move {
            let mut data = json!({"type": "licenses",
                "relationships": {"policy": {"data": {"type": "policies", "id": policy}}}});
            if let Some(expiry) = expiry {
                data["attributes"] = json!({ "expiry": expiry });
            }
            let license = server
                .create("/v1/licenses", json!({ "data": data }))
                .await?;
            anyhow::Ok(license["id"].as_str().unwrap_or_default().to_owned())
        }
    };
    let a = make(Some("2026-01-02T12:00:00.000Z")).await?;
    let b = make(Some("2026-01-11T12:00:00.000Z")).await?;
    let c = make(None).await?;
    for fingerprint in ["fp-1", "fp-2"] {
        assert_eq!(server.activate(&c, fingerprint).await?.status, 201);
    }
    let list = |query: &'static str| {
        let server = &server;
        async move {
            let reply = server
                .admin("GET", &format!("/v1/licenses?{query}"), None)
                .await?;
            anyhow::ensure!(
                reply.status == 200,
                "{query}: {} {}",
                reply.status,
                reply.body
            );
            let mut found = reply.ids();
            found.sort();
            anyhow::Ok(found)
        }
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<String>>()
    };
    assert_eq!(list("expires[within]=P2D").await?, sorted(vec![&a]));
    assert_eq!(list("expires[within]=864000").await?, sorted(vec![&a, &b]));
    assert_eq!(list("expires[in]=P10D").await?, sorted(vec![&b]));
    assert_eq!(
        list("expires[before]=2026-01-05T00:00:00Z").await?,
        sorted(vec![&a])
    );
    assert_eq!(list("expires[after]=1767657600").await?, sorted(vec![&b]));
    assert_eq!(
        list("expires[on]=2026-01-02T00:00:00Z").await?,
        sorted(vec![&a])
    );
    assert_eq!(list("activations[eq]=2").await?, sorted(vec![&c]));
    assert_eq!(list("activations[lt]=1").await?, sorted(vec![&a, &b]));
    assert_eq!(
        list("activations[gte]=1&activations[lte]=2").await?,
        sorted(vec![&c])
    );
    assert_eq!(
        list("activity[inside]=P1D").await?,
        sorted(vec![&a, &b, &c])
    );

    // 100 days later only C is checked out (a synchronous activity write).
    server.clock.advance(time::Duration::days(100));
    let reply = server
        .admin("POST", &format!("/v1/licenses/{c}/actions/check-out"), None)
        .await?;
    assert_eq!(reply.status, 200);
    assert_eq!(list("activity[inside]=P1D").await?, sorted(vec![&c]));
    assert_eq!(list("activity[outside]=P1D").await?, sorted(vec![&a, &b]));
    assert_eq!(
        list("activity[before]=2026-04-01T00:00:00Z").await?,
        sorted(vec![&a, &b])
    );
    assert_eq!(
        list("activity[after]=2026-04-01T00:00:00Z").await?,
        sorted(vec![&c])
    );

    for (query, parameter) in [
        ("expires[soon]=1", "expires[soon]"),
        ("expires[within]=abc", "expires[within]"),
        ("activity[inside]=P1X", "activity[inside]"),
        ("activations[eq]=-1", "activations[eq]"),
        ("activations[most]=1", "activations[most]"),
    ] {
        let reply = server
            .admin("GET", &format!("/v1/licenses?{query}"), None)
            .await?;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(
            reply.body["errors"][0]["source"]["parameter"], parameter,
            "{query}"
        );
    }
    Ok(())
}
