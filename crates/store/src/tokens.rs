//! `tokens`: API tokens, stored only as HMAC digests, with their bearer.

use crate::{Db, Result, sql};

crate::table!(
    /// A token. `bearer_type` is `users`, `products` or `licenses`.
    TokenRow, "tokens" {
        id: String,
        account_id: String,
        bearer_type: String,
        bearer_id: String,
        kind: String,
        digest: String,
        name: Option<String>,
        expiry: Option<i64>,
        max_activations: Option<i64>,
        activations: i64,
        max_deactivations: Option<i64>,
        deactivations: i64,
        created_at: i64,
        updated_at: i64,
    }
);

/// Finds a token of an account by its digest.
pub async fn find_by_digest(db: &Db, account: &str, digest: &str) -> Result<Option<TokenRow>> {
    db.fetch_optional(
        sql(format!(
            "SELECT {COLUMNS} FROM tokens WHERE account_id = $1 AND digest = $2"
        ))
        .bind(account)
        .bind(digest),
    )
    .await
}
