//! Check-out bookkeeping: when a license or machine file was last issued.

use crate::{Db, Result, sql};

/// Records a machine-file check-out at `at`.
pub async fn machine_checked_out(db: &Db, machine_id: &str, at: i64) -> Result<()> {
    let q = sql("UPDATE machines SET last_check_out_at = $1 WHERE id = $2")
        .bind(at)
        .bind(machine_id);
    crate::outbox::execute_announced::<crate::machines::MachineRow>(
        db,
        q,
        crate::machines::COLUMNS,
        ("machine.checked-out", crate::Durability::Relaxed),
        at,
    )
    .await
    .map(|_| ())
}

/// Records a license-file check-out at `at`.
pub async fn license_checked_out(db: &Db, license_id: &str, at: i64) -> Result<()> {
    crate::licenses::checked_out(db, license_id, at).await
}
