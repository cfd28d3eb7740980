//! Pagination (limit, offset pages with links, cursors, order) and list filters.

use latchkey_testkit::TestServer;
use serde_json::json;

fn ids(reply: &latchkey_testkit::Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

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
    assert_eq!(ids(&all).len(), 6);
    assert_eq!(
        ids(&all)[0],
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
    assert_eq!(ids(&by_policy), created);

    let page = server
        .admin(
            "GET",
            &format!("/v1/licenses?policy={policy}&order=asc&page[number]=2&page[size]=2"),
            None,
        )
        .await?;
    assert_eq!(ids(&page), created[2..4].to_vec());
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
    assert_eq!(ids(&cursor), created[2..].to_vec());

    let gold = server
        .admin("GET", "/v1/licenses?metadata[tier]=gold", None)
        .await?;
    assert_eq!(ids(&gold), vec![created[3].clone(), created[1].clone()]);
    let seats = server
        .admin("GET", "/v1/licenses?metadata[seats]=3", None)
        .await?;
    assert_eq!(ids(&seats), vec![created[4].clone()]);

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
    assert_eq!(ids(&suspended), vec![created[0].clone()]);
    let active = server
        .admin("GET", "/v1/licenses?status=active&limit=100", None)
        .await?;
    assert_eq!(ids(&active).len(), 5);

    server.activate(&created[2], "fp").await?;
    let by_machine = server.admin("GET", "/v1/licenses?machine=fp", None).await?;
    assert_eq!(ids(&by_machine), vec![created[2].clone()]);
    let machines = server
        .admin("GET", &format!("/v1/machines?license={}", created[2]), None)
        .await?;
    assert_eq!(ids(&machines).len(), 1);
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
        ids(&policies),
        vec![
            other["relationships"]["policy"]["data"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        ]
    );
    Ok(())
}
