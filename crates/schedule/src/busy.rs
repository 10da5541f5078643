//! Free/busy arithmetic on instants: half-open intervals, merging by sort and
//! sweep, subtraction and intersection of sorted lists, and conflicts of
//! candidate times with each person's busy time. All of it is linear after
//! one sort; nothing walks minute by minute.

use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};

/// A half-open span of time `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// First instant inside.
    pub start: Timestamp,
    /// First instant after.
    pub end: Timestamp,
}

impl Interval {
    /// An interval that ends after it starts.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Interval> {
        if end <= start {
            return Err(Error::Invalid(format!("the end ({end}) must be after the start ({start})")));
        }
        Ok(Interval { start, end })
    }

    /// Whether the two share any instant.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether the interval holds no instant (`end <= start`).
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether `other` lies entirely inside.
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The interval grown by `by` on both sides (saturating at jiff's limits).
    pub fn widened(&self, by: SignedDuration) -> Interval {
        Interval { start: shift(self.start, -by), end: shift(self.end, by) }
    }
}

/// `at + by`, saturating at jiff's smallest and largest timestamps.
pub(crate) fn shift(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(if by.is_negative() { Timestamp::MIN } else { Timestamp::MAX })
}

/// Sorts and merges intervals: the result is sorted, pairwise disjoint and
/// not touching (`[9,10)` and `[10,11)` become `[9,11)`), and covers exactly
/// the union of the input. Empty intervals are dropped.
pub fn merge_busy(intervals: impl IntoIterator<Item = Interval>) -> Vec<Interval> {
    let mut sorted: Vec<Interval> = intervals.into_iter().filter(|interval| !interval.is_empty()).collect();
    sorted.sort_unstable();
    let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
    for interval in sorted {
        match merged.last_mut() {
            Some(last) if interval.start <= last.end => last.end = last.end.max(interval.end),
            _ => merged.push(interval),
        }
    }
    merged
}

/// `from` minus `remove`; both must be merged (sorted, disjoint), and so is the result.
pub fn subtract(from: &[Interval], remove: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::with_capacity(from.len());
    let mut next = 0;
    for interval in from {
        let mut start = interval.start;
        while next < remove.len() && remove[next].end <= start {
            next += 1;
        }
        let mut cut = next;
        while cut < remove.len() && remove[cut].start < interval.end {
            if remove[cut].start > start {
                out.push(Interval { start, end: remove[cut].start });
            }
            start = start.max(remove[cut].end);
            if remove[cut].end >= interval.end {
                break;
            }
            cut += 1;
        }
        if start < interval.end {
            out.push(Interval { start, end: interval.end });
        }
    }
    out
}

/// The instants in both `a` and `b`; both must be merged, and so is the result.
pub fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let start = a[i].start.max(b[j].start);
        let end = a[i].end.min(b[j].end);
        if start < end {
            out.push(Interval { start, end });
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// One person's busy time, for [`conflicts`].
#[derive(Clone, Copy, Debug)]
pub struct PersonBusy<'a> {
    /// Who.
    pub email: &'a str,
    /// When they are busy, in any order, overlaps allowed.
    pub busy: &'a [Interval],
}

/// A clash of a candidate time with someone's busy time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    /// Whose busy time.
    pub email: String,
    /// Where the clash starts (the later of the two starts).
    pub start: Timestamp,
    /// Where the clash ends (the earlier of the two ends).
    pub end: Timestamp,
    /// The index of the candidate in the list passed in.
    pub candidate: usize,
}

/// Every clash of the candidates (e.g. the occurrences of a meeting being
/// planned) with each person's busy time, ordered by candidate, then person
/// (in the order given), then time. Each clash is the overlapping part.
pub fn conflicts(candidates: &[Interval], people: &[PersonBusy<'_>]) -> Vec<Conflict> {
    let merged: Vec<Vec<Interval>> = people.iter().map(|person| merge_busy(person.busy.iter().copied())).collect();
    let mut out = Vec::new();
    for (index, candidate) in candidates.iter().enumerate() {
        for (person, busy) in people.iter().zip(&merged) {
            let first = busy.partition_point(|interval| interval.end <= candidate.start);
            for interval in busy[first..].iter().take_while(|interval| interval.start < candidate.end) {
                out.push(Conflict {
                    email: person.email.to_owned(),
                    start: interval.start.max(candidate.start),
                    end: interval.end.min(candidate.end),
                    candidate: index,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + minute * 60).unwrap()
    }

    fn iv(start: i64, end: i64) -> Interval {
        Interval { start: at(start), end: at(end) }
    }

    #[test]
    fn merging() {
        let merged = merge_busy([iv(30, 40), iv(0, 10), iv(10, 20), iv(35, 50), iv(60, 60), iv(70, 65), iv(5, 8)]);
        assert_eq!(merged, [iv(0, 20), iv(30, 50)]);
        assert!(merge_busy([]).is_empty());
        assert!(Interval::new(at(5), at(5)).is_err());
        assert_eq!(iv(10, 20).widened(SignedDuration::from_mins(5)), iv(5, 25));
    }

    #[test]
    fn subtracting_and_intersecting() {
        let from = [iv(0, 100), iv(200, 300)];
        assert_eq!(
            subtract(&from, &[iv(10, 20), iv(90, 210), iv(250, 260)]),
            [iv(0, 10), iv(20, 90), iv(210, 250), iv(260, 300)]
        );
        assert_eq!(subtract(&from, &[iv(-10, 400)]), []);
        assert_eq!(subtract(&from, &[]), from);
        assert_eq!(intersect(&from, &[iv(50, 250)]), [iv(50, 100), iv(200, 250)]);
        assert_eq!(intersect(&from, &[iv(100, 200)]), []);
    }

    #[test]
    fn conflicts_report_the_overlap() {
        let ada = [iv(0, 30), iv(100, 130)];
        let bo = [iv(20, 25), iv(25, 40)];
        let people =
            [PersonBusy { email: "ada@example.org", busy: &ada }, PersonBusy { email: "bo@example.org", busy: &bo }];
        let found = conflicts(&[iv(10, 50), iv(50, 100), iv(120, 200)], &people);
        let summary: Vec<_> = found.iter().map(|c| (c.candidate, c.email.as_str(), c.start, c.end)).collect();
        assert_eq!(
            summary,
            [
                (0, "ada@example.org", at(10), at(30)),
                (0, "bo@example.org", at(20), at(40)),
                (2, "ada@example.org", at(120), at(130)),
            ]
        );
    }

    fn intervals() -> impl Strategy<Value = Vec<Interval>> {
        proptest::collection::vec((0i64..500, 0i64..60), 0..40)
            .prop_map(|pairs| pairs.into_iter().map(|(start, length)| iv(start, start + length)).collect())
    }

    fn covered(list: &[Interval], t: Timestamp) -> bool {
        list.iter().any(|interval| interval.start <= t && t < interval.end)
    }

    proptest! {
        #[test]
        fn merge_busy_is_sorted_disjoint_and_covers_the_union(input in intervals()) {
            let merged = merge_busy(input.clone());
            for pair in merged.windows(2) {
                prop_assert!(pair[0].end < pair[1].start, "sorted, disjoint and not touching: {pair:?}");
            }
            prop_assert!(merged.iter().all(|interval| !interval.is_empty()));
            // Every minute (the inputs are whole minutes) is covered by both or by neither.
            for minute in -1..=561 {
                prop_assert_eq!(covered(&input, at(minute)), covered(&merged, at(minute)), "minute {}", minute);
            }
        }

        #[test]
        fn subtract_and_intersect_agree_with_points(a in intervals(), b in intervals()) {
            let (a, b) = (merge_busy(a), merge_busy(b));
            let minus = subtract(&a, &b);
            let both = intersect(&a, &b);
            for list in [&minus, &both] {
                for pair in list.windows(2) {
                    prop_assert!(pair[0].end <= pair[1].start);
                }
            }
            for minute in -1..=561 {
                let t = at(minute);
                prop_assert_eq!(covered(&minus, t), covered(&a, t) && !covered(&b, t));
                prop_assert_eq!(covered(&both, t), covered(&a, t) && covered(&b, t));
            }
        }
    }
}
