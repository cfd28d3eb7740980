//! `products`: what a vendor sells; policies and licenses belong to one.

crate::table!(
    /// A product. `platforms` is a JSON array, `metadata` a JSON object.
    ProductRow, "products" {
        id: String,
        account_id: String,
        name: String,
        code: Option<String>,
        distribution_strategy: String,
        url: Option<String>,
        platforms: String,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);
