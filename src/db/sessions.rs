//! Where signed-in sessions live: the `sessions` table, behind tower-sessions' store trait.
//!
//! Every braid instance on the same database sees the same sessions, so a load balancer
//! may send a user's requests anywhere. tower-sessions' own SQL store
//! (`tower-sessions-sqlx-store` 0.15) is built on sqlx 0.8 and cannot share braid's sqlx
//! 0.9 pool, hence this small store.
//!
//! The table keeps a SHA-256 of each session ID, never the ID itself: reading the table
//! (a backup, a dump) yields no cookie that signs anyone in.

use async_trait::async_trait;
use futures::TryFutureExt;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use super::writes::unix_now;
use super::{Db, on_read, on_write};

/// The session key that [`SqlSessionStore`] copies into the `user_id` column, so that
/// deleting a user deletes their sessions. The app stores the signed-in user's id under it.
pub const USER_ID_KEY: &str = "user_id";

/// tower-sessions' [`SessionStore`] on braid's database.
#[derive(Debug, Clone)]
pub struct SqlSessionStore {
    db: Db,
}

impl SqlSessionStore {
    pub fn new(db: Db) -> SqlSessionStore {
        SqlSessionStore { db }
    }

    /// Inserts (`insert_only`: unless the ID exists) or updates `record`; whether a row was
    /// written.
    async fn write(&self, record: &Record, insert_only: bool) -> session_store::Result<bool> {
        let data = serde_json::to_string(&record.data)
            .map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let user_id = record.data.get(USER_ID_KEY).and_then(|id| id.as_i64());
        let statement = if insert_only {
            r#"
            insert into sessions (id_hash, data, expires_at, user_id)
            values ($1, $2, $3, $4)
            on conflict (id_hash) do nothing
            "#
        } else {
            // An update, never an insert: a session that sign-out (or `braid user remove`)
            // deleted while a request of it was in flight, on any instance, stays deleted.
            r#"
            update sessions
            set data = $2, expires_at = $3, user_id = $4
            where id_hash = $1
            "#
        };
        let id_hash = id_hash(&record.id);
        let expires_at = record.expiry_date.unix_timestamp();
        let written = on_write!(self.db, statement, |sql, pool| {
            sqlx::query(sql)
                .bind(&id_hash)
                .bind(&data)
                .bind(expires_at)
                .bind(user_id)
                .execute(pool)
                .map_ok(|done| done.rows_affected())
        })
        .map_err(backend)?;
        Ok(written == 1)
    }
}

#[async_trait]
impl SessionStore for SqlSessionStore {
    /// Inserts a new session, drawing a new ID on the (2^-128) chance of a collision, and
    /// deletes expired sessions: sign-ins are rare enough to pay for the cleanup.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = unix_now();
        on_write!(
            self.db,
            "delete from sessions where expires_at < $1",
            |sql, pool| { sqlx::query(sql).bind(now).execute(pool).map_ok(drop) }
        )
        .map_err(backend)?;
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    /// Updates a session that exists; one deleted meanwhile is not brought back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let (id_hash, now) = (id_hash(id), unix_now());
        let row: Option<(String, i64)> = on_read!(self.db, LOAD, |sql, pool| {
            sqlx::query_as(sql)
                .bind(&id_hash)
                .bind(now)
                .fetch_optional(pool)
        })
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data)
            .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|error| session_store::Error::Decode(error.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let id_hash = id_hash(id);
        on_write!(
            self.db,
            "delete from sessions where id_hash = $1",
            |sql, pool| { sqlx::query(sql).bind(&id_hash).execute(pool).map_ok(drop) }
        )
        .map_err(backend)?;
        Ok(())
    }
}

/// A live session by its ID's hash: a primary-key lookup.
const LOAD: &str = r#"
    select data, expires_at
    from sessions
    where id_hash = $1 and expires_at > $2
"#;

/// The stored form of a session ID: SHA-256 of its cookie text, in hex.
fn id_hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}
