//! A client that shut its sending side: the signal a server gives the engine, so that a
//! page keeps streaming to clients that half-close after their request (`nc -N`, scripts,
//! TCP relays) and still notices, within a heartbeat, clients that are gone.
//!
//! Once a connection's read side has reached end-of-file, the two cases look the same to
//! the server until it writes: a client that only half-closed reads what comes, one that
//! left answers with a reset. So a page whose client has closed its side sends a newline
//! (whitespace, which HTML ignores between elements) every [`HEARTBEAT`] while its sections
//! are pending; the write to a client that left fails and ends the stream, which cancels
//! the page's producers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;
use std::time::Duration;

use futures::task::AtomicWaker;

/// How often a page whose client closed its sending side writes a newline while it waits:
/// about how long a vanished client's producers keep running.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// Set by the server when a connection's client shuts its sending side (read end-of-file);
/// read by the pages streamed on that connection. Put it in each request's extensions.
/// Cheap to clone: one shared flag and waker.
#[derive(Debug, Clone, Default)]
pub struct ReadClosed(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    closed: AtomicBool,
    waker: AtomicWaker,
}

impl ReadClosed {
    /// A connection whose client has not closed anything yet.
    pub fn new() -> ReadClosed {
        ReadClosed::default()
    }

    /// Records that the client closed its sending side, and wakes the page waiting on it.
    pub fn mark(&self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.waker.wake();
    }

    /// Whether [`ReadClosed::mark`] was called.
    pub fn is_marked(&self) -> bool {
        self.0.closed.load(Ordering::Acquire)
    }

    /// Asks to be woken by [`ReadClosed::mark`].
    pub(crate) fn register(&self, waker: &Waker) {
        self.0.waker.register(waker);
    }
}
