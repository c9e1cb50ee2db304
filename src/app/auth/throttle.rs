//! Refusing password guessing: after too many failed sign-ins for one account, or from one
//! client address, within a window, further attempts are refused with `429` and a message
//! saying when to try again.
//!
//! Failures are rows in the database, so every instance counts the same ones. The per-account
//! limit also lets anyone lock an account for the window by failing on purpose: the usual
//! price of per-account limits, kept small by the short window.

use std::time::Duration;

use crate::db::writes::{AttemptLimit, AttemptStart};
use crate::db::{self, Db};

/// The limits. [`Throttle::default`] is what the demo uses.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    /// How long a failure counts.
    pub window: Duration,
    /// Failures for one email within `window` after which its sign-ins are refused.
    pub per_account: i64,
    /// Failures from one address within `window` (any emails) after which its sign-ins
    /// are refused.
    pub per_address: i64,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            window: Duration::from_secs(15 * 60),
            per_account: 5,
            per_address: 20,
        }
    }
}

/// Whose failures an attempt counts against.
#[derive(Debug, Clone)]
pub struct Attempt {
    account: String,
    address: String,
}

impl Attempt {
    /// An attempt to sign in as `email` from `address` (a client IP, as text).
    pub fn new(email: &str, address: &str) -> Attempt {
        Attempt {
            account: format!("email:{}", email.trim().to_lowercase()),
            address: format!("address:{address}"),
        }
    }
}

/// Why an attempt is refused, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `"this account"` or `"your address"`.
    pub whose: &'static str,
    /// Whole minutes until the oldest counted failure expires (at least 1).
    pub retry_after_minutes: u64,
}

/// An attempt that got past the throttle: counted as a failure until it succeeds.
#[derive(Debug)]
pub struct Counted(Vec<i64>);

impl Throttle {
    /// Counts `attempt` against its account and its address, or refuses it without
    /// checking its password when either has reached its limit. Check and count are one
    /// transaction, so attempts sent in parallel cannot all slip past the limit.
    ///
    /// # Errors
    ///
    /// When the database fails.
    pub async fn begin(
        &self,
        db: &Db,
        attempt: &Attempt,
    ) -> Result<Result<Counted, Refusal>, sqlx::Error> {
        let since = self.since();
        let limits = [
            AttemptLimit {
                key: &attempt.account,
                limit: self.per_account,
            },
            AttemptLimit {
                key: &attempt.address,
                limit: self.per_address,
            },
        ];
        Ok(
            match db::writes::begin_sign_in_attempt(db, &limits, since).await? {
                AttemptStart::Counted(rows) => Ok(Counted(rows)),
                AttemptStart::Refused { index, oldest } => {
                    // The oldest counted failure stops counting at oldest + window, that is,
                    // oldest - since from now.
                    let lifted_in = (oldest - since).max(0).unsigned_abs();
                    Err(Refusal {
                        whose: if index == 0 {
                            "this account"
                        } else {
                            "your address"
                        },
                        retry_after_minutes: lifted_in.div_ceil(60).max(1),
                    })
                }
            },
        )
    }

    /// The attempt succeeded: it stops counting, and so do the account's earlier failures
    /// (not the address's).
    ///
    /// # Errors
    ///
    /// When the database fails.
    pub async fn succeeded(
        &self,
        db: &Db,
        attempt: &Attempt,
        counted: Counted,
    ) -> Result<(), sqlx::Error> {
        db::writes::forgive_sign_in_attempt(db, &counted.0, &attempt.account).await
    }

    /// The oldest failure time (Unix seconds) that still counts.
    fn since(&self) -> i64 {
        let window = i64::try_from(self.window.as_secs()).unwrap_or(i64::MAX);
        db::writes::unix_now().saturating_sub(window)
    }
}
