//! How money and dates read on the page: `$1,234.56`, `Mar 15, 2026`.

/// Cents as dollars with thousands separators: `123456` → `$1,234.56`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}${}.{:02}", thousands(cents / 100), cents % 100)
}

/// Whole dollars, for chart axes: `123456` → `$1,235`.
pub fn whole_dollars(cents: i64) -> String {
    let rounded = (cents.unsigned_abs() + 50) / 100;
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${}", thousands(rounded))
}

/// A count with thousands separators: `1000000` → `1,000,000`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2026-03` → `Mar` (falls back to the input if it is not a month).
pub fn month_short(year_month: &str) -> String {
    month_name(year_month).map_or_else(|| year_month.to_string(), str::to_string)
}

fn month_name(date: &str) -> Option<&'static str> {
    let month: usize = date.get(5..7)?.parse().ok()?;
    MONTHS.get(month.checked_sub(1)?).copied()
}

/// `2026-03-15` → `Mar 15, 2026` (falls back to the input if it is not a date).
pub fn date(iso: &str) -> String {
    let parsed = (|| {
        let month = month_name(iso)?;
        let day: u32 = iso.get(8..10)?.parse().ok()?;
        Some(format!("{month} {day}, {}", iso.get(0..4)?))
    })();
    parsed.unwrap_or_else(|| iso.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money() {
        assert_eq!(dollars(123_456), "$1,234.56");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(-100_000_000), "-$1,000,000.00");
        assert_eq!(whole_dollars(123_456), "$1,235");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn dates() {
        assert_eq!(date("2026-03-05"), "Mar 5, 2026");
        assert_eq!(date("garbage"), "garbage");
        assert_eq!(month_short("2025-12"), "Dec");
        assert_eq!(month_short("2025-13"), "2025-13");
    }
}
