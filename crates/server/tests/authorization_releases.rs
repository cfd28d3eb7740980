//! Who may use the artifact routes (issue 14), for every bearer of the testkit's cast:
//! each staff role, the product and another product, the license's owner and another
//! user, the license itself. A denial is 401/403/404, never a 5xx.
#![allow(clippy::expect_used)]

use latchkey_testkit::cast::{Cast, Who};
use serde_json::json;

mod release_support;
use release_support::*;

#[tokio::test]
async fn artifact_routes_matrix() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let cast = Cast::new(&server).await?;
    let release = release(&server, &cast.product, "1.0.0", "stable").await?;
    let artifact = artifact(&server, &release, "a.bin", b"bytes").await?;
    publish(&server, &release).await?;

    let patch = json!({"data": {"type": "artifacts", "attributes": {"signature": "c2ln"}}});
    let writers = vec![Who::Admin, Who::Developer, Who::Product];
    let readers = vec![
        Who::Admin,
        Who::Developer,
        Who::Sales,
        Who::Support,
        Who::ReadOnly,
        Who::Product,
        Who::Owner,
        Who::License,
    ];
    for (method, path, body, expected) in [
        (
            "PATCH",
            format!("/v1/artifacts/{artifact}"),
            Some(patch),
            writers,
        ),
        (
            "GET",
            format!("/v1/artifacts/{artifact}"),
            None,
            readers.clone(),
        ),
        (
            "GET",
            format!("/v1/releases/{release}/artifact"),
            None,
            readers,
        ),
    ] {
        let allowed = cast.allowed(&server, method, &path, body).await?;
        assert_eq!(allowed, expected, "{method} {path}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
