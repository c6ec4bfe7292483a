//! Repeat-purchase cohorts: people grouped by the bucket (day, week or month) they first
//! scanned a campaign in, and how many of each group bought in that bucket (period 0) and
//! in each one after it: the retention table a brand reads.

use std::collections::BTreeMap;

use super::time::{Interval, UtcOffset};

/// One cohort: its start, its size, and its distinct buyers per period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub start: i64,
    pub visitors: i64,
    /// Distinct buyers in period 0, 1, 2 ... up to the period holding `until`.
    pub buyers: Vec<i64>,
}

/// Groups `sizes` (people first seen per hour) and `buyers` (distinct buyers per cohort
/// start and start of the bucket they bought in, by `interval` in `zone`) into cohorts.
/// Each cohort has a period for every bucket from its own to the one holding `until`, so
/// the table is a triangle.
pub fn cohorts(
    interval: Interval,
    zone: UtcOffset,
    sizes: &[(i64, i64)],
    buyers: &[(i64, i64, i64)],
    until: i64,
) -> Vec<Cohort> {
    let mut groups: BTreeMap<i64, i64> = BTreeMap::new();
    for &(hour, visitors) in sizes {
        *groups.entry(interval.start(zone, hour)).or_default() += visitors;
    }
    let mut bought: BTreeMap<(i64, usize), i64> = BTreeMap::new();
    for &(cohort, bucket, count) in buyers {
        let period = periods_between(interval, zone, cohort, bucket);
        *bought.entry((cohort, period)).or_default() += count;
        groups.entry(cohort).or_default();
    }
    groups
        .into_iter()
        .map(|(start, visitors)| {
            let periods = periods_between(interval, zone, start, until) + 1;
            let buyers = (0..periods)
                .map(|p| bought.get(&(start, p)).copied().unwrap_or(0))
                .collect();
            Cohort {
                start,
                visitors,
                buyers,
            }
        })
        .collect()
}

/// How many buckets after the one starting at `start` the moment `at` falls in.
fn periods_between(interval: Interval, zone: UtcOffset, start: i64, at: i64) -> usize {
    let target = interval.start(zone, at);
    let mut bucket = start;
    let mut periods = 0;
    // Months differ in length, so buckets are stepped, not divided; a report spans at
    // most two years, so this stays short.
    while bucket < target && periods < MAX_PERIODS {
        bucket = interval.next(zone, bucket);
        periods += 1;
    }
    periods
}

/// Two years by the day, the finest cohorts over the longest range.
const MAX_PERIODS: usize = 2 * 366;

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3_600_000;
    /// Monday 2026-11-02 00:00 UTC.
    const MONDAY: i64 = 1_793_577_600_000;

    #[test]
    fn buyers_are_placed_by_their_cohort_and_period() {
        let sizes = [(MONDAY, 10), (MONDAY + 2 * DAY, 5), (MONDAY + 7 * DAY, 4)];
        // Distinct buyers per cohort and bucket bought in (counted so by the database).
        let buyers = [
            (MONDAY, MONDAY, 2),
            (MONDAY, MONDAY + 14 * DAY, 1),
            (MONDAY + 7 * DAY, MONDAY + 14 * DAY, 1),
        ];
        let until = MONDAY + 20 * DAY;
        let table = cohorts(Interval::Week, UtcOffset::default(), &sizes, &buyers, until);
        assert_eq!(
            table,
            [
                Cohort {
                    start: MONDAY,
                    visitors: 15,
                    buyers: vec![2, 0, 1]
                },
                Cohort {
                    start: MONDAY + 7 * DAY,
                    visitors: 4,
                    buyers: vec![0, 1]
                },
            ]
        );
    }

    #[test]
    fn months_step_by_the_calendar() {
        // 2026-01-31 and 2026-03-01: one month and a day apart, but period 2.
        let jan_31 = 1_769_817_600_000;
        let mar_1 = 1_772_323_200_000;
        let table = cohorts(
            Interval::Month,
            UtcOffset::default(),
            &[(jan_31, 1)],
            &[(
                Interval::Month.start(UtcOffset::default(), jan_31),
                mar_1,
                1,
            )],
            mar_1,
        );
        assert_eq!(table[0].buyers, vec![0, 0, 1]);
    }
}
