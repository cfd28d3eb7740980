//! Scheduled license notices (Keygen's LicenseExpirationsWorker and
//! LicenseOverdueCheckInsWorker): `license.expired`, `license.expiring-soon`,
//! `license.check-in-overdue` and `license.check-in-required-soon`.
//!
//! A pass reads candidates a page at a time (licenses whose expiry, or whose next
//! check-in, may lie within three days of now), asks `latchkey_core::notices` which
//! notices are due, and claims each with one conditional `UPDATE … RETURNING` that
//! records when it was sent, in the transaction that records its event. The UPDATE
//! restates the rule (sent-at older than a day, expiry or check-in unchanged), so
//! when several server processes run the job on one PostgreSQL database the row lock
//! lets exactly one of them claim a notice: the other's UPDATE re-reads the row and
//! matches nothing.

use crate::licenses::LicenseRow;
use crate::{Db, Result, sql};
use latchkey_core::check_in::{next_check_in, unit_length_bounds_ms};
use latchkey_core::notices::{self, Notice, OVERDUE_FOR_MS, REPEAT_AFTER_MS, Sent, WINDOW_MS};
use latchkey_core::policy::CheckInInterval;
use latchkey_proto::time_format::{from_millis, to_millis};

/// Licenses read per page.
const PAGE: i64 = 500;

#[allow(dead_code)]
mod row {
    crate::table!(
        /// What a pass needs of one license and its policy.
        Candidate, "licenses" {
            id: String,
            policy_id: String,
            expiry: Option<i64>,
            last_check_in_at: Option<i64>,
            require_check_in: bool,
            check_in_interval: Option<String>,
            check_in_interval_count: Option<i64>,
            last_expiration_event_sent_at: Option<i64>,
            last_expiring_soon_event_sent_at: Option<i64>,
            last_check_in_event_sent_at: Option<i64>,
            last_check_in_soon_event_sent_at: Option<i64>,
        }
    );
}
use row::Candidate;

const CANDIDATE_COLUMNS: &str = "l.id, l.policy_id, l.expiry, l.last_check_in_at, \
    p.require_check_in, p.check_in_interval, p.check_in_interval_count, \
    l.last_expiration_event_sent_at, l.last_expiring_soon_event_sent_at, \
    l.last_check_in_event_sent_at, l.last_check_in_soon_event_sent_at";

impl Candidate {
    fn sent(&self) -> Sent {
        Sent {
            expired: self.last_expiration_event_sent_at,
            expiring_soon: self.last_expiring_soon_event_sent_at,
            check_in_overdue: self.last_check_in_event_sent_at,
            check_in_required_soon: self.last_check_in_soon_event_sent_at,
        }
    }

    fn next_check_in(&self) -> Option<i64> {
        if !self.require_check_in {
            return None;
        }
        let unit = self
            .check_in_interval
            .as_deref()
            .and_then(CheckInInterval::parse);
        next_check_in(
            self.last_check_in_at.and_then(from_millis),
            unit,
            self.check_in_interval_count,
        )
        .map(to_millis)
    }
}

/// What one pass sent, by event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeReport {
    /// `(event, license id)` for every notice sent, in the order sent.
    pub sent: Vec<(&'static str, String)>,
}

/// `CASE` giving the length in ms of the policy's check-in unit, the shortest
/// (`longest = false`) or the longest one.
fn unit_ms(longest: bool) -> String {
    let mut case = String::from("(CASE p.check_in_interval");
    for text in CheckInInterval::ALL {
        if let Some(unit) = CheckInInterval::parse(text) {
            let (min, max) = unit_length_bounds_ms(unit);
            let ms = if longest { max } else { min };
            case.push_str(&format!(" WHEN '{text}' THEN {ms}"));
        }
    }
    case.push_str(" ELSE 0 END)");
    case
}

/// The page of licenses after `after` whose expiry is within the window.
async fn expiring(db: &Db, now: i64, after: &str) -> Result<Vec<Candidate>> {
    let text = format!(
        "SELECT {CANDIDATE_COLUMNS} FROM licenses l JOIN policies p ON p.id = l.policy_id \
         WHERE l.expiry IS NOT NULL AND l.expiry >= $1 AND l.expiry <= $2 AND l.id > $3 \
         ORDER BY l.id LIMIT {PAGE}"
    );
    db.fetch_all(
        sql(text)
            .bind(now.saturating_sub(WINDOW_MS))
            .bind(now.saturating_add(WINDOW_MS))
            .bind(after),
    )
    .await
}

/// The page of licenses after `after` whose next check-in may be within the
/// window (bounded with the shortest and longest unit lengths; the exact calendar
/// date is computed afterwards).
async fn checking_in(db: &Db, now: i64, after: &str) -> Result<Vec<Candidate>> {
    let (shortest, longest) = (unit_ms(false), unit_ms(true));
    let text = format!(
        "SELECT {CANDIDATE_COLUMNS} FROM licenses l JOIN policies p ON p.id = l.policy_id \
         WHERE p.require_check_in = TRUE AND p.check_in_interval IS NOT NULL \
         AND p.check_in_interval_count IS NOT NULL AND l.last_check_in_at IS NOT NULL \
         AND l.last_check_in_at + p.check_in_interval_count * {longest} >= $1 \
         AND l.last_check_in_at + p.check_in_interval_count * {shortest} <= $2 \
         AND l.id > $3 ORDER BY l.id LIMIT {PAGE}"
    );
    db.fetch_all(
        sql(text)
            .bind(now.saturating_sub(WINDOW_MS))
            .bind(now.saturating_add(WINDOW_MS))
            .bind(after),
    )
    .await
}

/// Claims `notice` for `license` and records its event, in one transaction.
/// `false` when the claim matched nothing (another process sent it, or the license
/// changed since it was read).
async fn claim(db: &Db, license: &Candidate, notice: Notice, now: i64) -> Result<bool> {
    let column = notice.column();
    let still_due = match notice {
        Notice::Expired => "expiry IS NOT NULL AND expiry < $2 AND expiry >= $3",
        Notice::ExpiringSoon => "expiry IS NOT NULL AND expiry >= $2 AND expiry < $4",
        Notice::CheckInOverdue | Notice::CheckInRequiredSoon => {
            "last_check_in_at = $5 AND policy_id = $6 AND (expiry IS NULL OR expiry >= $2)"
        }
    };
    let text = format!(
        "UPDATE licenses SET {column} = $2 WHERE id = $1 \
         AND ({column} IS NULL OR {column} <= $7) AND {still_due} RETURNING {}",
        crate::licenses::COLUMNS
    );
    let q = sql(text)
        .bind(license.id.as_str())
        .bind(now)
        .bind(now.saturating_sub(OVERDUE_FOR_MS))
        .bind(now.saturating_add(WINDOW_MS))
        .bind(license.last_check_in_at.unwrap_or(i64::MIN))
        .bind(license.policy_id.as_str())
        .bind(now.saturating_sub(REPEAT_AFTER_MS));
    let mut tx = db.begin().await?;
    let Some(row) = tx.fetch_optional::<LicenseRow>(q).await? else {
        tx.rollback().await?;
        return Ok(false);
    };
    crate::outbox::emit(&mut tx, notice.event(), &row, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// One pass at `now` (unix ms): every due notice of every account, each claimed once.
pub async fn send_due(db: &Db, now: i64) -> Result<NoticeReport> {
    let mut report = NoticeReport::default();
    for check_ins in [false, true] {
        let mut after = String::new();
        loop {
            let page = if check_ins {
                checking_in(db, now, &after).await?
            } else {
                expiring(db, now, &after).await?
            };
            for license in &page {
                let sent = license.sent();
                let due = if check_ins {
                    notices::check_in(license.next_check_in(), license.expiry, &sent, now)
                } else {
                    notices::expiration(license.expiry, &sent, now)
                };
                if let Some(notice) = due
                    && claim(db, license, notice, now).await?
                {
                    report.sent.push((notice.event(), license.id.clone()));
                }
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = last.id.clone(),
                _ => break,
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_lengths_come_from_core() {
        assert_eq!(
            unit_ms(true),
            "(CASE p.check_in_interval WHEN 'day' THEN 86400000 WHEN 'week' THEN 604800000 \
             WHEN 'month' THEN 2678400000 WHEN 'year' THEN 31622400000 ELSE 0 END)"
        );
    }
}
