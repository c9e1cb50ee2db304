//! Users: what signing in reads.

use crate::db::{Db, User, on_read};

/// The user whose email is `email`, ignoring case and surrounding spaces.
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    on_read!(db, USER_BY_EMAIL, |sql, pool| {
        sqlx::query_as::<_, User>(sql)
            .bind(email.trim())
            .fetch_optional(pool)
    })
}

/// A seek into `users_by_email`, whose key is `lower(email)`.
const USER_BY_EMAIL: &str = r#"
    select id, email, name, password_hash
    from users
    where lower(email) = lower($1)
"#;

/// Number of users.
pub async fn user_count(db: &Db) -> Result<i64, sqlx::Error> {
    on_read!(db, "select count(*) from users", |sql, pool| {
        sqlx::query_scalar(sql).fetch_one(pool)
    })
}
