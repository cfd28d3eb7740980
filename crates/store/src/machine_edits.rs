//! Machine updates ([`crate::machines`] re-exports them): attribute changes, which
//! re-check the license's resource limits when cores, memory or disk change, and
//! owner changes, which re-check the new owner's machine limit under PER_USER
//! leasing; a re-check holds the license row lock.

use crate::machines::{COLUMNS, MachineRow, TABLE};
use crate::{Db, Result, Tx};
use latchkey_core::activation::{LimitExceeded, Limits, MachineResources, check_activation};

/// The outcome of a machine write that re-checks limits.
#[derive(Debug)]
pub enum MachineWrite {
    /// Written; the machine as stored.
    Done(Box<MachineRow>),
    /// A limit refused it; nothing was written.
    Limit(LimitExceeded),
    /// The machine disappeared meanwhile.
    Gone,
}

/// What `PATCH /machines/{id}` changes; a field left `None` keeps its column, an
/// inner `None` sets it to NULL.
#[derive(Debug, Clone, Default)]
pub struct MachineChanges {
    /// The name.
    pub name: Option<Option<String>>,
    /// The IP address.
    pub ip: Option<Option<String>>,
    /// The hostname.
    pub hostname: Option<Option<String>>,
    /// The platform.
    pub platform: Option<Option<String>>,
    /// CPU cores, counted against the license's core limit.
    pub cores: Option<Option<i64>>,
    /// Memory (bytes), counted against the memory limit.
    pub memory: Option<Option<i64>>,
    /// Disk (bytes), counted against the disk limit.
    pub disk: Option<Option<i64>>,
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
}

impl MachineChanges {
    /// The machine's cores, memory and disk after these changes, when they change
    /// any of the three.
    fn resources(&self, machine: &MachineRow) -> Option<MachineResources> {
        if self.cores.is_none() && self.memory.is_none() && self.disk.is_none() {
            return None;
        }
        Some(MachineResources {
            cores: self.cores.unwrap_or(machine.cores),
            memory: self.memory.unwrap_or(machine.memory),
            disk: self.disk.unwrap_or(machine.disk),
        })
    }

    fn columns(self) -> Vec<(&'static str, crate::Arg)> {
        crate::edits::Columns::default()
            .set("name", self.name)
            .set("ip", self.ip)
            .set("hostname", self.hostname)
            .set("platform", self.platform)
            .set("cores", self.cores)
            .set("memory", self.memory)
            .set("disk", self.disk)
            .set("metadata", self.metadata)
            .into_vec()
    }
}

/// Updates a machine's attributes in one transaction. When cores, memory or disk
/// change, first locks the license and checks the new values against `limits` (the
/// other machines' usage, counted per owner under PER_USER leasing).
pub async fn update(
    db: &Db,
    machine: &MachineRow,
    changes: MachineChanges,
    limits: &Limits,
    now: i64,
) -> Result<MachineWrite> {
    let mut tx = db.begin().await?;
    if let Some(resources) = changes.resources(machine) {
        tx.lock_row("licenses", &machine.license_id).await?;
        let usage = crate::machines::usage(
            &mut tx,
            &machine.license_id,
            machine.owner_id.as_deref(),
            limits.per_user,
            Some(&machine.id),
        )
        .await?;
        if let Err(limit) = latchkey_core::activation::check_resources(limits, &usage, &resources) {
            return Ok(MachineWrite::Limit(limit));
        }
    }
    finish_update(tx, machine, changes.columns(), now, "machine.updated").await
}

async fn finish_update(
    mut tx: Tx,
    machine: &MachineRow,
    changes: Vec<(&'static str, crate::Arg)>,
    now: i64,
    event: &str,
) -> Result<MachineWrite> {
    crate::crud::update(
        &mut tx,
        TABLE,
        &machine.account_id,
        &machine.id,
        changes,
        now,
    )
    .await?;
    let updated: Option<MachineRow> =
        crate::crud::find_tx(&mut tx, TABLE, COLUMNS, &machine.account_id, &machine.id).await?;
    if let Some(row) = &updated {
        crate::outbox::emit(&mut tx, event, row, now).await?;
    }
    tx.commit().await?;
    Ok(updated.map_or(MachineWrite::Gone, |m| MachineWrite::Done(Box::new(m))))
}

/// Gives a machine another owner (or none) with the license row locked; under
/// PER_USER leasing (`limits.per_user`) the new owner's machine limit is checked
/// like an activation.
pub async fn change_owner(
    db: &Db,
    machine: &MachineRow,
    owner: Option<&str>,
    limits: &Limits,
    now: i64,
) -> Result<MachineWrite> {
    let mut tx = db.begin().await?;
    tx.lock_row("licenses", &machine.license_id).await?;
    if limits.per_user && owner != machine.owner_id.as_deref() {
        let usage =
            crate::machines::usage(&mut tx, &machine.license_id, owner, true, Some(&machine.id))
                .await?;
        let resources = MachineResources {
            cores: machine.cores,
            memory: machine.memory,
            disk: machine.disk,
        };
        if let Err(limit) = check_activation(limits, &usage, &resources) {
            return Ok(MachineWrite::Limit(limit));
        }
    }
    let changes = vec![("owner_id", owner.into())];
    finish_update(tx, machine, changes, now, "machine.owner.updated").await
}

#[cfg(test)]
mod tests {
    use super::MachineChanges;
    use crate::Arg;
    use crate::machines::MachineRow;

    fn machine() -> MachineRow {
        MachineRow {
            id: "m".into(),
            account_id: "a".into(),
            license_id: "l".into(),
            owner_id: None,
            group_id: None,
            fingerprint: "f".into(),
            name: None,
            ip: None,
            hostname: None,
            platform: None,
            cores: Some(4),
            memory: Some(1024),
            disk: None,
            max_processes: None,
            last_heartbeat_at: None,
            last_check_out_at: None,
            metadata: "{}".into(),
            created_at: 0,
            updated_at: 0,
            last_death_event_at: None,
            heartbeat_resurrected_at: None,
        }
    }

    #[test]
    fn only_given_fields_become_columns_and_an_inner_none_is_a_typed_null() {
        let changes = MachineChanges {
            name: Some(Some("box".into())),
            ip: Some(None),
            cores: Some(None),
            ..MachineChanges::default()
        };
        let columns: Vec<(&str, String)> = changes
            .columns()
            .into_iter()
            .map(|(column, arg)| (column, format!("{arg:?}")))
            .collect();
        assert_eq!(
            columns,
            vec![
                ("name", format!("{:?}", Arg::Text(Some("box".into())))),
                ("ip", format!("{:?}", Arg::Text(None))),
                ("cores", format!("{:?}", Arg::Int(None))),
            ]
        );
        assert!(MachineChanges::default().columns().is_empty());
    }

    #[test]
    fn resources_are_rechecked_only_when_cores_memory_or_disk_change() {
        let m = machine();
        let renamed = MachineChanges {
            name: Some(Some("box".into())),
            metadata: Some("{}".into()),
            ..MachineChanges::default()
        };
        assert!(renamed.resources(&m).is_none());
        let more_disk = MachineChanges {
            disk: Some(Some(2048)),
            cores: Some(None),
            ..MachineChanges::default()
        };
        let resources = more_disk.resources(&m);
        assert_eq!(
            resources.map(|r| (r.cores, r.memory, r.disk)),
            Some((None, Some(1024), Some(2048)))
        );
    }
}
