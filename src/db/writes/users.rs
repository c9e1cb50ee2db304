//! Creating users and recording failed sign-ins.

use crate::db::Db;

use super::unix_now;

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum NewUserError {
    /// Another user has this email (compared without case).
    #[error("a user with the email {0:?} already exists")]
    EmailTaken(String),
    /// The statement failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Adds a user; `password_hash` must be an argon2id PHC string (the table checks it).
///
/// # Errors
///
/// [`NewUserError::EmailTaken`] if the email exists in any case, or the database error.
pub async fn insert_user(
    db: &Db,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<i64, NewUserError> {
    let inserted = sqlx::query_scalar::<_, i64>(
        r#"
        insert into users (email, name, password_hash)
        values (?1, ?2, ?3)
        returning id
        "#,
    )
    .bind(email.trim())
    .bind(name.trim())
    .bind(password_hash)
    .fetch_one(db.write())
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(NewUserError::EmailTaken(email.trim().to_string()))
        }
        Err(error) => Err(error.into()),
    }
}

/// Records one failed sign-in for each of `keys`, and forgets failures older than
/// `forget_before` (Unix seconds) so the table stays small.
pub async fn record_sign_in_failure(
    db: &Db,
    keys: &[&str],
    forget_before: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.write().begin_with("begin immediate").await?;
    let now = unix_now();
    for key in keys {
        sqlx::query("insert into sign_in_failures (key, failed_at) values (?1, ?2)")
            .bind(*key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("delete from sign_in_failures where failed_at < ?1")
        .bind(forget_before)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Forgets the failures of `key` (after a successful sign-in to that account).
pub async fn clear_sign_in_failures(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sign_in_failures where key = ?1")
        .bind(key)
        .execute(db.write())
        .await
        .map(|_| ())
}
