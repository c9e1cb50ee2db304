//! What changed: the kinds of data ("tags") a write touched, announced when it commits.
//!
//! A write names its tags; the process that made it announces them right after the commit,
//! synchronously, to every hook registered with [`Db::on_change`], so its next page (the
//! redirect after a form) reads its own write. On PostgreSQL the writing transaction also
//! raises each tag's row in `data_versions` and sends `NOTIFY braid_changes` with the new
//! version, which PostgreSQL delivers to every listening instance when (and only if) the
//! transaction commits; each instance's listener announces them to its own hooks.
//!
//! While the listener is not connected (before its first connection, after losing it)
//! the hooks hear [`Change::FeedDown`]. When it is back it compares `data_versions` with
//! the versions it last heard, announces every tag that moved meanwhile, then
//! [`Change::FeedUp`]; it also reads them every second while connected, which both catches
//! a notification that went missing and proves the connection alive (one that stops
//! answering is given up after two seconds). So a lost notification cannot leave anything
//! stale for long, and a dead connection is noticed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgNotification, PgPool, PgPoolOptions};

use super::{Backend, Db};

/// Invoice rows: lists, searches, one invoice's page.
pub const INVOICES: &str = "invoices";
/// Money totals and monthly revenue (cards and chart).
pub const REVENUE: &str = "revenue";
/// Per-customer totals and the customer list.
pub const CUSTOMERS: &str = "customers";
/// Signed-in sessions, announced in this process only: a user removed (their sessions go
/// with them), for the sessions this process keeps (`db::sessions`).
pub const SESSIONS: &str = "sessions";
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

/// How often the connected listener reads `data_versions`.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// How long a connection, or a read of `data_versions`, may take before the listener gives
/// up on the connection.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// One announcement to the hooks of [`Db::on_change`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Data of this tag changed; [`EVERYTHING`] means every tag.
    Touched(Arc<str>),
    /// Changes by other instances may go unheard until [`Change::FeedUp`].
    FeedDown,
    /// Listening again; every tag that changed meanwhile was announced first.
    FeedUp,
}

/// A function told of every [`Change`], on the thread that made it.
type Hook = Arc<dyn Fn(&Change) + Send + Sync>;

/// The hooks every [`Db`] clone shares, and whether changes elsewhere are being heard.
pub(crate) struct ChangeHub {
    hooks: RwLock<Vec<Hook>>,
    /// False on PostgreSQL while the listener is not connected; always true on SQLite.
    live: AtomicBool,
    /// Whether [`Db::on_change`] has started PostgreSQL's listening task.
    listener_started: AtomicBool,
}

impl std::fmt::Debug for ChangeHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeHub")
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish()
    }
}

impl Default for ChangeHub {
    fn default() -> Self {
        ChangeHub {
            hooks: RwLock::default(),
            live: AtomicBool::new(true),
            listener_started: AtomicBool::new(false),
        }
    }
}

impl ChangeHub {
    fn announce(&self, change: Change) {
        match change {
            Change::FeedDown => self.live.store(false, Ordering::SeqCst),
            Change::FeedUp => self.live.store(true, Ordering::SeqCst),
            Change::Touched(_) => {}
        }
        // Hooks are only ever added; a panic in one cannot leave the list torn.
        let hooks = self
            .hooks
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for hook in hooks.iter() {
            hook(&change);
        }
    }
}

impl Db {
    /// Announces, in this process, that a committed write touched `tags`.
    pub(crate) fn announce(&self, tags: &[&str]) {
        for tag in tags {
            self.changes.announce(Change::Touched(Arc::from(*tag)));
        }
    }

    /// Calls `hook` with every change from now on: this process's writes as they commit,
    /// synchronously, and on PostgreSQL every other instance's, from the listening task. A
    /// hook must be quick and must not block (it runs inside writes).
    ///
    /// On PostgreSQL the first hook starts the listening connection, which reconnects by
    /// itself; until it is connected the hooks hear [`Change::FeedDown`].
    pub fn on_change(&self, hook: impl Fn(&Change) + Send + Sync + 'static) {
        let hook: Hook = Arc::new(hook);
        let first_on_postgres = matches!(self.backend(), Backend::Postgres(_))
            && !self.changes.listener_started.swap(true, Ordering::SeqCst);
        if first_on_postgres {
            self.changes.live.store(false, Ordering::SeqCst);
        }
        {
            // Held while the hook learns the state and joins: an announcement waits for
            // it, so the hook hears every change of state after the one it was told.
            let mut hooks = self
                .changes
                .hooks
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if !self.changes.live.load(Ordering::SeqCst) {
                hook(&Change::FeedDown);
            }
            hooks.push(hook);
        }
        if let (true, Backend::Postgres(pool)) = (first_on_postgres, self.backend()) {
            tokio::spawn(listen(pool.clone(), self.changes.clone()));
        }
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

/// The listening loop: connect, catch up from `data_versions`, forward notifications and
/// check every second; on any failure announce `FeedDown` and start again. Ends when `pool`
/// is closed.
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
        .acquire_timeout(CHECK_TIMEOUT)
        .connect_lazy_with(options);
    let mut heard: HashMap<String, i64> = HashMap::new();
    loop {
        match connect(&own, &hub, &mut heard).await {
            Ok(mut listener) => {
                hub.announce(Change::FeedUp);
                let error = tokio::select! {
                    error = follow(&mut listener, &hub, &mut heard) => error,
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
    catch_up(&mut listener, hub, heard).await?;
    Ok(listener)
}

/// Announces every tag whose version in `data_versions` is not the one last heard.
async fn catch_up(
    listener: &mut PgListener,
    hub: &ChangeHub,
    heard: &mut HashMap<String, i64>,
) -> Result<(), sqlx::Error> {
    let versions: Vec<(String, i64)> = sqlx::query_as("select tag, version from data_versions")
        .fetch_all(&mut *listener)
        .await?;
    for (tag, version) in versions {
        if heard.get(&tag) != Some(&version) {
            hub.announce(Change::Touched(Arc::from(tag.as_str())));
            heard.insert(tag, version);
        }
    }
    Ok(())
}

/// Forwards notifications, and catches up every second, until the connection fails.
/// (`try_recv` is cancel-safe: sqlx keeps a message it has begun to read.)
async fn follow(
    listener: &mut PgListener,
    hub: &ChangeHub,
    heard: &mut HashMap<String, i64>,
) -> sqlx::Error {
    let mut check = tokio::time::interval(CHECK_EVERY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    check.tick().await;
    loop {
        tokio::select! {
            received = listener.try_recv() => match received {
                Ok(Some(notification)) => forward(&notification, hub, heard),
                Ok(None) => return sqlx::Error::Protocol("the listening connection closed".into()),
                Err(error) => return error,
            },
            _ = check.tick() => {
                match tokio::time::timeout(CHECK_TIMEOUT, catch_up(listener, hub, heard)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => return error,
                    Err(_) => {
                        return sqlx::Error::Protocol(format!(
                            "the listening connection did not answer within {CHECK_TIMEOUT:?}"
                        ));
                    }
                }
            }
        }
    }
}

/// Announces a notification's tag and remembers its version (`"<tag> <version>"`).
fn forward(notification: &PgNotification, hub: &ChangeHub, heard: &mut HashMap<String, i64>) {
    let payload = notification.payload();
    let (tag, version) = payload.rsplit_once(' ').unwrap_or((payload, ""));
    if let Ok(version) = version.parse::<i64>() {
        heard.insert(tag.to_string(), version);
    }
    hub.announce(Change::Touched(Arc::from(tag)));
}
