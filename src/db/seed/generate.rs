//! Deterministic demo rows: the same seed gives the same customers and invoices, byte for
//! byte, on every machine (ChaCha8 and integer arithmetic only; no clock, no floats).

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::calendar::{self, DAYS};
use super::names::{AVATAR_COLORS, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES};

/// Percentage of invoices that are paid.
const PAID_PERCENT: u32 = 70;

/// Extra weight of each month (January first) on top of a base of 100, so the revenue
/// chart has a shape: a December peak, a summer dip.
const SEASON: [u32; 12] = [0, 5, 10, 15, 15, 5, 0, 0, 15, 20, 25, 40];

/// How much more likely the last day is than the first: revenue grows over time.
const GROWTH: u32 = 60;

/// A customer to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewCustomer {
    pub id: u32,
    pub name: String,
    pub email: String,
    pub avatar_color: &'static str,
    pub initials: String,
}

/// An invoice to insert; `date` indexes [`Generator::date`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NewInvoice {
    pub id: u32,
    pub customer_id: u32,
    pub amount_cents: u32,
    pub paid: bool,
    pub day: u16,
}

/// Draws customers, then invoices, from one seeded random stream.
#[derive(Debug)]
pub(super) struct Generator {
    rng: ChaCha8Rng,
    dates: Vec<String>,
    /// Addresses handed out so far, to number the second `ada.kim@…` as `ada.kim2@…`.
    email_counts: HashMap<String, u32>,
}

impl Generator {
    pub(super) fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            dates: calendar::dates(),
            email_counts: HashMap::new(),
        }
    }

    /// `YYYY-MM-DD` of an invoice's `day`.
    pub(super) fn date(&self, day: u16) -> &str {
        self.dates
            .get(usize::from(day))
            .map_or("2026-10-31", String::as_str)
    }

    /// The customer numbered `id`. Call with ids 1, 2, 3… in order.
    pub(super) fn customer(&mut self, id: u32) -> NewCustomer {
        let first = pick(&mut self.rng, FIRST_NAMES);
        let last = pick(&mut self.rng, LAST_NAMES);
        let domain = pick(&mut self.rng, EMAIL_DOMAINS);
        let avatar_color = pick(&mut self.rng, AVATAR_COLORS);

        let local: String = format!("{first}.{last}")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let address = format!("{local}@{domain}");
        let count = self.email_counts.entry(address).or_insert(0);
        *count += 1;
        let email = match *count {
            1 => format!("{local}@{domain}"),
            n => format!("{local}{n}@{domain}"),
        };
        let initials = [first, last]
            .iter()
            .filter_map(|word| word.chars().next())
            .collect();

        NewCustomer {
            id,
            name: format!("{first} {last}"),
            email,
            avatar_color,
            initials,
        }
    }

    /// The days of `count` invoices, oldest first, weighted by growth and season. Sorted
    /// so invoice numbers rise with dates and the date index fills in order.
    pub(super) fn invoice_days(&mut self, count: u32) -> Vec<u16> {
        let max_weight = 100 + GROWTH + SEASON.iter().copied().max().unwrap_or(0);
        let mut days: Vec<u16> = (0..count)
            .map(|_| {
                loop {
                    // Rejection sampling: a day is kept with probability weight / max_weight.
                    let day = self.rng.random_range(0..DAYS);
                    if self.rng.random_range(0..max_weight) < self.weight(day) {
                        break day;
                    }
                }
            })
            .collect();
        days.sort_unstable();
        days
    }

    fn weight(&self, day: u16) -> u32 {
        let month = calendar::month_of(self.date(day));
        let season = SEASON.get(month.saturating_sub(1)).copied().unwrap_or(0);
        100 + GROWTH * u32::from(day) / u32::from(DAYS) + season
    }

    /// Invoice `id`, dated `day`, for one of customers `1..=customers` (at least 1).
    pub(super) fn invoice(&mut self, id: u32, day: u16, customers: u32) -> NewInvoice {
        let customer_id = self.rng.random_range(1..=customers.max(1));
        // Mostly small invoices, some large: $15–$500, $500–$2,500, $2,500–$10,000.
        let amount_cents = match self.rng.random_range(0..100) {
            0..50 => self.rng.random_range(1_500..=50_000),
            50..85 => self.rng.random_range(50_000..=250_000),
            _ => self.rng.random_range(250_000..=1_000_000),
        };
        let paid = self.rng.random_range(0..100) < PAID_PERCENT;
        NewInvoice {
            id,
            customer_id,
            amount_cents,
            paid,
            day,
        }
    }
}

fn pick(rng: &mut ChaCha8Rng, words: &[&'static str]) -> &'static str {
    words
        .get(rng.random_range(0..words.len()))
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_rows() {
        let draw = |seed| {
            let mut generator = Generator::new(seed);
            let customers: Vec<_> = (1..=50).map(|id| generator.customer(id)).collect();
            let days = generator.invoice_days(100);
            let invoices: Vec<_> = days
                .iter()
                .zip(1..)
                .map(|(&day, id)| generator.invoice(id, day, 50))
                .collect();
            (customers, invoices)
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn emails_are_unique() {
        let mut generator = Generator::new(1);
        let mut emails: Vec<_> = (1..=5000).map(|id| generator.customer(id).email).collect();
        emails.sort();
        emails.dedup();
        assert_eq!(emails.len(), 5000);
    }
}
