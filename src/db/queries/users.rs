//! Users: what signing in reads.

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
