//! One page's shared state: its sections, its spawned tasks (the producers' driver,
//! resources), and what the engine's parts read of the request (mode, nonce, route name).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::time::Instant;

use http::Uri;
use tokio::task::{AbortHandle, JoinHandle};

use super::engine::Engine;
use super::liveness::ReadClosed;
use super::mailbox::Mailbox;
use super::mode::Mode;
use super::protocol::SlotMarker;
use super::section::SectionEntry;

/// Shared by the `Page`, its `Scope`s and `Slot`s, its resources and the response body.
pub(crate) struct PageShared {
    pub(crate) engine: Engine,
    pub(crate) mode: Mode,
    pub(crate) nonce: String,
    pub(crate) marker: SlotMarker,
    pub(crate) started: Instant,
    /// The matched route: a label of every metric, so shared, not copied.
    pub(crate) name: Arc<str>,
    /// The request's path and query, to link to the in-order version for readers without
    /// JavaScript.
    pub(crate) uri: Option<Uri>,
    pub(crate) timeline: bool,
    /// Set by the server when the client shut its sending side: the body then sends
    /// heartbeats while it waits (see `liveness`).
    pub(crate) read_closed: Option<ReadClosed>,
    /// A std mutex: nothing is awaited while it is held and every critical section is
    /// short (a push, a field update, waking a tokio task, spawning the driver, settling
    /// one section's metrics and view), so an async mutex would only add cost.
    registry: Mutex<Registry>,
}

/// The sections and tasks of one page.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) sections: Vec<SectionEntry>,
    /// What the page's driver and its body exchange (see `driver`).
    pub(crate) mailbox: Mailbox,
    tasks: Vec<AbortHandle>,
    closed: bool,
}

/// Polls a future once without a real waker: a producer that never waits (data already at
/// hand) settles here, and the page avoids spawning a task for it. A pending future has
/// registered a no-op waker; it registers the real one when its task polls it next, as
/// every future must on each poll.
pub(crate) fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let mut context = Context::from_waker(Waker::noop());
    Pin::new(future).poll(&mut context)
}

impl Registry {
    /// Spawns a page task unless the page is already gone; `None` means cancelled.
    pub(crate) fn spawn<F>(&mut self, task: F) -> Option<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.closed {
            return None;
        }
        let handle = tokio::spawn(task);
        self.keep_task(handle.abort_handle());
        Some(handle)
    }

    /// Whether the page is gone: it takes no new tasks.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Keeps `task`'s handle, to abort it with the page. An ended task's handle would keep
    /// its memory until the page ends: those are dropped now.
    pub(crate) fn keep_task(&mut self, task: AbortHandle) {
        self.tasks.retain(|task| !task.is_finished());
        self.tasks.push(task);
    }
}

impl PageShared {
    /// The per-request secret in the names of the page's ranges: the nonce's first eight
    /// characters (see `protocol::write_placeholder`).
    pub(crate) fn range_key(&self) -> &str {
        self.nonce.get(..8).unwrap_or(&self.nonce)
    }

    /// A fresh page: a new random nonce (also the slot markers' secret), no sections yet.
    pub(crate) fn new(engine: &Engine, mode: Mode) -> Self {
        let nonce = hex_nonce(rand::random::<u128>());
        PageShared {
            engine: engine.clone(),
            mode,
            marker: SlotMarker::new(&nonce),
            nonce,
            started: Instant::now(),
            name: Arc::from("page"),
            uri: None,
            timeline: false,
            read_closed: None,
            registry: Mutex::new(Registry::default()),
        }
    }

    /// Spawns a page task unless the page is already gone; `None` means cancelled.
    pub(crate) fn spawn<F>(&self, task: F) -> Option<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.lock().spawn(task)
    }

    /// Changes section `id`'s settings (its `Slot` builder methods).
    pub(crate) fn with_entry(&self, id: u32, change: impl FnOnce(&mut SectionEntry)) {
        if let Some(entry) = self.lock().sections.get_mut(id as usize) {
            change(entry);
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding this lock can only come from braid's own short critical
        // sections; the data stays consistent, so carry on with it.
        self.registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Aborts every task of the page (its driver with every producer in it) and refuses
    /// new ones.
    pub(crate) fn cancel_all(&self) {
        let (tasks, producers) = {
            let mut registry = self.lock();
            registry.closed = true;
            (
                std::mem::take(&mut registry.tasks),
                registry.mailbox.take_incoming(),
            )
        };
        for task in tasks {
            task.abort();
        }
        // Dropped outside the lock: a producer may hold the page.
        drop(producers);
    }
}

/// `value` as 32 lowercase hex digits: a page's nonce. By hand, since `format!("{:032x}")`
/// cost a tenth of a cached page's own work.
fn hex_nonce(value: u128) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 32];
    for (at, digit) in text.iter_mut().rev().enumerate() {
        *digit = DIGITS[((value >> (at * 4)) & 0xf) as usize];
    }
    // ASCII digits: always UTF-8.
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_nonce_is_the_value_in_32_hex_digits() {
        for value in [
            0,
            1,
            0xabc,
            u128::MAX,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        ] {
            assert_eq!(super::hex_nonce(value), format!("{value:032x}"));
        }
    }
}
