//! The period a snapshot covers: a calendar quarter (`2026-Q4`) or an inclusive range of days
//! (`--since 2026-10-01 --until 2026-12-31`), in UTC.

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, format_description::well_known::Rfc3339};

/// A range of whole days, both ends included, in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// How the period is named in file names and pages: `2026-Q4`, or `2026-10-01_2026-12-31`.
    pub label: String,
    /// The first day.
    #[serde(with = "day")]
    pub since: Date,
    /// The last day.
    #[serde(with = "day")]
    pub until: Date,
}

/// Why a period cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// `--period` is not `YYYY-QN`.
    #[error("`{0}` is not a quarter: write it as YYYY-QN, e.g. 2026-Q4")]
    Quarter(String),
    /// A date is not `YYYY-MM-DD`.
    #[error("`{0}` is not a date: write it as YYYY-MM-DD, e.g. 2026-10-01")]
    Date(String),
    /// `--until` is before `--since`.
    #[error("the period ends ({until}) before it starts ({since}): swap --since and --until")]
    Reversed {
        /// The first day given.
        since: String,
        /// The last day given.
        until: String,
    },
}

const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Period {
    /// The quarter `YYYY-QN`.
    pub fn quarter(text: &str) -> Result<Period, PeriodError> {
        let bad = || PeriodError::Quarter(text.to_string());
        let (year, quarter) = text.split_once(['-']).ok_or_else(bad)?;
        let year: i32 = year
            .parse()
            .ok()
            .filter(|_| year.len() == 4)
            .ok_or_else(bad)?;
        let quarter: u8 = quarter
            .strip_prefix(['Q', 'q'])
            .and_then(|q| q.parse().ok())
            .filter(|q| (1..=4).contains(q))
            .ok_or_else(bad)?;
        let first = Month::try_from(3 * quarter - 2).map_err(|_| bad())?;
        let last = Month::try_from(3 * quarter).map_err(|_| bad())?;
        let since = Date::from_calendar_date(year, first, 1).map_err(|_| bad())?;
        let until = Date::from_calendar_date(year, last, last.length(year)).map_err(|_| bad())?;
        Ok(Period {
            label: format!("{year}-Q{quarter}"),
            since,
            until,
        })
    }

    /// The days from `since` to `until`, both included.
    pub fn range(since: &str, until: &str) -> Result<Period, PeriodError> {
        let parse = |s: &str| Date::parse(s, DAY).map_err(|_| PeriodError::Date(s.to_string()));
        let (first, last) = (parse(since)?, parse(until)?);
        if last < first {
            return Err(PeriodError::Reversed {
                since: since.to_string(),
                until: until.to_string(),
            });
        }
        Ok(Period {
            label: format!("{}_{}", format_day(first), format_day(last)),
            since: first,
            until: last,
        })
    }

    /// Whether the RFC 3339 time `when` falls in the period (in UTC).
    pub fn contains(&self, when: OffsetDateTime) -> bool {
        let day = when.to_offset(time::UtcOffset::UTC).date();
        self.since <= day && day <= self.until
    }
}

/// A time as RFC 3339, or `None` when it is not one.
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// `YYYY-MM-DD`.
pub fn format_day(date: Date) -> String {
    date.format(DAY).expect("a calendar date formats")
}

mod day {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format_day(*date))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text, super::DAY).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn quarters_cover_their_three_months() {
        let q4 = Period::quarter("2026-Q4").unwrap();
        assert_eq!(
            (q4.since, q4.until),
            (date!(2026 - 10 - 01), date!(2026 - 12 - 31))
        );
        let q1 = Period::quarter("2028-q1").unwrap();
        assert_eq!(
            (q1.label.as_str(), q1.until),
            ("2028-Q1", date!(2028 - 03 - 31))
        );
        assert_eq!(
            Period::quarter("2026-Q2").unwrap().until,
            date!(2026 - 06 - 30)
        );
        for bad in ["2026-Q5", "2026-Q0", "2026Q4", "26-Q1", "2026-4", ""] {
            assert_eq!(Period::quarter(bad), Err(PeriodError::Quarter(bad.into())));
        }
    }

    #[test]
    fn ranges_include_both_ends_in_utc() {
        let p = Period::range("2026-10-01", "2026-10-31").unwrap();
        assert_eq!(p.label, "2026-10-01_2026-10-31");
        assert!(p.contains(datetime!(2026-10-01 00:00 UTC)));
        assert!(p.contains(datetime!(2026-10-31 23:59:59 UTC)));
        assert!(!p.contains(datetime!(2026-11-01 00:00 UTC)));
        // 2026-11-01T01:00+02:00 is still October 31st in UTC.
        assert!(p.contains(datetime!(2026-11-01 01:00 +2)));
        assert!(matches!(
            Period::range("2026-10-31", "2026-10-01"),
            Err(PeriodError::Reversed { .. })
        ));
        assert!(matches!(
            Period::range("2026-13-01", "2026-10-01"),
            Err(PeriodError::Date(_))
        ));
    }
}
