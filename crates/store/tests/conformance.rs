//! The storage story, run on whichever backend `LATCHKEY_TEST_DATABASE` selects:
//! the same SQL text must behave identically on SQLite and PostgreSQL.

use latchkey_core::activation::Limits;
use latchkey_core::policy::{OverageStrategy, UniquenessStrategy};
use latchkey_store::crud::{self, Filter};
use latchkey_store::machines::{ActivationError, ActivationRules, MachineRow};
use latchkey_store::page::{Order, Page};
use latchkey_store::products::ProductRow;
use latchkey_store::{StoreError, sql};

fn product(account: &str, n: i64, code: Option<&str>) -> ProductRow {
    ProductRow {
        id: latchkey_store::new_id(),
        account_id: account.into(),
        name: format!("Product {n}"),
        code: code.map(str::to_owned),
        distribution_strategy: "LICENSED".into(),
        url: None,
        platforms: "[]".into(),
        metadata: "{}".into(),
        created_at: 1_000 + n,
        updated_at: 1_000 + n,
    }
}

async fn account(db: &latchkey_store::Db, slug: &str) -> anyhow::Result<String> {
    let id = latchkey_store::new_id();
    let mut tx = db.begin().await?;
    let row = latchkey_store::accounts::AccountRow {
        id: id.clone(),
        slug: slug.into(),
        name: slug.into(),
        protected: false,
        ed25519_public: "x".into(),
        ed25519_private: "x".into(),
        ecdsa_public: "x".into(),
        ecdsa_private: "x".into(),
        rsa_public: "x".into(),
        rsa_private: "x".into(),
        created_at: 1,
        updated_at: 1,
    };
    latchkey_store::accounts::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(id)
}

#[tokio::test]
async fn crud_pagination_conflicts_and_rollback() -> anyhow::Result<()> {
    let db = latchkey_testkit::fresh_db().await?;
    let acme = account(&db, "acme").await?;
    let other = account(&db, "other").await?;
    let mut tx = db.begin().await?;
    for n in 0..5 {
        latchkey_store::products::insert(&mut tx, &product(&acme, n, None)).await?;
    }
    latchkey_store::products::insert(&mut tx, &product(&other, 9, None)).await?;
    tx.commit().await?;

    let (desc, _) = crud::list::<ProductRow>(
        &db,
        "products",
        latchkey_store::products::COLUMNS,
        &acme,
        vec![],
        &Page::Limit(3),
        Order::Desc,
    )
    .await?;
    assert_eq!(
        desc.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Product 4", "Product 3", "Product 2"]
    );
    let (page2, count) = crud::list::<ProductRow>(
        &db,
        "products",
        latchkey_store::products::COLUMNS,
        &acme,
        vec![],
        &Page::Offset { number: 2, size: 2 },
        Order::Asc,
    )
    .await?;
    assert_eq!(count, Some(5));
    assert_eq!(
        page2.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Product 2", "Product 3"]
    );
    let after = Page::Cursor {
        after: Some(page2[1].id.clone()),
        size: 10,
    };
    let (rest, _) = crud::list::<ProductRow>(
        &db,
        "products",
        latchkey_store::products::COLUMNS,
        &acme,
        vec![],
        &after,
        Order::Asc,
    )
    .await?;
    assert_eq!(rest.len(), 1);
    let filtered = vec![Filter::eq("name", "Product 1")];
    let (one, _) = crud::list::<ProductRow>(
        &db,
        "products",
        latchkey_store::products::COLUMNS,
        &acme,
        filtered,
        &Page::Limit(10),
        Order::Desc,
    )
    .await?;
    assert_eq!(one.len(), 1);
    assert!(
        crud::find::<ProductRow>(
            &db,
            "products",
            latchkey_store::products::COLUMNS,
            &other,
            &one[0].id
        )
        .await?
        .is_none()
    );

    // A unique violation is a Conflict, and the failed transaction leaves nothing behind.
    let mut tx = db.begin().await?;
    latchkey_store::products::insert(&mut tx, &product(&acme, 10, Some("dup"))).await?;
    let clash = latchkey_store::products::insert(&mut tx, &product(&acme, 11, Some("dup"))).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    drop(tx);
    let left: Option<(i64,)> = db
        .fetch_optional(sql("SELECT COUNT(*) FROM products WHERE code = $1").bind("dup"))
        .await?;
    assert_eq!(left.map(|c| c.0), Some(0));
    Ok(())
}

#[tokio::test]
async fn activation_transaction_enforces_limits() -> anyhow::Result<()> {
    let db = latchkey_testkit::fresh_db().await?;
    let acme = account(&db, "acme").await?;
    let product = product(&acme, 1, None);
    let mut tx = db.begin().await?;
    latchkey_store::products::insert(&mut tx, &product).await?;
    let policy_id = latchkey_store::new_id();
    tx.execute(sql("INSERT INTO policies (id, account_id, product_id, name, strict, floating, use_pool, machine_uniqueness_strategy, machine_matching_strategy, component_uniqueness_strategy, component_matching_strategy, expiration_strategy, expiration_basis, renewal_basis, transfer_strategy, authentication_strategy, machine_leasing_strategy, process_leasing_strategy, overage_strategy, encrypted, protected, require_product_scope, require_policy_scope, require_machine_scope, require_fingerprint_scope, require_components_scope, require_user_scope, require_checksum_scope, require_version_scope, require_check_in, require_heartbeat, heartbeat_cull_strategy, heartbeat_resurrection_strategy, heartbeat_basis, created_at, updated_at) VALUES ($1, $2, $3, 'p', FALSE, TRUE, FALSE, 'UNIQUE_PER_LICENSE', 'MATCH_ANY', 'UNIQUE_PER_MACHINE', 'MATCH_ANY', 'RESTRICT_ACCESS', 'FROM_CREATION', 'FROM_EXPIRY', 'KEEP_EXPIRY', 'TOKEN', 'PER_LICENSE', 'PER_MACHINE', 'NO_OVERAGE', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 'DEACTIVATE_DEAD', 'NO_REVIVE', 'FROM_FIRST_PING', 1, 1)")
        .bind(&policy_id).bind(&acme).bind(&product.id)).await?;
    let license_id = latchkey_store::new_id();
    tx.execute(sql("INSERT INTO licenses (id, account_id, product_id, policy_id, key, suspended, uses, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, 'KEY-123456', FALSE, 0, '{}', 1, 1)")
        .bind(&license_id).bind(&acme).bind(&product.id).bind(&policy_id)).await?;
    tx.commit().await?;

    let rules = ActivationRules {
        limits: Limits {
            max_machines: Some(2),
            max_cores: Some(4),
            max_memory: None,
            max_disk: None,
            overage: OverageStrategy::NoOverage,
            per_user: false,
        },
        uniqueness: UniquenessStrategy::PerLicense,
        policy_id,
        product_id: product.id.clone(),
        activation_token: None,
    };
    let machine = |fp: &str, cores: i64| MachineRow {
        id: latchkey_store::new_id(),
        account_id: acme.clone(),
        license_id: license_id.clone(),
        owner_id: None,
        group_id: None,
        fingerprint: fp.into(),
        name: None,
        ip: None,
        hostname: None,
        platform: None,
        cores: Some(cores),
        memory: None,
        disk: None,
        max_processes: None,
        last_heartbeat_at: None,
        last_check_out_at: None,
        metadata: "{}".into(),
        created_at: 5,
        updated_at: 5,
        last_death_event_at: None,
        heartbeat_resurrected_at: None,
    };
    latchkey_store::machines::activate(&db, &machine("a", 2), &rules)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert!(matches!(
        latchkey_store::machines::activate(&db, &machine("a", 1), &rules).await,
        Err(ActivationError::FingerprintTaken)
    ));
    assert!(matches!(
        latchkey_store::machines::activate(&db, &machine("b", 3), &rules).await,
        Err(ActivationError::Limit(_))
    ));
    latchkey_store::machines::activate(&db, &machine("b", 2), &rules)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert!(matches!(
        latchkey_store::machines::activate(&db, &machine("c", 0), &rules).await,
        Err(ActivationError::Limit(_))
    ));
    assert_eq!(
        latchkey_store::machines::for_license(&db, &license_id)
            .await?
            .len(),
        2
    );
    Ok(())
}

#[test]
fn migration_folders_cannot_drift() -> anyhow::Result<()> {
    let names = |dir: &str| -> anyhow::Result<Vec<String>> {
        let mut names: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))?
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<Result<_, _>>()?;
        names.sort();
        Ok(names)
    };
    let sqlite = names("sqlite")?;
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names("postgres")?,
        "every migration exists for both engines under the same name"
    );
    Ok(())
}

#[tokio::test]
async fn insert_many_spans_statements_and_keeps_every_value() -> anyhow::Result<()> {
    use latchkey_store::request_logs::{RequestLogRow, insert_batch};
    let db = latchkey_testkit::fresh_db().await?;
    let acme = account(&db, "acme").await?;
    // More rows than one statement holds, so the batch spans several statements;
    // NULLs, NUL-free Unicode and i64 limits survive.
    let rows: Vec<RequestLogRow> = (0..250_i64)
        .map(|n| RequestLogRow {
            id: format!("00000000-0000-4000-8000-{n:012}"),
            account_id: acme.clone(),
            request_id: format!("req-{n}"),
            method: "GET".into(),
            url: format!("/v1/ping?n={n}&é=✓"),
            status: 200,
            ip: (n % 2 == 0).then(|| "127.0.0.1".to_owned()),
            user_agent: None,
            requestor_type: None,
            requestor_id: None,
            resource_type: None,
            resource_id: None,
            duration_ms: if n == 0 { i64::MAX } else { n },
            created_at: n,
            updated_at: i64::MIN + n,
            request_body: None,
            response_body: Some(format!("{{\"n\":{n}}}")),
        })
        .collect();
    insert_batch(&db, &rows).await?;
    let stored: Vec<RequestLogRow> = db
        .fetch_all(latchkey_store::sql(format!(
            "SELECT {} FROM request_logs ORDER BY id",
            latchkey_store::request_logs::COLUMNS
        )))
        .await?;
    assert_eq!(stored, rows);
    Ok(())
}

#[tokio::test]
async fn optimize_refreshes_statistics_taken_while_a_table_was_empty() -> anyhow::Result<()> {
    use latchkey_store::request_logs::{RequestLogRow, insert_batch};
    let db = latchkey_testkit::fresh_db().await?;
    if db.backend() != latchkey_store::Backend::Sqlite {
        // PostgreSQL's autovacuum keeps statistics; optimize does nothing there.
        latchkey_store::retention::optimize(&db).await?;
        return Ok(());
    }
    let acme = account(&db, "acme").await?;
    db.execute(latchkey_store::sql("ANALYZE")).await?;
    let rows: Vec<RequestLogRow> = (0..3_000_i64)
        .map(|n| RequestLogRow {
            id: latchkey_store::ordered_id(n),
            account_id: acme.clone(),
            request_id: format!("req-{n}"),
            method: "GET".into(),
            url: "/v1/ping".into(),
            status: 200,
            ip: None,
            user_agent: None,
            requestor_type: None,
            requestor_id: None,
            resource_type: None,
            resource_id: None,
            duration_ms: 1,
            created_at: n,
            updated_at: n,
            request_body: None,
            response_body: None,
        })
        .collect();
    insert_batch(&db, &rows).await?;
    let rows_in_stats = |db: latchkey_store::Db| async move {
        let stat: Option<(String,)> = db
            .fetch_optional(latchkey_store::sql(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'request_logs' AND idx = 'request_logs_created'",
            ))
            .await?;
        anyhow::Ok(
            stat.and_then(|(s,)| s.split(' ').next().and_then(|n| n.parse::<i64>().ok()))
                .unwrap_or(0),
        )
    };
    assert!(
        rows_in_stats(db.clone()).await? < 10,
        "stale statistics to start from"
    );
    latchkey_store::retention::optimize(&db).await?;
    assert!(
        rows_in_stats(db.clone()).await? >= 1_000,
        "optimize re-analyzed the table"
    );
    Ok(())
}

/// Event logs leave with the transaction that records them: a committed change's
/// logs are listed at once (the list waits for the batched writer), a rolled-back
/// change's never, and many queued at once all arrive once flushed.
#[tokio::test]
async fn event_logs_follow_commits_only() -> anyhow::Result<()> {
    use latchkey_store::event_logs::{self, EventLogQuery};
    let db = latchkey_testkit::fresh_db().await?;
    let acme = account(&db, "acme").await?;
    let kept = product(&acme, 1, None);
    let dropped = product(&acme, 2, None);
    let mut tx = db.begin().await?;
    latchkey_store::products::insert(&mut tx, &kept).await?;
    latchkey_store::outbox::emit(&mut tx, "product.created", &kept, 10).await?;
    tx.commit().await?;
    let mut tx = db.begin().await?;
    latchkey_store::products::insert(&mut tx, &dropped).await?;
    latchkey_store::outbox::emit(&mut tx, "product.created", &dropped, 11).await?;
    tx.rollback().await?;
    let mut tx = db.begin().await?;
    latchkey_store::outbox::emit(&mut tx, "product.updated", &dropped, 12).await?;
    drop(tx);
    let (rows, _) = event_logs::list(
        &db,
        &acme,
        &EventLogQuery::default(),
        &Page::Limit(100),
        Order::Asc,
    )
    .await?;
    let seen: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.event.as_str(), r.resource_id.as_str()))
        .collect();
    assert_eq!(seen, vec![("product.created", kept.id.as_str())]);
    // Many transactions queued at once all arrive, in batches.
    for n in 0..300 {
        let mut tx = db.begin().await?;
        latchkey_store::outbox::emit(&mut tx, "product.updated", &kept, 100 + n).await?;
        tx.commit().await?;
    }
    db.flush_event_logs().await;
    let count: Option<(i64,)> = db
        .fetch_optional(sql(
            "SELECT COUNT(*) FROM event_logs WHERE event = 'product.updated'",
        ))
        .await?;
    assert_eq!(count, Some((300,)));
    Ok(())
}

/// SQLite checkpoints on its own thread, beside the writes: under continuous writes
/// the WAL file still starts over (the thread takes the writer for a last pass once
/// the log passes 8,192 frames, 32 MiB) instead of growing with every commit (here
/// ≈ 430 MB of frames are written; the WAL stays under half that).
#[tokio::test]
async fn sqlite_wal_stays_bounded_under_continuous_writes() -> anyhow::Result<()> {
    if latchkey_testkit::backend_name() != "sqlite" {
        return Ok(());
    }
    let path = std::env::temp_dir().join(format!("latchkey-wal-{}.db", latchkey_store::new_id()));
    let db = latchkey_store::Db::connect(&format!("sqlite://{}", path.display())).await?;
    let acme = account(&db, "acme").await?;
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    let mut largest = 0;
    for n in 0..16_000 {
        let mut row = product(&acme, n, None);
        row.name = "x".repeat(3_000);
        let mut tx = db.begin().await?;
        latchkey_store::products::insert(&mut tx, &row).await?;
        tx.commit().await?;
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    assert!(
        largest < 200 << 20,
        "the WAL grew to {} MB under continuous writes",
        largest >> 20
    );
    Ok(())
}
