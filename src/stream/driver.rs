//! The page's task that runs every section producer still pending after its first poll.
//!
//! A section whose producer waits (a query, a slow API) used to get a tokio task of its own:
//! about 1,900 instructions per section (spawn, schedule, join handle, waker) and one task's
//! memory per pending section. Instead, a page spawns a **driver** when a section is
//! pending and none runs, and hands it every pending producer; the driver polls them all
//! in one `FuturesUnordered` (each woken on its own, as a task would be) and, as they
//! settle, stores their outcomes in the page's registry and wakes the body. It ends when
//! it has nothing left to run; a producer pending later (a nested section) spawns the next
//! one. Usually a page has one driver for its whole life.
//!
//! Why a task and not the body: the body is polled only when hyper can write (a slow reader
//! holds it) and not at all before `page.render` (a handler awaiting the data its status
//! depends on). Producers must run meanwhile; the driver runs whatever the body does.
//!
//! The price: one page's producers share one task. I/O waits, the usual case, overlap as
//! before, but CPU-heavy producers of one page take turns instead of using several cores,
//! and a producer that blocks its thread (a long computation, a blocking call) holds up
//! the page's other sections too, which then time out: such work belongs in
//! `tokio::task::spawn_blocking`. A panic stays in its section: polling and dropping each
//! producer are caught, as a task's `JoinHandle` caught them.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{FuturesUnordered, StreamExt};

use super::mailbox::Producer;
use super::registry::{PageShared, Registry};
use super::section::{Outcome, SectionState, panic_message};

/// Hands section `id`'s pending producer to `page`'s driver, spawning a driver when none
/// is running; gives the producer back if the page is already gone. `registry` is
/// `page`'s, locked by the caller.
///
/// # Panics
///
/// Outside a Tokio runtime, when a driver must be spawned.
pub(crate) fn hand_over(
    page: &Arc<PageShared>,
    registry: &mut Registry,
    id: u32,
    producer: Producer,
) -> Result<(), Producer> {
    if registry.is_closed() {
        return Err(producer);
    }
    // Spawned first: outside a runtime this panics before the mailbox changes.
    if !registry.mailbox.started() {
        let driver = tokio::spawn(Driver::new(page.clone()));
        registry.keep_task(driver.abort_handle());
    }
    registry.mailbox.hand_over(id, producer);
    Ok(())
}

/// The page's driver task: runs until nothing is left to run, or the page aborts it
/// (`PageShared::cancel_all`).
pub(crate) struct Driver {
    page: Arc<PageShared>,
    running: FuturesUnordered<Running>,
}

impl Driver {
    pub(crate) fn new(page: Arc<PageShared>) -> Self {
        Self {
            page,
            running: FuturesUnordered::new(),
        }
    }

    /// Takes the new producers and the stop requests, and registers this task's waker.
    fn collect(&mut self, cx: &Context<'_>) {
        let (incoming, stopped) = self.page.lock().mailbox.collect(cx.waker());
        for (id, producer) in incoming {
            self.running.push(Running {
                id,
                producer: Some(producer),
            });
        }
        if !stopped.is_empty() {
            // Rebuilt without them: an entry whose producer is gone would never be woken
            // to leave the set. Stops are rare (timeouts); the others get one spurious poll.
            for running in std::mem::take(&mut self.running) {
                if stopped.contains(&running.id) {
                    drop_caught(running.producer);
                } else {
                    self.running.push(running);
                }
            }
        }
    }

    /// Stores what settled and wakes the body once (a section the body stopped waiting for
    /// keeps the state the body gave it); then, if nothing runs and nothing came in, marks
    /// the driver ended and returns `true`: the next pending producer spawns a new one.
    fn deliver(&self, settled: Vec<(u32, Outcome)>) -> bool {
        let mut registry = self.page.lock();
        let idle = self.running.is_empty() && registry.mailbox.end_if_idle();
        if settled.is_empty() {
            return idle;
        }
        for (id, outcome) in settled {
            let Some(entry) = registry.sections.get_mut(id as usize) else {
                continue;
            };
            if matches!(entry.state, SectionState::Running) {
                entry.state = SectionState::Settled(outcome);
                registry.mailbox.settled(id);
            }
        }
        registry.mailbox.wake_body();
        idle
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.collect(cx);
        let mut settled = Vec::new();
        while let Poll::Ready(Some((id, outcome))) = this.running.poll_next_unpin(cx) {
            settled.extend(outcome.map(|outcome| (id, outcome)));
        }
        // Done when the last producer settled: an idle driver would wait for the page's end
        // to be aborted, one more task to schedule then, in the burst of finishing pages.
        // The lock orders this against `hand_over`: a producer handed over after it spawns
        // the next driver.
        let idle = this.running.is_empty();
        if (idle || !settled.is_empty()) && this.deliver(settled) {
            return Poll::Ready(());
        }
        if idle {
            // Something came in after `collect`: take it now.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// One producer in the driver; `None` once it has settled.
struct Running {
    id: u32,
    producer: Option<Producer>,
}

impl Future for Running {
    type Output = (u32, Option<Outcome>);

    /// The producer's outcome; a panic that escapes `section::settle` (a future's `Drop`,
    /// the fragment check) is its section's failure, not the driver's.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        let Some(producer) = self.producer.as_mut() else {
            return Poll::Ready((id, None));
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| producer.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(outcome)) => outcome,
            Err(panic) => Outcome::Failed {
                error: panic_message(&*panic),
                panicked: true,
            },
        };
        drop_caught(self.producer.take());
        Poll::Ready((id, Some(outcome)))
    }
}

/// Drops a producer, a panic in its `Drop` caught (and logged): it must not end the driver.
fn drop_caught(producer: Option<Producer>) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(move || drop(producer))) {
        tracing::error!(error = %panic_message(&*panic), "a section's producer panicked when dropped");
    }
}
