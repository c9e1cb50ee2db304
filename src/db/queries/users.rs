//! Users and failed sign-ins: what signing in reads.

use crate::db::{Db, User};

/// The user whose email is `email`, ignoring ASCII case and surrounding spaces.
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(
        r#"
        -- A seek into users_by_email, whose key is lower(email).
        select id, email, name, password_hash
        from users
        where lower(email) = lower(?1)
        "#,
    )
    .bind(email.trim())
    .fetch_optional(db.read())
    .await
}

/// Number of users.
pub async fn user_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from users")
        .fetch_one(db.read())
        .await
}

/// How many failures are recorded for `key` at or after `since` (Unix seconds), and when
/// the oldest of them was: its expiry lifts a refusal first.
pub async fn sign_in_failures_since(
    db: &Db,
    key: &str,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as(
        r#"
        -- A range scan of sign_in_failures_by_key.
        select count(*), min(failed_at)
        from sign_in_failures
        where key = ?1 and failed_at >= ?2
        "#,
    )
    .bind(key)
    .bind(since)
    .fetch_one(db.read())
    .await
}
