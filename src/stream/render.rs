//! Turns the shell and the page's sections into the response body stream, in each mode.
//!
//! The body is pulled by hyper: braid renders the next chunk only when the connection can take
//! it, so a slow reader holds at most one chunk and the sections' results (backpressure), and
//! dropping the body drops every pending producer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures::stream::Stream;
use http::{HeaderValue, header};
use maud::Markup;
use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::context::{self, Tracker};
use super::engine::StreamInFlight;
use super::fragment;
use super::liveness::HEARTBEAT;
use super::mode::Mode;
use super::protocol;
use super::registry::PageShared;
use super::section::OutcomeKind;
use super::section::{Outcome, SectionEntry, SectionState};
use super::timeline;
use super::timing::{self, PageMetrics, SectionTiming};

/// The page's document: what goes in `<head>` (title, stylesheets) and the `<body>` markup with
/// its slots. braid writes the doctype, `<html>`, the charset and viewport tags, the swap
/// runtime and the closing tags.
#[derive(Debug, Clone)]
pub struct Shell {
    /// Markup inside `<head>`, after braid's own meta tags.
    pub head: Markup,
    /// Markup inside `<body>`: layout, navigation and the sections' slots.
    pub body: Markup,
}

/// Builds the streamed response: headers now, body as the client reads.
pub(crate) fn respond(page: Arc<PageShared>, shell: Shell) -> Response {
    let csp = page
        .engine
        .config()
        .policy
        .content_security_policy(&page.nonce);
    let mut stream = PageStream::new(page, shell);
    // A page whose sections were all ready is one document of known length: no chunked
    // framing, no stream to poll.
    let body = match stream.complete_document() {
        Some(document) => Body::from(document),
        None => Body::from_stream(stream),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-transform"),
    );
    // Tells nginx (and compatible proxies) not to buffer this response.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    if let Ok(csp) = HeaderValue::try_from(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// The body of one page response.
struct PageStream {
    page: Arc<PageShared>,
    /// Markup still to be written, innermost last; each with the offset reached so far.
    documents: Vec<(String, usize)>,
    /// Out-of-order mode: the placed sections still running, by id (`pending.len()` of them).
    pending: Pending,
    /// In-order and blocking modes: the section the document is paused at.
    paused_at: Option<Waiting>,
    /// Fires when the server's drain deadline passes; made on the first wait only.
    drain: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// Once the client has closed its sending side: the next heartbeat (see `liveness`).
    heartbeat: Option<Pin<Box<Sleep>>>,
    /// The page's one timer, set to the earliest deadline of the sections it waits for
    /// (`timer_at`; `None` when nothing is timed): one timer per page, not one per section.
    timer: Option<Pin<Box<Sleep>>>,
    timer_at: Option<Instant>,
    out: String,
    /// Out-of-order mode: where the markup written so far leaves the parser (see `context`),
    /// followed lazily: only when a pending slot needs its context.
    tracker: Tracker,
    /// How much of `out` the tracker has followed.
    tracked_to: usize,
    /// Sections placed inside raw-text elements: the id, the element's start in `out` when
    /// it was marked, and the wrapper of its text (see `context::text_wrapper`).
    text_slots: Vec<(u32, usize, &'static str)>,
    /// The page's metric handles, looked up once.
    metrics: Arc<PageMetrics>,
    /// Kept only for `?debug=timeline`.
    timings: Vec<SectionTiming>,
    shell_at: Duration,
    /// The time sections settling in this poll are recorded at: read once per poll (a
    /// clock read per section cost about 200 instructions).
    clock: Option<Instant>,
    finished: bool,
    _in_flight: StreamInFlight,
}

/// What to do with a slot found in the markup.
enum Placement {
    /// Its HTML (or error/timeout view) is known: splice it in.
    Ready(String),
    /// Still running: show the fallback and wait.
    Pending { fallback: String, waiting: Waiting },
    /// Rendered twice or unknown: write nothing.
    Missing,
}

impl PageStream {
    /// A body whose shell is already written: the sections that are ready now are in it.
    fn new(page: Arc<PageShared>, shell: Shell) -> Self {
        let in_flight = page.engine.stream_in_flight();
        let prefix = page.engine.config().policy.metric_prefix_name();
        let metrics = timing::page_metrics(prefix, &page.name);
        let mut stream = Self {
            page,
            documents: Vec::new(),
            pending: Pending::default(),
            paused_at: None,
            drain: None,
            heartbeat: None,
            timer: None,
            timer_at: None,
            out: String::new(),
            tracker: Tracker::default(),
            tracked_to: 0,
            text_slots: Vec::new(),
            metrics,
            timings: Vec::new(),
            shell_at: Duration::ZERO,
            clock: None,
            finished: false,
            _in_flight: in_flight,
        };
        stream.start(shell);
        stream
    }

    /// The whole document, if nothing is left to wait for.
    fn complete_document(&mut self) -> Option<Bytes> {
        if !self.pending.is_empty() || self.paused_at.is_some() {
            return None;
        }
        self.finish();
        Some(Bytes::from(std::mem::take(&mut self.out)))
    }

    /// Writes the shell: every section already settled is spliced in; the fallback runtime is
    /// included only if some section is still pending, so a page whose data is all ready is
    /// one plain HTML document.
    fn start(&mut self, shell: Shell) {
        let body = shell.body.into_string();
        let head = shell.head.into_string();
        // Room for the sections spliced in; a streamed shell is about its own size.
        self.out.reserve(head.len() + 2 * body.len() + 256);
        let policy = &self.page.engine.config().policy;
        protocol::write_document_start(&mut self.out, policy.lang_tag(), &head);
        let head_end = self.out.len() - protocol::HEAD_END.len();
        self.tracked_to = self.out.len();
        self.documents.push((body, 0));
        self.paused_at = self.expand();
        if self.page.mode == Mode::OutOfOrder && !self.pending.is_empty() {
            let policy = &self.page.engine.config().policy;
            let no_script_url = in_order_url(self.page.uri.as_ref(), policy.stream_param_name());
            let link = &policy.page_texts().no_script_link;
            let runtime = protocol::runtime_head_end(&self.page.nonce, &no_script_url, link);
            // Copied into a new buffer: `replace_range` inserts the runtime byte by byte
            // (about 27,000 instructions on the dashboard's shell).
            let mut out = String::with_capacity(self.out.len() + runtime.len());
            out.push_str(&self.out[..head_end]);
            out.push_str(&runtime);
            out.push_str(&self.out[head_end + protocol::HEAD_END.len()..]);
            self.out = out;
        }
        self.shell_at = self.metrics.record_shell_flush(self.page.started);
    }

    /// Writes markup from the document stack into `self.out` until it ends, or, in the
    /// sequential modes, until a pending section, which it returns.
    fn expand(&mut self) -> Option<Waiting> {
        let out_of_order = self.page.mode == Mode::OutOfOrder;
        while let Some((html, offset)) = self.documents.last_mut() {
            let rest = &html[*offset..];
            let Some((range, id)) = self.page.marker.find(rest) else {
                self.out.push_str(rest);
                self.documents.pop();
                continue;
            };
            self.out.push_str(&rest[..range.start]);
            *offset += range.end;
            match self.place(id) {
                Placement::Ready(html) => self.documents.push((html, 0)),
                Placement::Pending {
                    fallback,
                    mut waiting,
                } if out_of_order => {
                    waiting.context = self.slot_context();
                    if waiting.context == context::Context::RawText {
                        let fallback = self.fitting_fallback(id, waiting.context, fallback);
                        if self.mark_text_slot(id, &fallback) {
                            self.pending.insert(waiting);
                        } else {
                            self.drop_unplaceable(waiting, &fallback);
                        }
                        continue;
                    }
                    let fallback = self.fitting_fallback(id, waiting.context, fallback);
                    protocol::write_placeholder(
                        &mut self.out,
                        id,
                        self.page.range_key(),
                        &fallback,
                    );
                    self.tracked_to = self.out.len();
                    self.pending.insert(waiting);
                }
                Placement::Pending { waiting, .. } => return Some(waiting),
                Placement::Missing => {}
            }
        }
        None
    }

    /// Where the end of `out` stands: the tracker follows what was written since it last
    /// looked (shell markup, sections spliced in, earlier placeholders).
    fn slot_context(&mut self) -> context::Context {
        self.tracker
            .feed_from(&self.out[self.tracked_to..], self.tracked_to);
        self.tracked_to = self.out.len();
        self.tracker.context()
    }

    /// A slot inside a raw-text element (`<textarea>`, `<script>`, …), where no range can
    /// stand: the element's start tag gets `data-braid-text="b<id>.<key>"` and the fallback
    /// goes in as its text, which the section's text replaces (`write_text_chunk`). `false`
    /// when the element already holds a slot, or its start tag is no longer in `out`.
    fn mark_text_slot(&mut self, id: u32, fallback: &str) -> bool {
        let Some((element, start)) = self.tracker.raw_text_element() else {
            return false;
        };
        let taken = self.text_slots.iter().any(|(_, at, _)| *at == start);
        let name_end = start + 1 + element.len();
        let in_out = self
            .out
            .get(start + 1..name_end)
            .is_some_and(|name| name.as_bytes().eq_ignore_ascii_case(element));
        if taken || !in_out {
            return false;
        }
        let attribute = format!(" data-braid-text=\"b{id}.{}\"", self.page.range_key());
        self.out.insert_str(name_end, &attribute);
        self.out.push_str(fallback);
        self.tracked_to = self.out.len();
        self.text_slots
            .push((id, start, context::text_wrapper(element)));
        true
    }

    /// A second slot in one raw-text element cannot be told apart from the first: its
    /// fallback stays as text, and its producer is stopped. Warned in every build, since
    /// the section is lost; in-order and blocking modes place it.
    fn drop_unplaceable(&mut self, waiting: Waiting, fallback: &str) {
        self.stop(waiting.id);
        self.out.push_str(fallback);
        let section = self.section_name(waiting.id);
        tracing::warn!(
            page = &*self.page.name,
            section,
            "section {section:?} is the second slot in one element of {} and cannot stream \
             out of order: it is left out (one slot per element, or in-order mode)",
            context::Context::RawText.describe()
        );
    }

    fn section_name(&self, id: u32) -> String {
        let registry = self.page.lock();
        registry
            .sections
            .get(id as usize)
            .map_or_else(|| "unnamed".to_string(), |entry| entry.name.to_string())
    }

    /// The fallback itself if the parser leaves it where it stands in `context` and it
    /// closes what it opens; else nothing, with a warning naming the section (debug builds;
    /// a debug-level event in release builds, where it would repeat on every request): a
    /// fallback the parser moves out of its range would stay on screen after the section
    /// arrives, and one that leaves an element open takes the range's end inside it.
    fn fitting_fallback(&self, id: u32, context: context::Context, fallback: String) -> String {
        let Err(moved) = self.page.engine.fallback_fits(context, &fallback) else {
            return fallback;
        };
        let section = self.section_name(id);
        let where_ = context.describe();
        if cfg!(debug_assertions) {
            tracing::warn!(
                page = &*self.page.name,
                section,
                "the fallback of section {section:?} cannot stand in {where_}: {moved} would \
                 break the section's range (the HTML parser moves it, or the range's end \
                 would land inside it); sent without a fallback"
            );
        } else {
            tracing::debug!(page = &*self.page.name, section, %moved, context = where_,
                "fallback cannot stand where its slot is; sent without it");
        }
        String::new()
    }

    /// Takes section `id` out of the registry for the document.
    fn place(&mut self, id: u32) -> Placement {
        let mut registry = self.page.lock();
        let Some(entry) = registry.sections.get_mut(id as usize) else {
            return Placement::Missing;
        };
        if std::mem::replace(&mut entry.placed, true) {
            tracing::warn!(
                page = &*self.page.name,
                id,
                "a slot was rendered twice; only its first place gets the section"
            );
            return Placement::Missing;
        }
        let outcome = match entry.take_outcome() {
            Some(outcome) => outcome,
            None if matches!(entry.state, SectionState::Running) => {
                let deadline = (entry.registered_at + entry.timeout)
                    .min(self.page.started + self.page.engine.config().page_deadline);
                let fallback = std::mem::take(&mut entry.fallback);
                drop(registry);
                self.arm_timer(deadline);
                return Placement::Pending {
                    fallback,
                    waiting: Waiting::new(id, deadline),
                };
            }
            None => return Placement::Missing,
        };
        drop(registry);
        Placement::Ready(self.settle(id, outcome, context::Context::Flow))
    }

    /// Stops waiting for section `id`: its producer is dropped by the driver, and an outcome
    /// it delivers from now on is discarded.
    fn stop(&self, id: u32) {
        let mut registry = self.page.lock();
        if let Some(entry) = registry.sections.get_mut(id as usize) {
            entry.state = SectionState::Taken;
        }
        registry.mailbox.stop(id);
    }

    /// Records how section `id` settled and returns its HTML (default views made for
    /// `context`).
    fn settle(&mut self, id: u32, outcome: Outcome, context: context::Context) -> String {
        let registry = self.page.lock();
        let Some(entry) = registry.sections.get(id as usize) else {
            return String::new();
        };
        let now = *self.clock.get_or_insert_with(Instant::now);
        let timing = SectionTiming::record(
            &self.metrics,
            self.page.started,
            now,
            id,
            entry,
            outcome.kind(),
        );
        if self.page.timeline {
            self.timings.push(timing);
        }
        let texts = self.page.engine.config().policy.page_texts();
        entry.view(outcome, &self.page.name, context, texts)
    }

    /// Out-of-order: one chunk per section settled since the last poll.
    fn poll_out_of_order(&mut self, cx: &mut Context<'_>) {
        while !self.pending.is_empty() {
            if self.poll_drain(cx) {
                for waiting in self.pending.take_all() {
                    self.write_timed_out(waiting);
                }
                continue;
            }
            for waiting in self.take_expired(cx) {
                self.write_timed_out(waiting);
            }
            let arrived = self.take_arrived(cx);
            if arrived.is_empty() {
                return;
            }
            // One reservation for the batch: growing `out` chunk by chunk copied it again
            // and again.
            let bytes: usize = arrived
                .iter()
                .map(|(_, outcome)| match outcome {
                    Outcome::Ready(html) => html.len() + protocol::CHUNK_FRAMING,
                    _ => 4 * protocol::CHUNK_FRAMING,
                })
                .sum();
            self.out.reserve(bytes);
            for (waiting, outcome) in arrived {
                self.write_section_chunk(waiting.id, waiting.context, outcome);
            }
        }
        self.finish();
    }

    /// Out-of-order: the waited-for sections that settled since the last look, with their
    /// outcomes, taken out of `pending` and the registry under one lock. A section not
    /// waited for keeps its outcome in the registry: it settled before its slot was met,
    /// where it is spliced in.
    fn take_arrived(&mut self, cx: &Context<'_>) -> Vec<(Waiting, Outcome)> {
        let mut registry = self.page.lock();
        let settled = registry.mailbox.take_settled(cx.waker());
        let mut arrived = Vec::with_capacity(settled.len());
        for id in settled {
            let Some(entry) = registry.sections.get_mut(id as usize) else {
                continue;
            };
            if !self.pending.contains(id) {
                continue;
            }
            if let Some(outcome) = entry.take_outcome()
                && let Some(waiting) = self.pending.remove(id)
            {
                arrived.push((waiting, outcome));
            }
        }
        arrived
    }

    /// Out-of-order: stops `waiting`'s producer and sends its timeout view.
    fn write_timed_out(&mut self, waiting: Waiting) {
        self.stop(waiting.id);
        self.write_section_chunk(waiting.id, waiting.context, Outcome::TimedOut);
    }

    /// One section's chunk; slots nested in its HTML are placed in `context`, where the
    /// section itself stands.
    fn write_section_chunk(&mut self, id: u32, context: context::Context, outcome: Outcome) {
        if context == context::Context::RawText {
            return self.write_text_chunk(id, outcome);
        }
        let html = self.chunk_html(id, context, outcome);
        let foreign = context.foreign_wrapper();
        protocol::write_chunk_start(&mut self.out, id, self.page.range_key(), foreign);
        self.tracker = Tracker::at(context);
        self.tracked_to = self.out.len();
        self.documents.push((html, 0));
        self.expand();
        protocol::write_chunk_end(&mut self.out, id, self.page.range_key(), foreign);
    }

    /// The chunk of a section inside a raw-text element: its HTML is that element's text,
    /// as in blocking mode. Text that would end the wrapper early is left out, and logged.
    fn write_text_chunk(&mut self, id: u32, outcome: Outcome) {
        let wrapper = self
            .text_slots
            .iter()
            .find(|(slot, _, _)| *slot == id)
            .map_or("xmp", |(_, _, wrapper)| *wrapper);
        let mut text = self.settle(id, outcome, context::Context::RawText);
        let closing = format!("</{wrapper}");
        if text.to_ascii_lowercase().contains(&closing) {
            let section = self.section_name(id);
            tracing::warn!(
                page = &*self.page.name,
                section,
                "the text of section {section:?} holds {closing}>, which would end it early: left out"
            );
            text.clear();
        }
        protocol::write_text_chunk(&mut self.out, id, self.page.range_key(), wrapper, &text);
    }

    /// A section's HTML for its chunk. In foreign content it is parsed as SVG or MathML, where
    /// `<style>` is not raw text and `<![CDATA[` opens a section: HTML that would leave that
    /// tokenizer in another state gets the error view instead. HTML that the parser would
    /// move out of place is sent as it is, with a warning (debug builds): the page is wrong
    /// in every mode, but differently.
    fn chunk_html(&mut self, id: u32, context: context::Context, outcome: Outcome) -> String {
        let outcome = match outcome {
            Outcome::Ready(html) if context.foreign_wrapper().is_some() => {
                match fragment::check_foreign(&html) {
                    Ok(()) => Outcome::Ready(html),
                    Err(reason) => Outcome::Failed {
                        error: format!("the section's HTML would swallow the page: {reason}"),
                        panicked: false,
                    },
                }
            }
            outcome => outcome,
        };
        let html = self.settle(id, outcome, context);
        if cfg!(debug_assertions)
            && let Err(moved) = context::fit(context, &html)
        {
            let section = self.section_name(id);
            tracing::warn!(
                page = &*self.page.name,
                section,
                "the HTML of section {section:?} does not fit {}: the HTML parser would move \
                 {moved}, so the page differs from the one without streaming",
                context.describe()
            );
        }
        html
    }

    /// In-order and blocking: the document in order, pausing at each pending section.
    fn poll_in_order(&mut self, cx: &mut Context<'_>) {
        loop {
            if self.paused_at.is_some() {
                if self.page.mode == Mode::InOrder && !self.out.is_empty() {
                    return; // send what comes before the pause first
                }
                let Some((id, outcome)) = self.poll_paused(cx) else {
                    return;
                };
                let html = self.settle(id, outcome, context::Context::Flow);
                self.documents.push((html, 0));
            }
            match self.expand() {
                Some(waiting) => self.paused_at = Some(waiting),
                None => return self.finish(),
            }
        }
    }

    /// The section the document is paused at, once it settled, timed out or the server's
    /// drain deadline passed; `None` while it runs (left in `paused_at`).
    fn poll_paused(&mut self, cx: &mut Context<'_>) -> Option<(u32, Outcome)> {
        let drained = self.poll_drain(cx);
        let (waiting, expired) = match self.take_expired(cx).pop() {
            Some(waiting) => (waiting, true),
            None => (self.paused_at.take()?, false),
        };
        if drained || expired {
            self.stop(waiting.id);
            return Some((waiting.id, Outcome::TimedOut));
        }
        let outcome = {
            let mut registry = self.page.lock();
            // Registers this body's waker with the driver; the ids are not needed: only the
            // section paused at is waited for.
            registry.mailbox.take_settled(cx.waker());
            registry
                .sections
                .get_mut(waiting.id as usize)
                .and_then(SectionEntry::take_outcome)
        };
        match outcome {
            Some(outcome) => Some((waiting.id, outcome)),
            None => {
                self.paused_at = Some(waiting);
                None
            }
        }
    }

    /// Sets the page's timer to `deadline` unless it already fires sooner.
    fn arm_timer(&mut self, deadline: Instant) {
        if self.timer_at.is_some_and(|at| at <= deadline) {
            return;
        }
        self.timer_at = Some(deadline);
        match &mut self.timer {
            Some(timer) => timer.as_mut().reset(deadline),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
    }

    /// Once the page's timer fires: the sections waited for whose deadline has passed, taken
    /// out of `pending` and `paused_at` at once (a producer that never yields cannot hold
    /// the page), and the timer set again for the earliest deadline left.
    fn take_expired(&mut self, cx: &mut Context<'_>) -> Vec<Waiting> {
        let fired = match (&mut self.timer, self.timer_at) {
            (Some(timer), Some(_)) => timer.as_mut().poll(cx).is_ready(),
            _ => false,
        };
        if !fired {
            return Vec::new();
        }
        self.timer_at = None;
        let now = Instant::now();
        let expired = self.expired_by(now);
        let waiting = self.pending.iter().chain(&self.paused_at);
        if let Some(next) = waiting.map(|waiting| waiting.deadline).min() {
            self.arm_timer(next);
            // Registers the waker; a deadline already passed is taken on the next round.
            if self
                .timer
                .as_mut()
                .is_some_and(|timer| timer.as_mut().poll(cx).is_ready())
            {
                cx.waker().wake_by_ref();
            }
        }
        expired
    }

    /// The sections waited for whose deadline has passed at `now` while their producer runs,
    /// taken out of `pending` and `paused_at`: a section that settled in time but whose page
    /// was polled late keeps its content.
    fn expired_by(&mut self, now: Instant) -> Vec<Waiting> {
        let late: Vec<u32> = self
            .pending
            .iter()
            .chain(&self.paused_at)
            .filter(|waiting| waiting.deadline <= now)
            .map(|waiting| waiting.id)
            .collect();
        if late.is_empty() {
            return Vec::new();
        }
        let running: Vec<u32> = {
            let registry = self.page.lock();
            let is_running = |id: &u32| {
                registry
                    .sections
                    .get(*id as usize)
                    .is_some_and(|entry| matches!(entry.state, SectionState::Running))
            };
            late.into_iter().filter(is_running).collect()
        };
        let mut expired: Vec<Waiting> = running
            .iter()
            .filter_map(|id| self.pending.remove(*id))
            .collect();
        expired.extend(
            self.paused_at
                .take_if(|waiting| running.contains(&waiting.id)),
        );
        expired
    }

    /// Whether the server's drain deadline has passed.
    ///
    /// The token's future is polled once, to register this body's waker (the connection's
    /// task, which always polls it); after that an atomic load answers.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> bool {
        if self.page.engine.is_draining() {
            return true;
        }
        if self.drain.is_some() {
            return false;
        }
        let mut drain = Box::pin(self.page.engine.drain_token().clone().cancelled_owned());
        let drained = drain.as_mut().poll(cx).is_ready();
        self.drain = Some(drain);
        drained
    }

    /// While the page waits and its client has closed its sending side: whether a
    /// heartbeat is due (at once, then every [`HEARTBEAT`]); a write fails once the client
    /// is gone (see `liveness`).
    fn heartbeat_due(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(read_closed) = &self.page.read_closed else {
            return false;
        };
        read_closed.register(cx.waker());
        if !read_closed.is_marked() {
            return false;
        }
        // The first heartbeat at once: its write draws the reset of a client that left,
        // and the next one, a heartbeat later, fails.
        let beat = self
            .heartbeat
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::ZERO)));
        if beat.as_mut().poll(cx).is_pending() {
            return false;
        }
        beat.as_mut().reset(tokio::time::Instant::now() + HEARTBEAT);
        true
    }

    /// The bytes of a heartbeat, harmless where this mode writes them: a newline after the
    /// shell (out-of-order) or before the document (blocking, which holds the document until
    /// the end), an empty comment where an in-order document is paused (a newline would show
    /// inside a `<pre>`).
    fn heartbeat(&self) -> &'static str {
        match self.page.mode {
            Mode::InOrder => "<!---->",
            Mode::OutOfOrder | Mode::Blocking => "\n",
        }
    }

    fn finish(&mut self) {
        if self.page.timeline {
            let total = self.page.started.elapsed();
            let waterfall = timeline::render(&self.timings, self.shell_at, total);
            self.out.push_str(&waterfall.into_string());
        }
        self.out.push_str(protocol::DOCUMENT_END);
        self.finished = true;
        // Sections registered but never placed in the markup have no reader: stop them.
        self.page.cancel_all();
    }
}

impl Stream for PageStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.clock = None;
        if !this.finished {
            match this.page.mode {
                Mode::OutOfOrder => this.poll_out_of_order(cx),
                Mode::InOrder | Mode::Blocking => this.poll_in_order(cx),
            }
        }
        let idle = this.out.is_empty() || this.page.mode == Mode::Blocking;
        if !this.finished && idle && this.heartbeat_due(cx) {
            return Poll::Ready(Some(Ok(Bytes::from_static(this.heartbeat().as_bytes()))));
        }
        let ready_to_send = this.finished || this.page.mode != Mode::Blocking;
        if this.out.is_empty() || !ready_to_send {
            return if this.finished {
                Poll::Ready(None)
            } else {
                Poll::Pending
            };
        }
        let chunk = std::mem::take(&mut this.out);
        Poll::Ready(Some(Ok(Bytes::from(chunk))))
    }
}

impl Drop for PageStream {
    fn drop(&mut self) {
        // The client left (or the response ended): nothing may keep running for it.
        self.page.cancel_all();
        let waiting = self.pending.iter().chain(&self.paused_at);
        let ids: Vec<u32> = waiting.map(|waiting| waiting.id).collect();
        if ids.is_empty() {
            return;
        }
        let registry = self.page.lock();
        let now = Instant::now();
        for id in ids {
            if let Some(entry) = registry.sections.get(id as usize) {
                SectionTiming::record(
                    &self.metrics,
                    self.page.started,
                    now,
                    id,
                    entry,
                    OutcomeKind::Cancelled,
                );
            }
        }
    }
}

/// A placed section still running (in the page's driver), its deadline, and (out of order)
/// where its slot stands. The deadline is kept by the page's one timer
/// (`PageStream::take_expired`).
struct Waiting {
    id: u32,
    deadline: Instant,
    context: context::Context,
}

impl Waiting {
    fn new(id: u32, deadline: Instant) -> Self {
        Self {
            id,
            deadline,
            context: context::Context::Flow,
        }
    }
}

/// The sections an out-of-order page waits for, by id: found in constant time as their
/// producers settle (ids are the registry's indices, so dense).
#[derive(Default)]
struct Pending {
    by_id: Vec<Option<Waiting>>,
    len: usize,
}

impl Pending {
    fn insert(&mut self, waiting: Waiting) {
        let at = waiting.id as usize;
        if self.by_id.len() <= at {
            self.by_id.resize_with(at + 1, || None);
        }
        if self.by_id[at].replace(waiting).is_none() {
            self.len += 1;
        }
    }

    fn contains(&self, id: u32) -> bool {
        self.by_id.get(id as usize).is_some_and(Option::is_some)
    }

    fn remove(&mut self, id: u32) -> Option<Waiting> {
        let waiting = self.by_id.get_mut(id as usize)?.take()?;
        self.len -= 1;
        Some(waiting)
    }

    fn take_all(&mut self) -> Vec<Waiting> {
        self.len = 0;
        std::mem::take(&mut self.by_id)
            .into_iter()
            .flatten()
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn iter(&self) -> impl Iterator<Item = &Waiting> {
        self.by_id.iter().flatten()
    }
}

/// The same page in in-order mode, as a relative URL keeping the other query parameters.
fn in_order_url(uri: Option<&http::Uri>, stream_param: &str) -> String {
    let query = uri.and_then(|uri| uri.query()).unwrap_or("");
    let mut url = form_urlencoded::Serializer::for_suffix(String::from("?"), 1);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != stream_param {
            url.append_pair(&key, &value);
        }
    }
    url.append_pair(stream_param, Mode::InOrder.as_param());
    url.finish()
}
