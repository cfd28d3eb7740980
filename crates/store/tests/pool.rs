//! PostgreSQL pools ping a connection only when it was idle for a while (not before
//! every statement), so a connection the database dropped while it sat in the pool
//! must still be replaced, never handed to a request after that idle time: after the
//! database ends every session of the test, reads and relaxed writes succeed again on
//! new connections. Within it, a read on a lost connection is "busy" (a 503 to retry).

use latchkey_store::{Db, Durability, StoreError, sql};
use sqlx::Connection;
use std::time::Duration;

/// Runs `n` reads at once, so the pool holds several connections.
async fn reads(db: &Db, n: i64) -> anyhow::Result<()> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let db = db.clone();
        set.spawn(async move {
            let row: Option<(i64,)> = db
                .fetch_optional(sql("SELECT CAST($1 AS BIGINT) + 1").bind(i))
                .await?;
            anyhow::ensure!(row == Some((i + 1,)), "read {i} answered {row:?}");
            Ok(())
        });
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(())
}

async fn relaxed_write(db: &Db) -> anyhow::Result<()> {
    let row: Option<(i64,)> = db
        .write_returning(sql("SELECT CAST(7 AS BIGINT)"), Durability::Relaxed)
        .await?;
    anyhow::ensure!(row == Some((7,)), "relaxed statement answered {row:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_dropped_are_replaced() -> anyhow::Result<()> {
    if latchkey_testkit::backend_name() != "postgres" {
        eprintln!("PostgreSQL only: SQLite has no connections to lose");
        return Ok(());
    }
    let db = latchkey_testkit::fresh_db().await?;
    reads(&db, 8).await?;
    relaxed_write(&db).await?;
    // The test's sessions carry its schema as their application name.
    let (app,): (String,) = db
        .fetch_optional(sql("SELECT current_setting('application_name')"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no application name"))?;
    let url = std::env::var("LATCHKEY_TEST_POSTGRES_URL")?;
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    for round in 0..2 {
        let (ended,): (i64,) = sqlx::query_as(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
        )
        .bind(&app)
        .fetch_one(&mut admin)
        .await?;
        assert!(ended >= 2, "round {round}: ended {ended} sessions");
        // At once, a connection used within the idle time is taken unpinged: a
        // read may fail, and then as busy (503, retry), never as an internal error.
        for i in 0..4 {
            let read: Result<Option<(i64,)>, StoreError> = db
                .fetch_optional(sql("SELECT CAST($1 AS BIGINT)").bind(i))
                .await;
            match read {
                Ok(row) => assert_eq!(row, Some((i,))),
                Err(StoreError::Busy(_)) => {}
                Err(other) => panic!("round {round}: a lost connection gave {other:?}"),
            }
        }
        // Past the idle time after which a taken connection is pinged first.
        tokio::time::sleep(Duration::from_millis(700)).await;
        reads(&db, 8).await?;
        relaxed_write(&db).await?;
    }
    admin.close().await?;
    Ok(())
}
