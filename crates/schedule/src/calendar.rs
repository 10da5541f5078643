//! Proleptic Gregorian day arithmetic on plain integers ("day numbers": days
//! since 1970-01-01), which the recurrence expansion uses in its inner loops
//! instead of building dates. The algorithms are Howard Hinnant's
//! `days_from_civil` and `civil_from_days`; tests compare them with jiff.

use jiff::civil::{Date, DateTime, Time, Weekday};

use crate::error::{Error, Result};

/// Days since 1970-01-01 of a year, month (1–12) and day (1–31).
pub(crate) fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Year, month and day of a day number.
pub(crate) fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month as u8, day as u8)
}

/// Weekday of a day number, 0 = Monday … 6 = Sunday.
pub(crate) fn weekday_index(days: i64) -> u8 {
    // 1970-01-01 was a Thursday.
    (days + 3).rem_euclid(7) as u8
}

pub(crate) fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub(crate) fn days_in_year(year: i32) -> u16 {
    if is_leap(year) { 366 } else { 365 }
}

/// The day number of a jiff date.
pub(crate) fn day_number(date: Date) -> i64 {
    days_from_civil(i32::from(date.year()), date.month() as u8, date.day() as u8)
}

/// The jiff date of a day number, if jiff can represent it (years -9999 to 9999).
pub(crate) fn date_of(days: i64) -> Result<Date> {
    let (year, month, day) = civil_from_days(days);
    let year = i16::try_from(year).map_err(|_| Error::OutOfRange(format!("year {year}")))?;
    Ok(Date::new(year, month as i8, day as i8)?)
}

/// A local date-time on a day number at a time of day.
pub(crate) fn datetime_of(days: i64, time: Time) -> Result<DateTime> {
    Ok(DateTime::from_parts(date_of(days)?, time))
}

/// Index 0 = Monday … 6 = Sunday of a jiff weekday.
pub(crate) fn weekday_to_index(weekday: Weekday) -> u8 {
    weekday.to_monday_zero_offset() as u8
}

/// The jiff weekday of an index 0 = Monday … 6 = Sunday.
pub(crate) fn index_to_weekday(index: u8) -> Weekday {
    match index % 7 {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(weekday_index(days_from_civil(2026, 10, 20)), 1, "2026-10-20 is a Tuesday");
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_year(2000), 366);
    }

    proptest! {
        #[test]
        fn agrees_with_jiff(days in -3_000_000i64..2_900_000) {
            let date = date_of(days).unwrap();
            prop_assert_eq!(day_number(date), days);
            prop_assert_eq!(weekday_to_index(date.weekday()), weekday_index(days));
            prop_assert_eq!(days_in_month(i32::from(date.year()), date.month() as u8), date.days_in_month() as u8);
            prop_assert_eq!(index_to_weekday(weekday_index(days)), date.weekday());
        }
    }
}
