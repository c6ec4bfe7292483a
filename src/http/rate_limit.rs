//! Per-key rate limits (GCRA through the `governor` crate), in memory per instance: a
//! burst, then one more every period. Keys whose buckets have refilled are forgotten
//! every few thousand checks, so a flood of new keys grows memory only until then.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

const FORGET_EVERY: u64 = 4096;

pub struct KeyedLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl KeyedLimit {
    /// `burst` at once, then one more every `one_per`.
    pub fn new(burst: u32, one_per: Duration) -> Self {
        let quota = Quota::with_period(one_per)
            .expect("a rate limit's period is not zero")
            .allow_burst(NonZeroU32::new(burst).expect("a rate limit's burst is not zero"));
        Self {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one from `key`'s allowance; `false` when it has none left now.
    pub fn allow(&self, key: &str) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&key.to_owned()).is_ok()
    }
}

/// How often photos may be shared: a visitor 5 at once then one every 2 minutes; a
/// network (/24 or /48, where many phones may share one address) 30 at once then one
/// every 20 seconds.
pub struct PhotoLimits {
    visitors: KeyedLimit,
    networks: KeyedLimit,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            visitors: KeyedLimit::new(5, Duration::from_secs(120)),
            networks: KeyedLimit::new(30, Duration::from_secs(20)),
        }
    }
}

impl PhotoLimits {
    pub fn allow(&self, visitor: &str, network: &str) -> bool {
        self.networks.allow(network) && self.visitors.allow(visitor)
    }
}

/// One-time codes asked for from a network (/24 or /48): 20 at once, then one every 30
/// seconds. Each contact also waits a minute between codes (`members::RESEND_AFTER_MS`).
pub fn one_time_code_limit() -> KeyedLimit {
    KeyedLimit::new(20, Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_waits_and_others_are_not_affected() {
        let limit = KeyedLimit::new(3, Duration::from_secs(3600));
        assert!((0..3).all(|_| limit.allow("a")));
        assert!(!limit.allow("a"));
        assert!(limit.allow("b"));
    }

    #[test]
    fn a_busy_network_stops_its_visitors_and_a_busy_visitor_only_itself() {
        let limits = PhotoLimits::default();
        assert!((0..5).all(|_| limits.allow("v1", "n1")));
        assert!(!limits.allow("v1", "n1"), "the visitor's burst is used up");
        let others = (0..30)
            .filter(|i| limits.allow(&format!("w{i}"), "n1"))
            .count();
        assert_eq!(others, 24, "the network allowed 30 in all, 6 of them to v1");
        assert!(!limits.allow("fresh", "n1"));
        assert!(limits.allow("fresh", "n2"));
    }
}
