//! What a page's body, its driver (`driver.rs`) and the code registering its sections
//! exchange, under the page registry's lock: producers handed to the driver, sections
//! settled for the body, producers the body stopped waiting for, and their two wakers.

use std::future::Future;
use std::pin::Pin;
use std::task::Waker;

use futures::task::AtomicWaker;

use super::section::Outcome;

/// A section's producer, wrapped by `section::settle`.
pub(crate) type Producer = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// The exchange itself; one per page, in its `Registry`.
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
    driver: AtomicWaker,
    body: AtomicWaker,
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
        self.driver.wake();
    }

    /// Asks the driver to drop section `id`'s producer.
    pub(crate) fn stop(&mut self, id: u32) {
        self.stopped.push(id);
        self.driver.wake();
    }

    /// The body's side: the sections settled since it last looked, and its waker for the
    /// next ones.
    pub(crate) fn take_settled(&mut self, body: &Waker) -> Vec<u32> {
        self.body.register(body);
        std::mem::take(&mut self.settled)
    }

    /// The producers not yet handed over, to be dropped outside the lock (they may hold the
    /// page).
    pub(crate) fn take_incoming(&mut self) -> Vec<(u32, Producer)> {
        std::mem::take(&mut self.incoming)
    }

    /// The driver's side: the new producers and the stop requests, and its waker for the
    /// next ones.
    pub(crate) fn collect(&mut self, driver: &Waker) -> (Vec<(u32, Producer)>, Vec<u32>) {
        self.driver.register(driver);
        (
            std::mem::take(&mut self.incoming),
            std::mem::take(&mut self.stopped),
        )
    }

    /// The driver, with nothing left to run, ends unless a producer came in meanwhile:
    /// `true` if it ends (the next hand-over spawns a new one).
    pub(crate) fn end_if_idle(&mut self) -> bool {
        if !self.incoming.is_empty() {
            return false;
        }
        self.started = false;
        self.driver.take();
        true
    }

    /// Section `id`'s outcome is in the registry, for the body.
    pub(crate) fn settled(&mut self, id: u32) {
        self.settled.push(id);
    }

    /// Wakes the body, if it waits.
    pub(crate) fn wake_body(&self) {
        self.body.wake();
    }
}
