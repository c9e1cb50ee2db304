//! Creating users and recording failed sign-ins.

use futures::TryFutureExt;

use crate::db::{Db, Dialect, changes, in_transaction, on_write};

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
    let inserted = on_write!(db, INSERT_USER, |sql, pool| {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(email.trim())
            .bind(name.trim())
            .bind(password_hash)
            .fetch_one(pool)
    });
    match inserted {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(NewUserError::EmailTaken(email.trim().to_string()))
        }
        Err(error) => Err(error.into()),
    }
}

const INSERT_USER: &str = r#"
    insert into users (email, name, password_hash)
    values ($1, $2, $3)
    returning id
"#;

/// A key of `sign_in_failures` and how many recent failures it may have.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimit<'a> {
    pub key: &'a str,
    pub limit: i64,
}

/// What [`begin_sign_in_attempt`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptStart {
    /// The attempt is counted as a failure (one row per key) until
    /// [`forgive_sign_in_attempt`] says it succeeded; these are its rows.
    Counted(Vec<i64>),
    /// `limits[index]` is reached: nothing was recorded. `oldest` is the oldest counted
    /// failure of that key (Unix seconds), whose expiry lifts the refusal first.
    Refused { index: usize, oldest: i64 },
}

/// Checks every limit and, if none is reached, counts this attempt against every key, in
/// one transaction: attempts sent in parallel are counted one after another, so no more
/// than `limit` of them get past the check. Failures before `since` (Unix seconds) no
/// longer count, and are deleted.
///
/// SQLite's `begin immediate` serialises every such transaction; on PostgreSQL, where
/// instances write at once, a transaction-scoped advisory lock per key (taken in key
/// order, so two attempts never wait for each other crosswise) does the same per key.
pub async fn begin_sign_in_attempt(
    db: &Db,
    limits: &[AttemptLimit<'_>],
    since: i64,
) -> Result<AttemptStart, sqlx::Error> {
    let now = unix_now();
    in_transaction!(db, |tx, dialect| {
        if dialect == Dialect::Postgres {
            let mut keys: Vec<&str> = limits.iter().map(|limit| limit.key).collect();
            keys.sort_unstable();
            for key in keys {
                sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for (index, AttemptLimit { key, limit }) in limits.iter().enumerate() {
            let (failures, oldest): (i64, Option<i64>) = sqlx::query_as(
                r#"
                -- A range scan of sign_in_failures_by_key.
                select count(*), min(failed_at)
                from sign_in_failures
                where key = $1 and failed_at >= $2
                "#,
            )
            .bind(*key)
            .bind(since)
            .fetch_one(&mut *tx)
            .await?;
            if failures >= *limit {
                tx.rollback().await?;
                let oldest = oldest.unwrap_or(since);
                return Ok(AttemptStart::Refused { index, oldest });
            }
        }
        let mut rows = Vec::with_capacity(limits.len());
        for AttemptLimit { key, .. } in limits {
            let row = sqlx::query_scalar(dialect.pick(
                "insert into sign_in_failures (key, failed_at) values ($1, $2) returning rowid",
                "insert into sign_in_failures (key, failed_at) values ($1, $2) returning id",
            ))
            .bind(*key)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            rows.push(row);
        }
        sqlx::query("delete from sign_in_failures where failed_at < $1")
            .bind(since)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AttemptStart::Counted(rows))
    })
}

/// A counted attempt succeeded: its rows stop counting, and so does every failure of
/// `account_key` (the account's owner has shown they know the password).
pub async fn forgive_sign_in_attempt(
    db: &Db,
    rows: &[i64],
    account_key: &str,
) -> Result<(), sqlx::Error> {
    in_transaction!(db, |tx, dialect| {
        for row in rows {
            sqlx::query(dialect.pick(
                "delete from sign_in_failures where rowid = $1",
                "delete from sign_in_failures where id = $1",
            ))
            .bind(row)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("delete from sign_in_failures where key = $1")
            .bind(account_key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
}

/// Deletes the user with this email (any case); their sessions go with them (and this
/// process drops the sessions it keeps). Returns whether there was one.
pub async fn delete_user(db: &Db, email: &str) -> Result<bool, sqlx::Error> {
    let deleted = on_write!(
        db,
        "delete from users where lower(email) = lower($1)",
        |sql, pool| {
            sqlx::query(sql)
                .bind(email.trim())
                .execute(pool)
                .map_ok(|done| done.rows_affected())
        }
    )?;
    db.announce(&[changes::SESSIONS]);
    Ok(deleted > 0)
}
