//! The fixed stretch of days the demo data covers, as `YYYY-MM-DD` strings.
//!
//! The data ends on a fixed date, not today, so a seed gives the same rows whenever it runs.

/// First day with invoices.
const FIRST_DAY: (i64, u32, u32) = (2024, 11, 1);

/// Days covered: 2024-11-01 to 2026-10-31, i.e. 24 whole months.
pub(super) const DAYS: u16 = 730;

/// The dates of the [`DAYS`] days, oldest first: `dates()[0] == "2024-11-01"`.
pub(super) fn dates() -> Vec<String> {
    let (year, month, day) = FIRST_DAY;
    let first = days_from_civil(year, month, day);
    (0..i64::from(DAYS))
        .map(|offset| {
            let (year, month, day) = civil_from_days(first + offset);
            format!("{year:04}-{month:02}-{day:02}")
        })
        .collect()
}

/// The month (1–12) of a `YYYY-MM-DD` date, for seasonal weights.
pub(super) fn month_of(date: &str) -> usize {
    date.get(5..7)
        .and_then(|month| month.parse().ok())
        .unwrap_or(1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01; the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both fit: day is 1..=31 and month 1..=12 by construction.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_24_months() {
        let dates = dates();
        assert_eq!(dates.first().map(String::as_str), Some("2024-11-01"));
        assert_eq!(dates.last().map(String::as_str), Some("2026-10-31"));
        assert!(dates.contains(&"2025-02-28".to_string()));
        assert!(!dates.contains(&"2025-02-29".to_string()));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(month_of("2025-12-01"), 12);
    }
}
