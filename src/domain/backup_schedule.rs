//! The backup schedule (SPEC section 6): when the counter or `serve` backs the store up by
//! itself, where the files go, how many are kept, and when a missing backup is overdue. Pure
//! rules; the service runs them against the clock and the folders.

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::field_error::FieldError;
use crate::domain::schedule::resolve_earliest;

/// The newest backups kept in each folder, by default: two weeks of daily backups.
pub const DEFAULT_KEEP: u32 = 14;
/// More than a year of daily files in one folder is a typo, not a plan.
pub const MAX_KEEP: u32 = 400;
/// A backup is overdue this long after the slot it should have been taken in: time enough for
/// a counter that was off overnight to start and catch up in the morning.
pub const OVERDUE_AFTER: Duration = Duration::hours(26);

const FILE_PREFIX: &str = "frontdesk-";
const FILE_SUFFIX: &str = ".fdbackup";
const STAMP_FORMAT: &str = "%Y%m%d-%H%M%S";

/// A daily backup at a shop-local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSchedule {
    pub enabled: bool,
    /// Shop-local time of day.
    pub daily_at: NaiveTime,
    /// Where the files go; `None` is the `backups` folder in the data directory.
    pub folder: Option<String>,
    /// The newest this many backups stay in each folder; older ones are removed after a new
    /// one has been written and verified.
    pub keep: u32,
    /// A second copy, such as a USB stick or a network share.
    pub second_folder: Option<String>,
}

impl Default for BackupSchedule {
    fn default() -> Self {
        Self {
            enabled: true,
            daily_at: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or(NaiveTime::MIN),
            folder: None,
            keep: DEFAULT_KEEP,
            second_folder: None,
        }
    }
}

impl BackupSchedule {
    /// Checks what a manager typed; folder paths must be absolute, since the counter and
    /// `serve` may run from different working directories.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(1..=MAX_KEEP).contains(&self.keep) {
            return Err(FieldError::new(
                "keep",
                "keep 1 to 400 backups in each folder",
            ));
        }
        for (field, folder) in [
            ("folder", self.folder.as_deref()),
            ("second_folder", self.second_folder.as_deref()),
        ] {
            if let Some(folder) = folder
                && !std::path::Path::new(folder).is_absolute()
            {
                return Err(FieldError::new(
                    field,
                    "give the folder's full path, starting with /",
                ));
            }
        }
        if self.folder.is_some() && self.folder == self.second_folder {
            return Err(FieldError::new(
                "second_folder",
                "the second folder must be another place than the first",
            ));
        }
        Ok(())
    }

    /// The most recent moment at or before `now` that a scheduled backup was due: today's
    /// time if it has passed, else yesterday's. On a day the clocks skip that time, the slot
    /// is when they resume.
    pub fn latest_slot(&self, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&tz).date_naive();
        let at = |date: chrono::NaiveDate| resolve_earliest(tz, date.and_time(self.daily_at));
        match at(today) {
            Some(slot) if slot <= now => Some(slot),
            _ => at(today.pred_opt()?),
        }
    }

    /// Whether a scheduled backup should run now: the latest slot has passed since the last
    /// attempt (or, before any attempt, since `since` — when the schedule began), so a counter
    /// that was off at the set time catches up when it next runs.
    pub fn is_due(
        &self,
        tz: Tz,
        now: DateTime<Utc>,
        last_attempt: Option<DateTime<Utc>>,
        since: DateTime<Utc>,
    ) -> bool {
        if !self.enabled {
            return false;
        }
        let Some(slot) = self.latest_slot(tz, now) else {
            return false;
        };
        slot > last_attempt.unwrap_or(since).max(since)
    }

    /// Whether the shop is without a recent good backup: none since a slot more than
    /// [`OVERDUE_AFTER`] ago (counting from `since` when there has never been one).
    pub fn is_overdue(
        &self,
        tz: Tz,
        now: DateTime<Utc>,
        last_success: Option<DateTime<Utc>>,
        since: DateTime<Utc>,
    ) -> bool {
        if !self.enabled {
            return false;
        }
        let Some(slot) = self.latest_slot(tz, now - OVERDUE_AFTER) else {
            return false;
        };
        slot > last_success.unwrap_or(since).max(since)
    }
}

/// The file name of a backup made at `at`, in shop-local time so a person finds the right day;
/// names sort in the order the backups were made.
pub fn backup_file_name(tz: Tz, at: DateTime<Utc>) -> String {
    format!(
        "{FILE_PREFIX}{}{FILE_SUFFIX}",
        at.with_timezone(&tz).format(STAMP_FORMAT)
    )
}

/// Whether `name` is a file the schedule wrote (and so may prune); anything else in the
/// folder is left alone.
pub fn is_backup_file_name(name: &str) -> bool {
    name.strip_prefix(FILE_PREFIX)
        .and_then(|rest| rest.strip_suffix(FILE_SUFFIX))
        .is_some_and(|stamp| NaiveDateTime::parse_from_str(stamp, STAMP_FORMAT).is_ok())
}

/// Of the names in a folder, the scheduled backups to remove so the newest `keep` stay.
pub fn names_to_prune(names: &[String], keep: u32) -> Vec<String> {
    let mut backups: Vec<&String> = names
        .iter()
        .filter(|name| is_backup_file_name(name))
        .collect();
    backups.sort();
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    let excess = backups.len().saturating_sub(keep);
    backups.into_iter().take(excess).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_backup_is_due_once_per_slot_and_catches_up_after_a_night_off() {
        let tz = chrono_tz::Europe::London;
        let schedule = BackupSchedule::default();
        let since = at(tz, 2026, 12, 1, 9, 0);
        // Before the first slot: nothing due.
        assert!(!schedule.is_due(tz, at(tz, 2026, 12, 1, 21, 59), None, since));
        assert!(schedule.is_due(tz, at(tz, 2026, 12, 1, 22, 0), None, since));
        let ran = at(tz, 2026, 12, 1, 22, 1);
        assert!(!schedule.is_due(tz, at(tz, 2026, 12, 2, 8, 0), Some(ran), since));
        // The counter was off at 22:00 on the 2nd: it catches up the next morning.
        assert!(schedule.is_due(tz, at(tz, 2026, 12, 3, 8, 0), Some(ran), since));
        assert!(
            !BackupSchedule {
                enabled: false,
                ..schedule
            }
            .is_due(tz, at(tz, 2026, 12, 3, 8, 0), Some(ran), since)
        );
    }

    #[test]
    fn overdue_a_day_and_two_hours_after_a_missed_slot() {
        let tz = chrono_tz::Asia::Shanghai;
        let schedule = BackupSchedule::default();
        let since = at(tz, 2026, 12, 1, 9, 0);
        let good = at(tz, 2026, 12, 1, 22, 0);
        assert!(!schedule.is_overdue(tz, at(tz, 2026, 12, 2, 23, 59), Some(good), since));
        assert!(!schedule.is_overdue(tz, at(tz, 2026, 12, 3, 23, 59), Some(good), since));
        assert!(schedule.is_overdue(tz, at(tz, 2026, 12, 4, 0, 1), Some(good), since));
        // A new shop is not overdue before its first slot has had its day.
        assert!(!schedule.is_overdue(tz, at(tz, 2026, 12, 2, 23, 0), None, since));
        assert!(schedule.is_overdue(tz, at(tz, 2026, 12, 3, 0, 1), None, since));
    }

    #[test]
    fn a_slot_skipped_by_the_clocks_runs_when_they_resume() {
        let tz = chrono_tz::America::New_York;
        let schedule = BackupSchedule {
            daily_at: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            ..BackupSchedule::default()
        };
        // 2027-03-14: clocks go from 02:00 to 03:00.
        let slot = schedule.latest_slot(tz, at(tz, 2027, 3, 14, 3, 5)).unwrap();
        assert_eq!(slot, at(tz, 2027, 3, 14, 3, 0));
    }

    #[test]
    fn pruning_keeps_the_newest_and_leaves_other_files_alone() {
        let tz = chrono_tz::UTC;
        let names: Vec<String> = (1..=5)
            .map(|day| backup_file_name(tz, at(tz, 2026, 12, day, 22, 0)))
            .chain([
                "frontdesk-erasures.ledger".to_owned(),
                "notes.txt".to_owned(),
                "frontdesk-20261201-220000.fdbackup.partial".to_owned(),
            ])
            .collect();
        let pruned = names_to_prune(&names, 2);
        assert_eq!(
            pruned,
            vec![
                "frontdesk-20261201-220000.fdbackup".to_owned(),
                "frontdesk-20261202-220000.fdbackup".to_owned(),
                "frontdesk-20261203-220000.fdbackup".to_owned(),
            ]
        );
        assert!(names_to_prune(&names, 10).is_empty());
    }

    #[test]
    fn folders_are_absolute_and_distinct_and_keep_is_sane() {
        let mut schedule = BackupSchedule {
            folder: Some("/srv/backups".to_owned()),
            ..BackupSchedule::default()
        };
        assert!(schedule.validate().is_ok());
        schedule.second_folder = Some("usb".to_owned());
        assert!(schedule.validate().is_err());
        schedule.second_folder = Some("/srv/backups".to_owned());
        assert!(schedule.validate().is_err());
        schedule.second_folder = Some("/media/usb".to_owned());
        schedule.keep = 0;
        assert!(schedule.validate().is_err());
    }
}
