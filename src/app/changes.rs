//! The wire from the database's change feed (`db::changes`) to the engine's invalidator:
//! the one place that knows both, so that neither knows the other.

use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::db::Db;
use crate::db::changes::{Change, EVERYTHING};
use crate::stream::{Engine, Invalidator};

/// Forwards every change `db` announces to `engine`'s cached sections, until the runtime
/// stops. Subscribes before returning, so no write committed after this call is missed.
pub fn follow(db: &Db, engine: &Engine) -> JoinHandle<()> {
    let mut changes = db.changes();
    let invalidator = engine.invalidator();
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => apply(&invalidator, change),
                // Fell behind: which tags changed is lost, so everything may have.
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "fell behind the change feed; dropping every cached section"
                    );
                    invalidator.invalidate_all();
                }
                Err(RecvError::Closed) => return,
            }
        }
    })
}

fn apply(invalidator: &Invalidator, change: Change) {
    match change {
        Change::Touched(tag) if &*tag == EVERYTHING => invalidator.invalidate_all(),
        Change::Touched(tag) => invalidator.invalidate(&tag),
        Change::FeedDown => invalidator.feed_lost(),
        Change::FeedUp => invalidator.feed_restored(),
    }
}
