//! Where signed-in sessions live: the `sessions` table, behind tower-sessions' store trait.
//!
//! Every braid instance on the same database sees the same sessions, so a load balancer
//! may send a user's requests anywhere. tower-sessions' own SQL store
//! (`tower-sessions-sqlx-store` 0.15) is built on sqlx 0.8 and cannot share braid's sqlx
//! 0.9 pool, hence this small store.
//!
//! The table keeps a SHA-256 of each session ID, never the ID itself: reading the table
//! (a backup, a dump) yields no cookie that signs anyone in.
//!
//! On SQLite, where one process serves the database, that process also keeps the sessions
//! it read or wrote in the last [`KEPT_FOR`] ([`SessionCache`]): a private page would
//! otherwise read its session from the database on every request, the largest cost of a
//! page whose sections are cached. On PostgreSQL every request reads its session: a
//! redirect after a form may land on another instance before any notification of the
//! form's session write could, and must find the message and the sign-out there.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use futures::TryFutureExt;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use super::changes::{Change, EVERYTHING, SESSIONS};
use super::writes::unix_now;
use super::{Backend, Db, on_read, on_write};

/// How long a process keeps a session it read, at most (SQLite only). Its own writes reach
/// what it keeps at once; this bounds what it cannot hear of: a session deleted by another
/// process on the same file (`braid user remove`). Short, since a session read once a
/// second or less often costs little: what it saves is the read of a session that sends
/// many requests a second (a load test, a page and its fetches).
pub const KEPT_FOR: Duration = Duration::from_secs(1);

/// Sessions kept at most by one process.
const KEPT_SESSIONS: u64 = 100_000;

/// The session key that [`SqlSessionStore`] copies into the `user_id` column, so that
/// deleting a user deletes their sessions. The app stores the signed-in user's id under it.
pub const USER_ID_KEY: &str = "user_id";

/// tower-sessions' [`SessionStore`] on braid's database.
#[derive(Debug, Clone)]
pub struct SqlSessionStore {
    db: Db,
    /// On SQLite only; see the module's documentation.
    cache: Option<Arc<SessionCache>>,
}

impl SqlSessionStore {
    /// A store on `db`; on SQLite it keeps recent sessions ([`SessionCache`]), and drops
    /// them all when this process announces [`SESSIONS`] or a reseed.
    pub fn new(db: Db) -> SqlSessionStore {
        let cache = matches!(db.backend(), Backend::Sqlite(_)).then(|| {
            let cache = Arc::new(SessionCache::new());
            let heard: Weak<SessionCache> = Arc::downgrade(&cache);
            db.on_change(move |change| {
                if let Some(cache) = heard.upgrade() {
                    cache.hear(change);
                }
            });
            cache
        });
        SqlSessionStore { db, cache }
    }

    /// Inserts (`insert_only`: unless the ID exists) or updates `record`; whether a row was
    /// written.
    async fn write(&self, record: &Record, insert_only: bool) -> session_store::Result<bool> {
        let data = serde_json::to_string(&record.data)
            .map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let user_id = record.data.get(USER_ID_KEY).and_then(|id| id.as_i64());
        let row = SessionRow {
            id_hash: id_hash(&record.id),
            data,
            expires_at: record.expiry_date.unix_timestamp(),
            user_id,
        };
        let before = self.cache.as_ref().map(|cache| cache.generation());
        let written = write_row(&self.db, &row, insert_only).await;
        if let (Some(cache), Some(before)) = (&self.cache, before) {
            match written {
                Ok(written) => cache.wrote(record, written, before),
                // It may have been applied before the error: keep nothing.
                Err(_) => cache.deleted(&record.id),
            }
        }
        written.map_err(backend)
    }
}

/// A session as its row holds it.
struct SessionRow {
    id_hash: String,
    data: String,
    expires_at: i64,
    user_id: Option<i64>,
}

/// Writes `row`; whether a row was written.
async fn write_row(db: &Db, row: &SessionRow, insert_only: bool) -> Result<bool, sqlx::Error> {
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
    let written = on_write!(db, statement, |sql, pool| {
        sqlx::query(sql)
            .bind(&row.id_hash)
            .bind(&row.data)
            .bind(row.expires_at)
            .bind(row.user_id)
            .execute(pool)
            .map_ok(|done| done.rows_affected())
    })?;
    Ok(written == 1)
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
        let Some(cache) = &self.cache else {
            return load_row(&self.db, id).await;
        };
        if let Some(record) = cache.get(id) {
            return Ok(Some(record));
        }
        let generation = cache.generation();
        let record = load_row(&self.db, id).await?;
        if let Some(record) = &record {
            cache.keep(record, generation);
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let deleted = delete_row(&self.db, &id_hash(id)).await;
        if let Some(cache) = &self.cache {
            cache.deleted(id);
        }
        deleted.map_err(backend)
    }
}

/// Deletes the session whose ID hashes to `id_hash`.
async fn delete_row(db: &Db, id_hash: &str) -> Result<(), sqlx::Error> {
    on_write!(
        db,
        "delete from sessions where id_hash = $1",
        |sql, pool| { sqlx::query(sql).bind(id_hash).execute(pool).map_ok(drop) }
    )
}

/// The live session `id` from the database.
async fn load_row(db: &Db, id: &Id) -> session_store::Result<Option<Record>> {
    let (id_hash, now) = (id_hash(id), unix_now());
    let row: Option<(String, i64)> = on_read!(db, LOAD, |sql, pool| {
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

/// Sessions this process read or wrote in the last [`KEPT_FOR`], coherent with what it
/// writes: a write here replaces or drops its session at once, and an announcement of
/// [`SESSIONS`] or [`EVERYTHING`] (a user removed, a reseed) drops them all.
///
/// A read from the database, or a write, may finish after another write: `generation`,
/// raised by every write and drop, tells it so, and it keeps nothing (see
/// [`SessionCache::keep`] and [`SessionCache::wrote`]).
struct SessionCache {
    records: moka::sync::Cache<Id, Record>,
    generation: AtomicU64,
    /// Whether other instances' writes are being heard (see `Change::FeedDown`).
    live: AtomicBool,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("sessions", &self.records.entry_count())
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish()
    }
}

impl SessionCache {
    fn new() -> SessionCache {
        SessionCache {
            records: moka::sync::Cache::builder()
                .max_capacity(KEPT_SESSIONS)
                .time_to_live(KEPT_FOR)
                .build(),
            generation: AtomicU64::new(0),
            live: AtomicBool::new(true),
        }
    }

    /// A kept session `id` that has not expired.
    fn get(&self, id: &Id) -> Option<Record> {
        if !self.live.load(Ordering::SeqCst) {
            return None;
        }
        let record = self.records.get(id)?;
        (record.expiry_date > OffsetDateTime::now_utc()).then_some(record)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `record`, read from the database when the generation was `read_at`, unless a
    /// write or a drop came since. Checked again after the insert: a drop between the check
    /// and the insert would otherwise miss the entry.
    fn keep(&self, record: &Record, read_at: u64) {
        if !self.live.load(Ordering::SeqCst) || self.generation() != read_at {
            return;
        }
        self.records.insert(record.id, record.clone());
        if self.generation() != read_at {
            self.records.invalidate(&record.id);
        }
    }

    /// After this process wrote `record` (`written`: its row exists), a write that began
    /// when the generation was `before`. Kept only if no other write or drop came since:
    /// two saves of one session may commit in one order and arrive here in the other.
    fn wrote(&self, record: &Record, written: bool, before: u64) {
        let unchanged = self.generation.fetch_add(1, Ordering::SeqCst) == before;
        if written && unchanged && self.live.load(Ordering::SeqCst) {
            self.records.insert(record.id, record.clone());
        } else {
            self.records.invalidate(&record.id);
        }
    }

    fn deleted(&self, id: &Id) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.records.invalidate(id);
    }

    fn drop_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.records.invalidate_all();
    }

    fn hear(&self, change: &Change) {
        match change {
            Change::Touched(tag) if &**tag == SESSIONS || &**tag == EVERYTHING => self.drop_all(),
            Change::Touched(_) => {}
            Change::FeedDown => {
                self.live.store(false, Ordering::SeqCst);
                self.drop_all();
            }
            Change::FeedUp => self.live.store(true, Ordering::SeqCst),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(user: i64) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert(USER_ID_KEY.to_string(), serde_json::json!(user));
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }

    #[test]
    fn a_read_that_a_write_overtook_is_not_kept() {
        let cache = SessionCache::new();
        let old = record(1);
        let read_at = cache.generation();
        let mut new = old.clone();
        new.data.insert("flash".into(), serde_json::json!("saved"));
        cache.wrote(&new, true, cache.generation());
        cache.keep(&old, read_at);
        assert_eq!(cache.get(&old.id), Some(new), "the write's record stays");
    }

    #[test]
    fn of_two_writes_that_arrive_out_of_order_neither_is_kept() {
        let cache = SessionCache::new();
        let (first, mut second) = (record(1), record(1));
        second.id = first.id;
        second
            .data
            .insert("flash".into(), serde_json::json!("second"));
        let (first_began, second_began) = (cache.generation(), cache.generation());
        // The second commits last but reports first.
        cache.wrote(&second, true, second_began);
        cache.wrote(&first, true, first_began);
        assert_eq!(
            cache.get(&first.id),
            None,
            "the database decides on the next read"
        );
    }

    #[test]
    fn session_writes_anywhere_and_a_lost_feed_drop_everything() {
        let cache = SessionCache::new();
        let kept = record(1);
        cache.keep(&kept, cache.generation());
        assert_eq!(cache.get(&kept.id), Some(kept.clone()));
        cache.hear(&Change::Touched(Arc::from(crate::db::changes::INVOICES)));
        assert!(
            cache.get(&kept.id).is_some(),
            "other tags leave sessions alone"
        );
        cache.hear(&Change::Touched(Arc::from(SESSIONS)));
        assert_eq!(cache.get(&kept.id), None);

        cache.hear(&Change::FeedDown);
        cache.keep(&kept, cache.generation());
        assert_eq!(
            cache.get(&kept.id),
            None,
            "nothing kept while the feed is down"
        );
        cache.hear(&Change::FeedUp);
        cache.keep(&kept, cache.generation());
        assert!(cache.get(&kept.id).is_some());
        cache.deleted(&kept.id);
        assert_eq!(cache.get(&kept.id), None);
    }

    #[test]
    fn an_expired_session_is_not_served() {
        let cache = SessionCache::new();
        let mut expired = record(1);
        expired.expiry_date = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        cache.keep(&expired, cache.generation());
        assert_eq!(cache.get(&expired.id), None);
    }
}
