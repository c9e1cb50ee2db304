//! The invoice form (create and edit): `customer_id`, `amount` in dollars, `status`, plus
//! the hidden `form_key` (create) or `version` (edit).

use serde::Deserialize;

use crate::db::InvoiceStatus;
use crate::db::writes::InvoiceDraft;

/// The largest amount accepted, in cents: $10,000,000.00.
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000;

/// What the browser sent, as typed. Missing fields are `None`; unknown fields (the
/// `csrf` token, checked before the handler) are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvoiceFields {
    pub customer_id: Option<String>,
    pub amount: Option<String>,
    pub status: Option<String>,
    /// Create only: the key that makes a second submission of this form a no-op.
    pub form_key: Option<String>,
    /// Edit only: the invoice version the form was made from.
    pub version: Option<String>,
}

/// One message per field that needs fixing; `form` is about the form as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub customer_id: Option<&'static str>,
    pub amount: Option<String>,
    pub status: Option<&'static str>,
    pub form: Option<String>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self == &FieldErrors::default()
    }

    /// The one error of a draft whose customer the database does not know (any more).
    pub fn unknown_customer() -> FieldErrors {
        FieldErrors {
            customer_id: Some(UNKNOWN_CUSTOMER),
            ..FieldErrors::default()
        }
    }
}

/// A new create form's key: 16 random bytes in hex (32 digits), from the OS-seeded
/// generator; [`InvoiceFields::form_key`] accepts it back.
pub fn new_form_key() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

/// The message for a customer that is not (or no longer) in the list.
pub const UNKNOWN_CUSTOMER: &str = "Choose a customer from the list.";

impl InvoiceFields {
    /// The draft these fields describe, or a message for each field that is wrong.
    ///
    /// # Errors
    ///
    /// [`FieldErrors`] naming every missing or invalid field, not only the first.
    pub fn draft(&self) -> Result<InvoiceDraft, FieldErrors> {
        let customer = parse_customer(self.customer_id.as_deref());
        let amount = parse_amount(self.amount.as_deref().unwrap_or(""));
        let status = parse_status(self.status.as_deref());
        match (customer, amount, status) {
            (Ok(customer_id), Ok(amount_cents), Ok(status)) => Ok(InvoiceDraft {
                customer_id,
                amount_cents,
                status,
            }),
            (customer, amount, status) => Err(FieldErrors {
                customer_id: customer.err(),
                amount: amount.err(),
                status: status.err(),
                form: None,
            }),
        }
    }

    /// The create form's key, if it is one the server could have made (16 to 64 hex
    /// digits).
    pub fn form_key(&self) -> Option<&str> {
        self.form_key.as_deref().filter(|key| {
            (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_hexdigit())
        })
    }

    /// The edit form's version, if it is a positive number.
    pub fn version(&self) -> Option<i64> {
        self.version
            .as_deref()
            .and_then(|text| text.trim().parse().ok())
            .filter(|version| *version >= 1)
    }
}

fn parse_customer(text: Option<&str>) -> Result<i64, &'static str> {
    match text.map(str::trim) {
        None | Some("") => Err("Choose a customer."),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or(UNKNOWN_CUSTOMER),
    }
}

fn parse_status(text: Option<&str>) -> Result<InvoiceStatus, &'static str> {
    match text.map(str::trim) {
        Some("pending") => Ok(InvoiceStatus::Pending),
        Some("paid") => Ok(InvoiceStatus::Paid),
        None | Some("") => Err("Choose a status."),
        Some(_) => Err("Choose pending or paid."),
    }
}

/// Dollars as typed (`12.34`, `$1,234.5`, `7`) to cents.
///
/// Accepted: an optional `$`, digits with commas only between groups of three, and at most
/// two decimals. Refused, each with its own message: empty, negative, zero, more than two
/// decimals, anything else that is not a number, and more than [`MAX_AMOUNT_CENTS`].
///
/// # Errors
///
/// A message for the user saying what to type instead.
pub fn parse_amount(typed: &str) -> Result<i64, String> {
    let text = typed.trim();
    if text.is_empty() {
        return Err("Enter an amount.".into());
    }
    if text.starts_with('-') {
        return Err("Enter an amount greater than $0.00.".into());
    }
    let text = text.strip_prefix('$').unwrap_or(text).trim_start();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let not_a_number = || "Enter the amount in dollars, such as 12.34.".to_string();
    let whole = without_thousands_separators(whole).ok_or_else(not_a_number)?;
    if whole.is_empty() && fraction.is_empty() {
        return Err(not_a_number());
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_number());
    }
    if fraction.len() > 2 {
        return Err("Use at most two decimals (cents), such as 12.34.".into());
    }
    let too_large = || {
        format!(
            "Enter at most {}.",
            crate::app::components::format::dollars(MAX_AMOUNT_CENTS)
        )
    };
    // More digits than any allowed amount: refused before it could overflow.
    if whole.len() > 12 {
        return Err(too_large());
    }
    let dollars: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| not_a_number())?
    };
    let cents: i64 = format!("{fraction:0<2}")
        .parse()
        .map_err(|_| not_a_number())?;
    let amount = dollars * 100 + cents;
    if amount == 0 {
        return Err("Enter an amount greater than $0.00.".into());
    }
    if amount > MAX_AMOUNT_CENTS {
        return Err(too_large());
    }
    Ok(amount)
}

/// `1,234,567` → `1234567`; `1234` as is; `None` for misplaced commas or non-digits.
fn without_thousands_separators(whole: &str) -> Option<String> {
    if !whole.contains(',') {
        return whole
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| whole.to_string());
    }
    let mut groups = whole.split(',');
    let first = groups.next()?;
    let first_ok = (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit());
    let mut digits = first.to_string();
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(group);
    }
    first_ok.then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_dollars_become_cents() {
        for (typed, cents) in [
            ("12.34", 1234),
            ("12.3", 1230),
            ("12", 1200),
            (" $1,234.56 ", 123_456),
            ("$ 5", 500),
            (".5", 50),
            ("0.01", 1),
            ("10,000,000.00", MAX_AMOUNT_CENTS),
        ] {
            assert_eq!(parse_amount(typed), Ok(cents), "{typed:?}");
        }
    }

    #[test]
    fn bad_amounts_say_why() {
        for (typed, says) in [
            ("", "Enter an amount."),
            ("   ", "Enter an amount."),
            ("0", "greater than"),
            ("0.00", "greater than"),
            ("-5", "greater than"),
            ("abc", "in dollars"),
            ("12.345", "two decimals"),
            ("1,23.00", "in dollars"),
            ("12..3", "in dollars"),
            ("1e5", "in dollars"),
            ("12.3a", "in dollars"),
            (".", "in dollars"),
            ("$", "in dollars"),
            ("10000000.01", "at most $10,000,000.00"),
            ("99999999999999999999999", "at most"),
            ("１２", "in dollars"),
        ] {
            let error = parse_amount(typed).expect_err(typed);
            assert!(error.contains(says), "{typed:?}: {error}");
        }
    }

    #[test]
    fn every_wrong_field_is_named() {
        let errors = InvoiceFields::default().draft().unwrap_err();
        assert_eq!(errors.customer_id, Some("Choose a customer."));
        assert_eq!(errors.amount.as_deref(), Some("Enter an amount."));
        assert_eq!(errors.status, Some("Choose a status."));
        let fields = InvoiceFields {
            customer_id: Some("x".into()),
            amount: Some("5".into()),
            status: Some("payed".into()),
            ..InvoiceFields::default()
        };
        let errors = fields.draft().unwrap_err();
        assert_eq!(errors.customer_id, Some(UNKNOWN_CUSTOMER));
        assert_eq!(errors.amount, None);
        assert_eq!(errors.status, Some("Choose pending or paid."));
    }
}
