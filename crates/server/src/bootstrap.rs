//! Creating accounts (with their signing keys and first admin) for `latchkey init`
//! and for the first start of `latchkey serve` on an empty database.

use latchkey_core::crypto::sealed::AccountKey;
use latchkey_core::crypto::{AccountKeys, sealed};
use latchkey_core::secret::SecretKey;
use latchkey_core::tokens::{self, TokenKind};
use latchkey_store::accounts::AccountRow;
use latchkey_store::tokens::TokenRow;
use latchkey_store::users::UserRow;
use latchkey_store::{Db, StoreError, accounts, new_id};

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The slug is taken.
    #[error("an account with slug '{0}' already exists")]
    SlugTaken(String),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// Key generation or sealing failed.
    #[error("key generation failed: {0}")]
    Crypto(String),
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// URL slug (lowercase letters, digits, dashes).
    pub slug: String,
    /// Display name (defaults to the slug).
    pub name: Option<String>,
    /// Admin email.
    pub email: String,
    /// Admin password (6..72 bytes).
    pub password: String,
}

/// What was created.
#[derive(Debug, Clone)]
pub struct Created {
    /// The account.
    pub account: AccountRow,
    /// Its admin.
    pub admin: UserRow,
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 255
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && uuid::Uuid::parse_str(slug).is_err()
}

/// Creates an account with fresh Ed25519, ECDSA P-256 and RSA-2048 keys (private
/// halves sealed with `secret`) and its first admin user, in one transaction.
pub async fn create_account(
    db: &Db,
    secret: &SecretKey,
    now_ms: i64,
    new: NewAccount,
) -> Result<Created, BootstrapError> {
    let slug = new.slug.clone();
    if accounts::find(db, &new.slug).await?.is_some() {
        return Err(BootstrapError::SlugTaken(slug));
    }
    let created = prepare(secret, now_ms, new).await?;
    let mut tx = db.begin().await?;
    match accounts::insert(&mut tx, &created.account).await {
        Err(StoreError::Conflict(_)) => return Err(BootstrapError::SlugTaken(slug)),
        other => other?,
    }
    latchkey_store::users::insert(&mut tx, &created.admin).await?;
    tx.commit().await?;
    Ok(created)
}

/// Creates the first account of an empty database, like [`create_account`], and
/// answers `None` when an account exists by then. Safe to run from several server
/// processes starting at once on one database: exactly one of them gets `Some`.
pub async fn create_first_account(
    db: &Db,
    secret: &SecretKey,
    now_ms: i64,
    new: NewAccount,
) -> Result<Option<Created>, BootstrapError> {
    if accounts::first(db).await?.is_some() {
        return Ok(None);
    }
    let created = prepare(secret, now_ms, new).await?;
    Ok(accounts::insert_first(db, &created.account, &created.admin)
        .await?
        .then_some(created))
}

/// Validates `new` and builds the account (fresh keys, sealed) and admin rows.
async fn prepare(
    secret: &SecretKey,
    now_ms: i64,
    new: NewAccount,
) -> Result<Created, BootstrapError> {
    if !valid_slug(&new.slug) {
        return Err(BootstrapError::Invalid(format!(
            "invalid account slug '{}': use lowercase letters, digits, '-' and '_'",
            new.slug
        )));
    }
    let email = new.email.trim().to_lowercase();
    if !email.contains('@') {
        return Err(BootstrapError::Invalid(format!(
            "invalid admin email '{}'",
            new.email
        )));
    }
    if !(6..=72).contains(&new.password.len()) {
        return Err(BootstrapError::Invalid(
            "the admin password must be 6 to 72 bytes long".into(),
        ));
    }
    let password = new.password.clone();
    let (keys, password_digest) = tokio::task::spawn_blocking(move || {
        let keys = AccountKeys::generate().map_err(|e| e.to_string())?;
        let digest = latchkey_core::password::hash(&password)?;
        Ok::<_, String>((keys, digest))
    })
    .await
    .map_err(|e| BootstrapError::Crypto(e.to_string()))?
    .map_err(BootstrapError::Crypto)?;
    let account_id = new_id();
    let seal = |kind: AccountKey, der: &[u8]| {
        sealed::seal_account_key(secret.bytes(), &account_id, kind, der)
            .map_err(|e| BootstrapError::Crypto(e.to_string()))
    };
    let public = keys.public_key_forms().clone();
    let account = AccountRow {
        id: account_id.clone(),
        slug: new.slug.clone(),
        name: new.name.clone().unwrap_or_else(|| new.slug.clone()),
        protected: false,
        ed25519_public: public.ed25519_hex,
        ed25519_private: seal(AccountKey::Ed25519, keys.ed25519_pkcs8())?,
        ecdsa_public: public.ecdsa_p256_pem,
        ecdsa_private: seal(AccountKey::EcdsaP256, keys.ecdsa_p256_pkcs8())?,
        rsa_public: public.rsa_pem,
        rsa_private: seal(AccountKey::Rsa, keys.rsa_pkcs8())?,
        created_at: now_ms,
        updated_at: now_ms,
    };
    let admin = UserRow {
        id: new_id(),
        account_id: account.id.clone(),
        email,
        first_name: None,
        last_name: None,
        password_digest: Some(password_digest),
        role: "admin".into(),
        banned_at: None,
        group_id: None,
        metadata: "{}".into(),
        created_at: now_ms,
        updated_at: now_ms,
        password_reset_digest: None,
        password_reset_expiry: None,
    };
    Ok(Created { account, admin })
}

/// Mints an admin token for `admin` and returns the raw value (shown once).
pub async fn issue_admin_token(
    db: &Db,
    secret: &SecretKey,
    now_ms: i64,
    admin: &UserRow,
) -> Result<String, StoreError> {
    let raw = tokens::generate(TokenKind::Admin);
    let row = TokenRow {
        id: new_id(),
        account_id: admin.account_id.clone(),
        bearer_type: "users".into(),
        bearer_id: admin.id.clone(),
        kind: TokenKind::Admin.as_str().into(),
        digest: secret.digest(&raw),
        name: Some("bootstrap".into()),
        expiry: None,
        max_activations: None,
        activations: 0,
        max_deactivations: None,
        deactivations: 0,
        created_at: now_ms,
        updated_at: now_ms,
    };
    let mut tx = db.begin().await?;
    latchkey_store::tokens::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(raw)
}

/// Binds every account's private keys to their account: keys sealed before the account
/// id was part of the associated data are re-sealed (idempotent; run at every start).
/// Returns how many accounts were upgraded.
pub async fn bind_sealed_keys(db: &Db, secret: &SecretKey) -> Result<usize, BootstrapError> {
    let mut upgraded = 0;
    for account in accounts::all(db).await? {
        let stored = [
            &account.ed25519_private,
            &account.ecdsa_private,
            &account.rsa_private,
        ];
        let mut resealed = Vec::with_capacity(3);
        for (kind, value) in AccountKey::ALL.into_iter().zip(stored) {
            let new = sealed::reseal_unbound_account_key(secret.bytes(), &account.id, kind, value)
                .map_err(|e| {
                    BootstrapError::Crypto(format!(
                        "account {}: its private keys do not open with this secret key ({e})",
                        account.id
                    ))
                })?;
            resealed.push(new.unwrap_or_else(|| value.clone()));
        }
        if resealed.iter().zip(stored).any(|(new, old)| new != old) {
            accounts::replace_sealed_keys(
                db,
                &account.id,
                &resealed[0],
                &resealed[1],
                &resealed[2],
            )
            .await?;
            upgraded += 1;
        }
    }
    Ok(upgraded)
}
