//! Sums of machine resources that can never fail. SQLite's `SUM` raises "integer
//! overflow" and PostgreSQL's `SUM(bigint)` is a numeric that fails the cast back to
//! `BIGINT`, so a license whose machines declare more than `i64::MAX` cores in total
//! would make every read of it fail. Summing as double precision cannot overflow, is
//! exact while the total stays at or below 2^53 (every partial sum of positive
//! integers is then an exact double), and the result is capped at
//! [`MAX_RESOURCE`] before it becomes a `BIGINT` again. Activations that would pass
//! the cap are refused (`latchkey_core::activation`), so only state written before
//! that rule existed is ever capped.

use latchkey_core::activation::MAX_RESOURCE;

/// `SUM(column)` over the selected rows, 0 when there are none, at most
/// [`MAX_RESOURCE`], as a `BIGINT`: one SQL text for both engines.
pub(crate) fn capped_sum(column: &str) -> String {
    let total = format!("COALESCE(SUM(CAST({column} AS DOUBLE PRECISION)), 0)");
    format!(
        "CAST(CASE WHEN {total} > {MAX_RESOURCE} THEN {MAX_RESOURCE} ELSE {total} END AS BIGINT)"
    )
}

#[cfg(test)]
mod tests {
    use super::capped_sum;

    #[test]
    fn names_the_column_and_the_cap() {
        let sql = capped_sum("cores");
        assert!(sql.contains("SUM(CAST(cores AS DOUBLE PRECISION))"));
        assert!(sql.contains("9007199254740992"));
    }
}
