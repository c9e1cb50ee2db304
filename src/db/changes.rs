//! What changed: the kinds of data ("tags") a write touched, announced when it commits.
//!
//! A write names its tags; the process that made it announces them at once after the
//! commit, so its next page reads its own write. On PostgreSQL the writing transaction also
//! raises each tag's row in `data_versions` and sends `NOTIFY braid_changes` with the new
//! version, which PostgreSQL delivers to every listening instance when (and only if) the
//! transaction commits. [`Db::changes`] hears both.
//!
//! An instance that loses its listening connection announces [`Change::FeedDown`]; when it
//! is back it compares `data_versions` with the versions it last heard, announces every tag
//! that moved meanwhile, then [`Change::FeedUp`]. So a notification lost in a disconnect
//! cannot leave anything stale for longer than the disconnect.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::broadcast;

use super::{Backend, Db};

/// Invoice rows: lists, searches, one invoice's page.
pub const INVOICES: &str = "invoices";
/// Money totals and monthly revenue (cards and chart).
pub const REVENUE: &str = "revenue";
/// Per-customer totals and the customer list.
pub const CUSTOMERS: &str = "customers";
/// Everything: a reseed, or a change whose tags are unknown.
pub const EVERYTHING: &str = "*";

/// Every tag an invoice write touches.
pub(crate) const INVOICE_WRITE: &[&str] = &[INVOICES, REVENUE, CUSTOMERS];

/// The PostgreSQL channel of the notifications.
const CHANNEL: &str = "braid_changes";

/// The listening connection's `application_name`.
pub const LISTENER_NAME: &str = "braid-listener";

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// One announcement on [`Db::changes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Data of this tag changed; [`EVERYTHING`] means every tag.
    Touched(Arc<str>),
    /// Changes by other instances may go unheard until [`Change::FeedUp`].
    FeedDown,
    /// Listening again; every tag that changed meanwhile was announced first.
    FeedUp,
}

/// The channel every [`Db`] clone shares. Announcements nobody listens to are dropped.
#[derive(Debug)]
pub(crate) struct ChangeHub {
    sender: broadcast::Sender<Change>,
}

impl Default for ChangeHub {
    fn default() -> Self {
        ChangeHub {
            sender: broadcast::channel(1024).0,
        }
    }
}

impl ChangeHub {
    fn announce(&self, change: Change) {
        // An error only means that nobody listens: nothing to invalidate.
        let _ = self.sender.send(change);
    }
}

impl Db {
    /// Announces, in this process, that a committed write touched `tags`.
    pub(crate) fn announce(&self, tags: &[&str]) {
        for tag in tags {
            self.changes.announce(Change::Touched(Arc::from(*tag)));
        }
    }

    /// Every change from now on: this process's writes and, on PostgreSQL, every other
    /// instance's (the first call starts the listening connection, which reconnects by
    /// itself). A receiver that falls more than 1,024 changes behind gets
    /// `RecvError::Lagged`: it must then assume that everything changed.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        let receiver = self.changes.sender.subscribe();
        if let Backend::Postgres(pool) = self.backend()
            && !self
                .listening
                .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            tokio::spawn(listen(pool.clone(), self.changes.clone()));
        }
        receiver
    }
}

/// Inside a writing transaction: records that it touches `tags` (PostgreSQL raises their
/// versions and notifies every listener, which PostgreSQL does at commit; SQLite, one
/// process, needs nothing). Announce them with `Db::announce` after the commit.
pub(crate) async fn record<C: RecordChanges>(
    connection: &mut C,
    tags: &[&str],
) -> Result<(), sqlx::Error> {
    connection.record_changes(tags).await
}

/// A backend's way to record a write's tags in its transaction (see [`record`]).
pub(crate) trait RecordChanges {
    async fn record_changes(&mut self, tags: &[&str]) -> Result<(), sqlx::Error>;
}

impl RecordChanges for sqlx::SqliteConnection {
    async fn record_changes(&mut self, _tags: &[&str]) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

impl RecordChanges for sqlx::PgConnection {
    async fn record_changes(&mut self, tags: &[&str]) -> Result<(), sqlx::Error> {
        sqlx::query_scalar::<_, i64>(
            r#"
            with raised as (
                insert into data_versions (tag, version)
                select unnest($1::text[]), 1
                on conflict (tag) do update set version = data_versions.version + 1
                returning tag, version
            )
            select count(pg_notify('braid_changes', tag || ' ' || version)) from raised
            "#,
        )
        .bind(tags.to_vec())
        .fetch_one(self)
        .await?;
        Ok(())
    }
}

/// The listening loop: connect, catch up from `data_versions`, forward notifications;
/// on any failure announce `FeedDown` and start again. Ends when `pool` is closed.
///
/// The listening connection is not one of `pool`'s: it would hold one of the pages'
/// connections for good. It has a pool of its own, of one, with the same settings and the
/// application name `braid-listener` (which `pg_stat_activity` shows).
async fn listen(pool: PgPool, hub: Arc<ChangeHub>) {
    let options = (*pool.connect_options())
        .clone()
        .application_name(LISTENER_NAME);
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options);
    let mut heard: HashMap<String, i64> = HashMap::new();
    loop {
        match connect(&own, &hub, &mut heard).await {
            Ok(mut listener) => {
                hub.announce(Change::FeedUp);
                let error = tokio::select! {
                    error = forward(&mut listener, &hub, &mut heard) => error,
                    () = pool.close_event() => {
                        own.close().await;
                        return;
                    }
                };
                tracing::warn!(%error, "lost the connection that hears other instances' writes; cached sections are bypassed until it is back");
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other instances' writes; retrying");
            }
        }
        hub.announce(Change::FeedDown);
        if pool.is_closed() {
            own.close().await;
            return;
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// Listens, then announces every tag whose version moved since it was last heard (all of
/// them the first time). Listening first means a change committed in between is both
/// notified and read: announced twice, never missed.
async fn connect(
    pool: &PgPool,
    hub: &ChangeHub,
    heard: &mut HashMap<String, i64>,
) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    let versions: Vec<(String, i64)> = sqlx::query_as("select tag, version from data_versions")
        .fetch_all(&mut listener)
        .await?;
    for (tag, version) in versions {
        if heard.get(&tag) != Some(&version) {
            hub.announce(Change::Touched(Arc::from(tag.as_str())));
            heard.insert(tag, version);
        }
    }
    Ok(listener)
}

/// Forwards notifications until the connection fails.
async fn forward(
    listener: &mut PgListener,
    hub: &ChangeHub,
    heard: &mut HashMap<String, i64>,
) -> sqlx::Error {
    loop {
        let notification = match listener.try_recv().await {
            Ok(Some(notification)) => notification,
            Ok(None) => return sqlx::Error::Protocol("the listening connection closed".into()),
            Err(error) => return error,
        };
        let payload = notification.payload();
        let (tag, version) = payload.rsplit_once(' ').unwrap_or((payload, ""));
        if let Ok(version) = version.parse::<i64>() {
            heard.insert(tag.to_string(), version);
        }
        hub.announce(Change::Touched(Arc::from(tag)));
    }
}
