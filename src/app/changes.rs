//! The wire from the database's changes (`db::changes`) to the engine's invalidator: the
//! one place that knows both, so that neither knows the other.

use crate::db::Db;
use crate::db::changes::{Change, EVERYTHING};
use crate::stream::{Engine, Invalidator};

/// Tells `engine`'s cached sections of every change `db` announces from now on: a write in
/// this process before its response is sent, other instances' as they are heard.
pub fn follow(db: &Db, engine: &Engine) {
    let invalidator = engine.invalidator();
    db.on_change(move |change| apply(&invalidator, change));
}

fn apply(invalidator: &Invalidator, change: &Change) {
    match change {
        Change::Touched(tag) if &**tag == EVERYTHING => invalidator.invalidate_all(),
        Change::Touched(tag) => invalidator.invalidate(tag),
        Change::FeedDown => invalidator.feed_lost(),
        Change::FeedUp => invalidator.feed_restored(),
    }
}
