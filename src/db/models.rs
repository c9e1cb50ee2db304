//! Rows the queries return: small, owned, and ready for a template.

/// Whether an invoice has been paid. Stored as the text `'paid'` or `'pending'` on both
/// backends (`type_name = "text"`: a PostgreSQL `text` column, not an enum type); a `check`
/// constraint in each `2_invoices.sql` keeps any other value out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum InvoiceStatus {
    Paid,
    Pending,
}

impl InvoiceStatus {
    /// The stored text, which is also fine to show: `"paid"` or `"pending"`.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Pending => "pending",
        }
    }
}

impl std::fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer, as on the invoice page's header.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// CSS colour of the avatar's background, e.g. `#2563eb`.
    pub avatar_color: String,
    /// One or two letters for the avatar, e.g. `AL`.
    pub initials: String,
}

/// An invoice joined with its customer: one row of a table, read in one query.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: i64,
    pub customer_id: i64,
    pub amount_cents: i64,
    pub status: InvoiceStatus,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// 1 when created, one more on every update: an edit form saves only over the
    /// version it was made from.
    pub version: i64,
    pub customer_name: String,
    pub customer_email: String,
    pub avatar_color: String,
    pub initials: String,
}

/// A customer with the sums of their invoices, for the customers page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerSummary {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub avatar_color: String,
    pub initials: String,
    pub invoice_count: i64,
    pub paid_cents: i64,
    pub pending_cents: i64,
}

/// Paid revenue of one calendar month, a bar of the dashboard's chart.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthRevenue {
    /// `YYYY-MM`, e.g. `2026-03`.
    pub month: String,
    /// Sum of the month's paid invoices; 0 for a month without any.
    pub revenue_cents: i64,
}

/// Someone who may sign in.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// argon2id, PHC string format.
    pub password_hash: String,
}

impl std::fmt::Debug for User {
    /// Leaves the hash out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A customer as a choice in a form's list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerChoice {
    pub id: i64,
    pub name: String,
}
