//! Forms as users send them: every field taken as text, then validated into typed values
//! or into one message per field, so a form with mistakes comes back with what the user
//! typed and what to fix.

pub mod invoice;
