//! How money and dates read on the page: `$1,234.56`, `Mar 15, 2026`.

/// Cents as dollars with thousands separators: `123456` → `$1,234.56`.
pub fn dollars(cents: i64) -> String {
    let mut out = String::with_capacity(16);
    if cents < 0 {
        out.push('-');
    }
    let cents = cents.unsigned_abs();
    out.push('$');
    push_thousands(&mut out, cents / 100);
    out.push('.');
    push_two_digits(&mut out, cents % 100);
    out
}

/// Whole dollars, for chart axes: `123456` → `$1,235`.
pub fn whole_dollars(cents: i64) -> String {
    let mut out = String::with_capacity(12);
    if cents < 0 {
        out.push('-');
    }
    out.push('$');
    push_thousands(&mut out, (cents.unsigned_abs() + 50) / 100);
    out
}

/// A count with thousands separators: `1000000` → `1,000,000`.
pub fn thousands(value: u64) -> String {
    let mut out = String::with_capacity(26);
    push_thousands(&mut out, value);
    out
}

/// Appends `value` with a comma before each group of three digits. By hand rather than
/// with `format!`: a dashboard writes dozens of amounts per request.
fn push_thousands(out: &mut String, value: u64) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(value);
    for (i, digit) in digits.char_indices() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
}

/// Appends `value` (below 100) as two digits: `5` → `05`.
fn push_two_digits(out: &mut String, value: u64) {
    out.push(char::from(b'0' + (value / 10 % 10) as u8));
    out.push(char::from(b'0' + (value % 10) as u8));
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
        let year = iso.get(0..4)?;
        let mut out = String::with_capacity(12);
        out.push_str(month);
        out.push(' ');
        out.push_str(itoa::Buffer::new().format(day));
        out.push_str(", ");
        out.push_str(year);
        Some(out)
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
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(dollars(0), "$0.00");
        assert_eq!(dollars(-5), "-$0.05");
        assert_eq!(dollars(100_010), "$1,000.10");
        assert_eq!(dollars(i64::MIN), "-$92,233,720,368,547,758.08");
        assert_eq!(whole_dollars(-149), "-$1");
        assert_eq!(whole_dollars(0), "$0");
    }

    #[test]
    fn dates() {
        assert_eq!(date("2026-03-05"), "Mar 5, 2026");
        assert_eq!(date("garbage"), "garbage");
        assert_eq!(date("2026-12-31"), "Dec 31, 2026");
        assert_eq!(month_short("2025-12"), "Dec");
        assert_eq!(month_short("2025-13"), "2025-13");
    }
}
