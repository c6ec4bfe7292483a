//! When a campaign runs: the one rule the redirect and the landing page share.

use super::Status;

/// A campaign's switch and dates, in epoch milliseconds (`ends_at` exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub status: Status,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

/// Where a campaign stands at a moment, for what its landing page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    /// Active, but its start (epoch ms) is still to come.
    NotStarted(i64),
    /// Its end has passed.
    Ended,
    /// Switched off by the brand.
    Paused,
}

impl Schedule {
    /// Active, and `now` within the dates.
    pub fn is_running(&self, now_ms: i64) -> bool {
        self.phase(now_ms) == Phase::Running
    }

    pub fn phase(&self, now_ms: i64) -> Phase {
        match (self.starts_at, self.ends_at) {
            (_, Some(end)) if now_ms >= end => Phase::Ended,
            _ if self.status != Status::Active => Phase::Paused,
            (Some(start), _) if now_ms < start => Phase::NotStarted(start),
            _ => Phase::Running,
        }
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
    fn the_phase_says_why_a_campaign_is_not_running() {
        let s = schedule(Status::Active, Some(100), Some(200));
        assert_eq!(s.phase(99), Phase::NotStarted(100));
        assert_eq!(s.phase(150), Phase::Running);
        assert_eq!(s.phase(200), Phase::Ended);
        let paused = schedule(Status::Disabled, Some(100), Some(200));
        assert_eq!(paused.phase(99), Phase::Paused);
        assert_eq!(paused.phase(150), Phase::Paused);
        assert_eq!(
            paused.phase(250),
            Phase::Ended,
            "over is over, paused or not"
        );
    }

    #[test]
    fn open_dates_run_forever_and_disabled_never_runs() {
        assert!(schedule(Status::Active, None, None).is_running(i64::MIN));
        assert!(schedule(Status::Active, None, None).is_running(i64::MAX));
        assert!(!schedule(Status::Disabled, None, None).is_running(0));
        assert!(!schedule(Status::Disabled, Some(0), Some(10)).is_running(5));
    }
}
