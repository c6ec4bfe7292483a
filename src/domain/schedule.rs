//! When a campaign runs: the one rule the redirect and the landing page share.

use super::Status;

/// A campaign's switch and dates, in epoch milliseconds (`ends_at` exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub status: Status,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

impl Schedule {
    /// Active, and `now` within the dates.
    pub fn is_running(&self, now_ms: i64) -> bool {
        self.status == Status::Active
            && self.starts_at.is_none_or(|t| now_ms >= t)
            && self.ends_at.is_none_or(|t| now_ms < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(status: Status, starts_at: Option<i64>, ends_at: Option<i64>) -> Schedule {
        Schedule {
            status,
            starts_at,
            ends_at,
        }
    }

    #[test]
    fn a_campaign_runs_from_its_start_up_to_but_not_at_its_end() {
        let s = schedule(Status::Active, Some(100), Some(200));
        assert!(!s.is_running(99));
        assert!(s.is_running(100));
        assert!(s.is_running(199));
        assert!(!s.is_running(200));
    }

    #[test]
    fn open_dates_run_forever_and_disabled_never_runs() {
        assert!(schedule(Status::Active, None, None).is_running(i64::MIN));
        assert!(schedule(Status::Active, None, None).is_running(i64::MAX));
        assert!(!schedule(Status::Disabled, None, None).is_running(0));
        assert!(!schedule(Status::Disabled, Some(0), Some(10)).is_running(5));
    }
}
