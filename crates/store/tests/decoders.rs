//! Every read path decodes a row alike: rows with a distinct value in every column
//! are written, then read back through the pool (rusqlite on SQLite, sqlx on
//! PostgreSQL) and inside a transaction (sqlx on both), and must equal what was
//! written. A stored strategy nobody knows is a decode error, never a default.

use latchkey_core::policy::*;
use latchkey_store::crud;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::MachineRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::products::ProductRow;
use latchkey_store::{Db, StoreError, sql};

async fn account(db: &Db) -> anyhow::Result<String> {
    let id = latchkey_store::new_id();
    let mut tx = db.begin().await?;
    let row = latchkey_store::accounts::AccountRow {
        id: id.clone(),
        slug: "acme".into(),
        name: "Acme".into(),
        protected: true,
        ed25519_public: "a".into(),
        ed25519_private: "b".into(),
        ecdsa_public: "c".into(),
        ecdsa_private: "d".into(),
        rsa_public: "e".into(),
        rsa_private: "f".into(),
        created_at: 11,
        updated_at: 12,
    };
    latchkey_store::accounts::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(id)
}

/// A policy whose every column differs from the defaults (and from each other
/// where types allow).
fn policy(account: &str, product: &str) -> PolicyRow {
    PolicyRow {
        id: latchkey_store::new_id(),
        account_id: account.into(),
        product_id: product.into(),
        name: "Every column".into(),
        duration: Some(86_401),
        strict: true,
        floating: true,
        use_pool: true,
        max_machines: Some(2),
        max_processes: Some(3),
        max_users: Some(4),
        max_cores: Some(5),
        max_memory: Some(i64::MAX - 1),
        max_disk: Some(7),
        max_uses: Some(8),
        machine_uniqueness_strategy: UniquenessStrategy::PerProduct,
        machine_matching_strategy: MatchingStrategy::MatchTwo,
        component_uniqueness_strategy: UniquenessStrategy::PerAccount,
        component_matching_strategy: MatchingStrategy::MatchMost,
        expiration_strategy: ExpirationStrategy::MaintainAccess,
        expiration_basis: ExpirationBasis::FromFirstUse,
        renewal_basis: RenewalBasis::FromNowIfExpired,
        transfer_strategy: TransferStrategy::ResetExpiry,
        authentication_strategy: AuthenticationStrategy::Mixed,
        machine_leasing_strategy: MachineLeasingStrategy::PerUser,
        process_leasing_strategy: ProcessLeasingStrategy::PerUser,
        overage_strategy: OverageStrategy::Allow15x,
        scheme: Some("ED25519_SIGN".into()),
        encrypted: false,
        protected: true,
        require_product_scope: true,
        require_policy_scope: false,
        require_machine_scope: true,
        require_fingerprint_scope: false,
        require_components_scope: true,
        require_user_scope: false,
        require_checksum_scope: true,
        require_version_scope: false,
        require_check_in: true,
        check_in_interval: Some(CheckInInterval::Week),
        check_in_interval_count: Some(9),
        require_heartbeat: true,
        heartbeat_duration: Some(61),
        heartbeat_cull_strategy: HeartbeatCullStrategy::KeepDead,
        heartbeat_resurrection_strategy: HeartbeatResurrectionStrategy::Revive5Minutes,
        heartbeat_basis: HeartbeatBasis::FromCreation,
        metadata: r#"{"a":1}"#.into(),
        created_at: 13,
        updated_at: 14,
    }
}

fn license(account: &str, policy: &PolicyRow) -> LicenseRow {
    LicenseRow {
        id: latchkey_store::new_id(),
        account_id: account.into(),
        product_id: policy.product_id.clone(),
        policy_id: policy.id.clone(),
        owner_id: None,
        group_id: None,
        name: Some("named".into()),
        key: "KEY-every-column".into(),
        expiry: Some(15),
        suspended: true,
        protected: Some(false),
        uses: 16,
        max_machines: Some(17),
        max_processes: Some(18),
        max_users: Some(19),
        max_cores: Some(20),
        max_memory: Some(21),
        max_disk: Some(22),
        max_uses: Some(23),
        last_validated_at: Some(24),
        last_validated_checksum: Some("sum".into()),
        last_validated_version: Some("1.2.3".into()),
        last_check_in_at: Some(25),
        last_check_out_at: Some(26),
        metadata: r#"{"b":2}"#.into(),
        created_at: 27,
        updated_at: 28,
    }
}

fn machine(account: &str, license: &LicenseRow) -> MachineRow {
    MachineRow {
        id: latchkey_store::new_id(),
        account_id: account.into(),
        license_id: license.id.clone(),
        owner_id: None,
        group_id: None,
        fingerprint: "fp".into(),
        name: Some("m".into()),
        ip: Some("10.0.0.1".into()),
        hostname: Some("host".into()),
        platform: Some("linux".into()),
        cores: Some(31),
        memory: Some(32),
        disk: Some(33),
        max_processes: Some(34),
        last_heartbeat_at: Some(35),
        last_check_out_at: Some(36),
        metadata: r#"{"c":3}"#.into(),
        created_at: 37,
        updated_at: 38,
        last_death_event_at: Some(39),
        heartbeat_resurrected_at: Some(40),
    }
}

/// Reads the row with `id` from `table` through the pool and in a transaction.
async fn both<R: latchkey_store::db::Row>(
    db: &Db,
    table: &str,
    columns: &str,
    account: &str,
    id: &str,
) -> anyhow::Result<(Option<R>, Option<R>)> {
    let pooled = crud::find::<R>(db, table, columns, account, id).await?;
    let mut tx = db.begin().await?;
    let in_tx = crud::find_tx::<R>(&mut tx, table, columns, account, id).await?;
    tx.commit().await?;
    Ok((pooled, in_tx))
}

#[tokio::test]
async fn every_read_path_decodes_the_same_row() -> anyhow::Result<()> {
    let db = latchkey_testkit::fresh_db().await?;
    let acme = account(&db).await?;
    let product = ProductRow {
        id: latchkey_store::new_id(),
        account_id: acme.clone(),
        name: "P".into(),
        code: Some("code".into()),
        distribution_strategy: "OPEN".into(),
        url: Some("https://example.test".into()),
        platforms: r#"["linux"]"#.into(),
        metadata: r#"{"d":4}"#.into(),
        created_at: 41,
        updated_at: 42,
    };
    let policy = policy(&acme, &product.id);
    let license = license(&acme, &policy);
    let machine = machine(&acme, &license);
    let mut tx = db.begin().await?;
    latchkey_store::products::insert(&mut tx, &product).await?;
    latchkey_store::policies::insert(&mut tx, &policy).await?;
    latchkey_store::licenses::insert(&mut tx, &license).await?;
    latchkey_store::machines::insert(&mut tx, &machine).await?;
    tx.commit().await?;

    use latchkey_store::{licenses, machines, policies, products};
    let (a, b) =
        both::<ProductRow>(&db, products::TABLE, products::COLUMNS, &acme, &product.id).await?;
    assert_eq!((a.as_ref(), b.as_ref()), (Some(&product), Some(&product)));
    let (a, b) =
        both::<PolicyRow>(&db, policies::TABLE, policies::COLUMNS, &acme, &policy.id).await?;
    assert_eq!((a.as_ref(), b.as_ref()), (Some(&policy), Some(&policy)));
    let (a, b) =
        both::<LicenseRow>(&db, licenses::TABLE, licenses::COLUMNS, &acme, &license.id).await?;
    assert_eq!((a.as_ref(), b.as_ref()), (Some(&license), Some(&license)));
    let (a, b) =
        both::<MachineRow>(&db, machines::TABLE, machines::COLUMNS, &acme, &machine.id).await?;
    assert_eq!((a.as_ref(), b.as_ref()), (Some(&machine), Some(&machine)));
    // The joined validation read decodes the same license and policy.
    let head = latchkey_store::validation::head_by_key(&db, &acme, &license.key).await?;
    let head = head.ok_or_else(|| anyhow::anyhow!("no head"))?;
    assert_eq!(
        (&head.license, &head.policy),
        (&license, &policy),
        "head by key"
    );
    // By id or by key, in one query (staff license lookups).
    for alias in [&license.id, &license.key] {
        let head = latchkey_store::validation::head_by_id_or_key(&db, &acme, alias)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no head by {alias}"))?;
        assert_eq!((&head.license, &head.policy), (&license, &policy));
    }
    // A cache miss's one query: the head with every machine, oldest first.
    let mut second = machine.clone();
    second.id = latchkey_store::new_id();
    second.fingerprint = "second".into();
    second.created_at = machine.created_at + 1;
    // The oldest machine's fingerprint is the second machine's id.
    let mut first = machine.clone();
    first.id = latchkey_store::new_id();
    first.fingerprint = second.id.clone();
    first.created_at = machine.created_at - 1;
    let mut tx = db.begin().await?;
    latchkey_store::machines::insert(&mut tx, &second).await?;
    latchkey_store::machines::insert(&mut tx, &first).await?;
    tx.commit().await?;
    let (head, machines) =
        latchkey_store::validation::head_with_machines_by_key(&db, &acme, &license.key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no head with machines"))?;
    assert_eq!((&head.license, &head.policy), (&license, &policy));
    assert_eq!(
        machines,
        vec![first.clone(), machine.clone(), second.clone()]
    );
    // A machine by fingerprint or id with its license's head; an id match wins over
    // an older machine whose fingerprint is that id.
    let found = latchkey_store::machines::find_with_head(&db, &acme, "second")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no machine with head"))?;
    assert_eq!((&found.machine, &found.head.license), (&second, &license));
    let found = latchkey_store::machines::find_with_head(&db, &acme, &second.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no machine by id"))?;
    assert_eq!(found.machine, second);
    let found = latchkey_store::machines::find_with_head(&db, &acme, "no-such-machine").await?;
    assert!(found.is_none());
    // A license without machines has its head and no machine; an unknown key nothing.
    db.execute(sql("DELETE FROM machines WHERE license_id = $1").bind(&license.id))
        .await?;
    let (head, machines) =
        latchkey_store::validation::head_with_machines_by_key(&db, &acme, &license.key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no head without machines"))?;
    assert_eq!((head.license, machines), (license, Vec::new()));
    let unknown =
        latchkey_store::validation::head_with_machines_by_key(&db, &acme, "no-such-key").await?;
    assert!(unknown.is_none());

    // A strategy nobody knows fails loudly on every path.
    db.execute(
        sql("UPDATE policies SET overage_strategy = 'SOMETIMES' WHERE id = $1").bind(&policy.id),
    )
    .await?;
    let pooled =
        crud::find::<PolicyRow>(&db, policies::TABLE, policies::COLUMNS, &acme, &policy.id).await;
    assert!(matches!(pooled, Err(StoreError::Decode(_))), "{pooled:?}");
    let mut tx = db.begin().await?;
    let in_tx = crud::find_tx::<PolicyRow>(
        &mut tx,
        policies::TABLE,
        policies::COLUMNS,
        &acme,
        &policy.id,
    )
    .await;
    assert!(matches!(in_tx, Err(StoreError::Decode(_))), "{in_tx:?}");
    tx.rollback().await?;
    let error = format!(
        "{}",
        pooled.err().ok_or_else(|| anyhow::anyhow!("no error"))?
    );
    assert_eq!(error, "stored value could not be decoded");
    Ok(())
}
