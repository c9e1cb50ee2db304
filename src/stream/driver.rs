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
use std::task::{Context, Poll, Waker};

use futures::stream::{FuturesUnordered, StreamExt};

use super::registry::PageShared;
use super::section::{Outcome, SectionState, panic_message};

/// A section's producer, wrapped by `section::settle`.
pub(crate) type Producer = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// What the body, the driver and the registering code exchange, under the registry's lock.
#[derive(Default)]
pub(crate) struct Mailbox {
    /// Whether the page's driver is running (spawned, not yet ended for want of work).
    started: bool,
    /// Producers registered since the driver last looked.
    incoming: Vec<(u32, Producer)>,
    /// Sections the body gave up on (timed out, unplaceable): their producers are dropped.
    stopped: Vec<u32>,
    /// Sections settled since the body last looked (their outcome is in the registry).
    settled: Vec<u32>,
    driver: Option<Waker>,
    body: Option<Waker>,
}

impl Mailbox {
    /// Whether the page's driver is running (spawned, not yet ended for want of work).
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// Hands `producer` to the driver, which the caller has spawned if [`Mailbox::started`]
    /// said it was not.
    pub(crate) fn hand_over(&mut self, id: u32, producer: Producer) {
        self.started = true;
        self.incoming.push((id, producer));
        if let Some(driver) = self.driver.take() {
            driver.wake();
        }
    }

    /// Asks the driver to drop section `id`'s producer.
    pub(crate) fn stop(&mut self, id: u32) {
        self.stopped.push(id);
        if let Some(driver) = self.driver.take() {
            driver.wake();
        }
    }

    /// The body's side: the sections settled since it last looked, and its waker for the
    /// next ones.
    pub(crate) fn take_settled(&mut self, body: &Waker) -> Vec<u32> {
        if !self
            .body
            .as_ref()
            .is_some_and(|known| known.will_wake(body))
        {
            self.body = Some(body.clone());
        }
        std::mem::take(&mut self.settled)
    }

    /// The producers not yet handed over, to be dropped outside the lock (they may hold the
    /// page).
    pub(crate) fn take_incoming(&mut self) -> Vec<(u32, Producer)> {
        std::mem::take(&mut self.incoming)
    }
}

/// The page's driver task: runs until nothing is left to run, or the page aborts it
/// (`PageShared::cancel_all`).
pub(crate) struct Driver {
    page: Arc<PageShared>,
    running: FuturesUnordered<Running>,
    /// Whether the first poll, which only yields, is behind it.
    yielded: bool,
}

impl Driver {
    pub(crate) fn new(page: Arc<PageShared>) -> Self {
        Self {
            page,
            running: FuturesUnordered::new(),
            yielded: false,
        }
    }

    /// Takes the new producers and the stop requests, and registers this task's waker.
    fn collect(&mut self, cx: &Context<'_>) {
        let (incoming, stopped) = {
            let mut registry = self.page.lock();
            let mailbox = &mut registry.mailbox;
            if !mailbox
                .driver
                .as_ref()
                .is_some_and(|known| known.will_wake(cx.waker()))
            {
                mailbox.driver = Some(cx.waker().clone());
            }
            (
                std::mem::take(&mut mailbox.incoming),
                std::mem::take(&mut mailbox.stopped),
            )
        };
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
        let idle = self.running.is_empty() && registry.mailbox.incoming.is_empty();
        if idle {
            registry.mailbox.started = false;
            registry.mailbox.driver = None;
        }
        if settled.is_empty() {
            return idle;
        }
        for (id, outcome) in settled {
            let Some(entry) = registry.sections.get_mut(id as usize) else {
                continue;
            };
            if matches!(entry.state, SectionState::Running) {
                entry.state = SectionState::Settled(outcome);
                registry.mailbox.settled.push(id);
            }
        }
        if let Some(body) = registry.mailbox.body.take() {
            body.wake();
        }
        idle
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // Every producer was polled once when it was registered, so nothing is lost by
        // letting the tasks already queued (other requests) go first: spawned from a
        // worker, the driver would run next (tokio's LIFO slot), ahead of them, and under
        // a burst their first bytes came later (p50 +60 µs at 256 connections).
        if !std::mem::replace(&mut this.yielded, true) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.collect(cx);
        let mut settled = Vec::new();
        while let Poll::Ready(Some((id, outcome))) = this.running.poll_next_unpin(cx) {
            settled.extend(outcome.map(|outcome| (id, outcome)));
        }
        // Done when the last producer settled: an idle driver would wait for the page's end
        // to be aborted, one more task to schedule then, in the burst of finishing pages.
        // The lock orders this against `Registry::hand_over`: a producer handed over after
        // it spawns the next driver.
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
