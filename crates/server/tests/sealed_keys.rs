//! Account private keys are sealed with their account id as associated data: keys sealed
//! by older versions (no associated data) are re-sealed at start-up, and a sealed key
//! copied from another account's row no longer opens.

use latchkey_core::crypto::sealed::{self, AccountKey};
use latchkey_server::bootstrap::{NewAccount, bind_sealed_keys, create_account};
use latchkey_store::accounts;
use latchkey_testkit::TestServer;

fn stored(row: &accounts::AccountRow) -> [&String; 3] {
    [&row.ed25519_private, &row.ecdsa_private, &row.rsa_private]
}

#[tokio::test]
async fn keys_sealed_without_the_account_are_rebound_at_start() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let secret = server.secret.bytes();
    let row = accounts::find(&server.db, &server.account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account row"))?;
    // New accounts are bound: the keys open for this account only, not without context.
    for (kind, value) in AccountKey::ALL.into_iter().zip(stored(&row)) {
        sealed::open_account_key(secret, &row.id, kind, value)?;
        assert!(sealed::open(secret, value).is_err());
        assert!(sealed::open_account_key(secret, "another-account", kind, value).is_err());
    }
    // Rewrite them the way earlier versions sealed them (no associated data).
    let mut legacy = Vec::new();
    for (kind, value) in AccountKey::ALL.into_iter().zip(stored(&row)) {
        let der = sealed::open_account_key(secret, &row.id, kind, value)?;
        legacy.push(sealed::seal(secret, &der)?);
    }
    accounts::replace_sealed_keys(&server.db, &row.id, &legacy[0], &legacy[1], &legacy[2]).await?;

    assert_eq!(bind_sealed_keys(&server.db, &server.secret).await?, 1);
    let rebound = accounts::find(&server.db, &server.account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account row"))?;
    for (kind, value) in AccountKey::ALL.into_iter().zip(stored(&rebound)) {
        sealed::open_account_key(secret, &row.id, kind, value)?;
        assert!(sealed::open(secret, value).is_err(), "still unbound");
    }
    // Idempotent.
    assert_eq!(bind_sealed_keys(&server.db, &server.secret).await?, 0);
    // And the server signs with the re-sealed keys.
    let reply = server.admin("GET", "/v1/accounts/acme", None).await?;
    assert_eq!(reply.status, 200);
    assert!(reply.headers.contains_key("keygen-signature"));
    Ok(())
}

#[tokio::test]
async fn a_key_copied_from_another_account_does_not_open() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let other = create_account(
        &server.db,
        &server.secret,
        1_767_268_800_000,
        NewAccount {
            slug: "other".into(),
            name: None,
            email: "admin@other.test".into(),
            password: "correct horse".into(),
        },
    )
    .await?;
    let acme = accounts::find(&server.db, &server.account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account row"))?;
    // Someone with write access to the database swaps the other account's keys in.
    accounts::replace_sealed_keys(
        &server.db,
        &acme.id,
        &other.account.ed25519_private,
        &other.account.ecdsa_private,
        &other.account.rsa_private,
    )
    .await?;
    for (kind, value) in AccountKey::ALL.into_iter().zip(stored(&other.account)) {
        assert!(sealed::open_account_key(server.secret.bytes(), &acme.id, kind, value).is_err());
    }
    // Start-up refuses the tampered account instead of signing with another's keys.
    assert!(bind_sealed_keys(&server.db, &server.secret).await.is_err());
    // The running server will not sign as acme with the other account's keys.
    let reply = server.admin("GET", "/v1/accounts/acme", None).await?;
    assert!(!reply.headers.contains_key("keygen-signature"));
    Ok(())
}
