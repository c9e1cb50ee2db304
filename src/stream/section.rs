//! One section: its fallback, its running producer, its timeout and its error views.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use futures::FutureExt;
use maud::{Markup, html};

use super::cache::CacheLookup;
use super::context::Context;
use super::engine::LiveProducer;
use super::fragment;
use super::policy::PageTexts;

/// A short random id shown on a failed section's error view and logged beside the real
/// error, so a reader's report can be matched to the log without showing internals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorId(String);

impl ErrorId {
    pub(crate) fn new() -> Self {
        Self(format!("{:08x}", rand::random::<u32>()))
    }

    /// The id as text, e.g. `"3fa2c91b"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ErrorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a section settled.
///
/// A timeout is expected (a slow dependency) and is logged at `warn`; an error returned by the
/// producer at `warn`; a panic is a bug and is logged at `error`. `Cancelled` only happens
/// when nobody reads the page any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum OutcomeKind {
    /// The producer returned its markup.
    Ok,
    /// The producer returned `Err`.
    Error,
    /// The producer panicked.
    Panic,
    /// The section's timeout, the page deadline or the server's drain deadline passed first.
    Timeout,
    /// The response was dropped before the section settled. The last variant: `timing`
    /// counts the outcomes by it.
    Cancelled,
}

impl OutcomeKind {
    /// Lower-case name, used as a log field and metric label.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Ok => "ok",
            OutcomeKind::Error => "error",
            OutcomeKind::Panic => "panic",
            OutcomeKind::Timeout => "timeout",
            OutcomeKind::Cancelled => "cancelled",
        }
    }
}

/// What a producer's task hands to the renderer.
#[derive(Debug)]
pub(crate) enum Outcome {
    Ready(String),
    Failed {
        error: String,
        panicked: bool,
    },
    TimedOut,
    /// Registered after its page was gone: never run, never shown.
    Cancelled,
}

impl Outcome {
    pub(crate) fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Ready(_) => OutcomeKind::Ok,
            Outcome::Failed {
                panicked: false, ..
            } => OutcomeKind::Error,
            Outcome::Failed { panicked: true, .. } => OutcomeKind::Panic,
            Outcome::TimedOut => OutcomeKind::Timeout,
            Outcome::Cancelled => OutcomeKind::Cancelled,
        }
    }
}

/// Wraps a producer so that an `Err` or a panic becomes an [`Outcome`] and the live-producer
/// count covers exactly the time the future exists.
pub(crate) async fn settle<F, E>(producer: F, live: LiveProducer) -> Outcome
where
    F: Future<Output = Result<Markup, E>> + Send + 'static,
    E: fmt::Display,
{
    let _live = live;
    match AssertUnwindSafe(producer).catch_unwind().await {
        Ok(Ok(markup)) => {
            let html = markup.into_string();
            match fragment::check(&html) {
                Ok(()) => Outcome::Ready(html),
                // Sent as is, it would swallow every section after it: the section shows
                // its error view instead, and the log says why.
                Err(reason) => Outcome::Failed {
                    error: format!(
                        "its HTML has {reason}, which would swallow the rest of the page"
                    ),
                    panicked: false,
                },
            }
        }
        Ok(Err(error)) => Outcome::Failed {
            error: error.to_string(),
            panicked: false,
        },
        Err(panic) => Outcome::Failed {
            error: panic_message(&*panic),
            panicked: true,
        },
    }
}

pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        format!("panic: {text}")
    } else if let Some(text) = panic.downcast_ref::<String>() {
        format!("panic: {text}")
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Renders a failed section for the reader.
pub(crate) type ErrorView = Arc<dyn Fn(&ErrorId) -> Markup + Send + Sync>;

/// The name of a section that was not given one with [`Slot::name`]. One shared label keeps
/// the metrics' cardinality bounded; logs and the timeline add the section's id.
pub(crate) const UNNAMED: &str = "unnamed";

/// Everything the renderer needs to place and settle one section.
pub(crate) struct SectionEntry {
    pub(crate) name: Cow<'static, str>,
    pub(crate) fallback: String,
    pub(crate) registered_at: Instant,
    pub(crate) timeout: Duration,
    pub(crate) on_error: Option<ErrorView>,
    pub(crate) on_timeout: Option<String>,
    /// How a cached section was found; `None` for a section that is not cached.
    pub(crate) cache: Option<CacheLookup>,
    pub(crate) state: SectionState,
    /// Whether the renderer has met the section's slot (a slot rendered twice is placed once).
    pub(crate) placed: bool,
    /// The `section` span the producer runs in; its name, outcome and latency are recorded
    /// on it when it settles. `Span::none()` unless `debug` tracing is on for braid.
    pub(crate) span: tracing::Span,
}

/// Where a section's outcome is while the page renders.
pub(crate) enum SectionState {
    /// Its outcome, not yet taken by the renderer: resolved while it was registered (the
    /// producer never waited), or delivered by the page's driver.
    Settled(Outcome),
    /// Its producer runs in the page's driver (`driver.rs`).
    Running,
    /// The renderer has taken its outcome, or stopped waiting for it (timed out).
    Taken,
}

impl SectionEntry {
    /// The outcome, if the section has settled and the renderer has not taken it yet; the
    /// section is then `Taken`.
    pub(crate) fn take_outcome(&mut self) -> Option<Outcome> {
        if !matches!(self.state, SectionState::Settled(_)) {
            return None;
        }
        match std::mem::replace(&mut self.state, SectionState::Taken) {
            SectionState::Settled(outcome) => Some(outcome),
            SectionState::Running | SectionState::Taken => None,
        }
    }

    /// The HTML that replaces the fallback. A failure is logged here with a fresh [`ErrorId`],
    /// which is all the reader sees of it. The default views take the element that shows
    /// where the section stands (`context`); a page's own views are its to fit.
    pub(crate) fn view(
        &self,
        outcome: Outcome,
        page: &str,
        context: Context,
        texts: &PageTexts,
    ) -> String {
        match outcome {
            Outcome::Ready(html) => html,
            Outcome::Failed { error, panicked } => {
                let id = ErrorId::new();
                let section = &*self.name;
                if panicked {
                    tracing::error!(page, section, error_id = %id, %error, "section panicked");
                } else {
                    tracing::warn!(page, section, error_id = %id, %error, "section failed");
                }
                match &self.on_error {
                    Some(view) => view(&id).into_string(),
                    None => error_view_in(texts, context, &id).into_string(),
                }
            }
            Outcome::TimedOut => {
                tracing::warn!(page, section = &*self.name, timeout = ?self.timeout, "section timed out");
                match &self.on_timeout {
                    Some(view) => view.clone(),
                    None => timeout_view_in(texts, context).into_string(),
                }
            }
            Outcome::Cancelled => String::new(),
        }
    }
}

/// [`default_error_view`], in `texts`, as an element that shows where a section stands: a
/// `<div>` would be moved out of a table, close a paragraph, or be invisible inside `<svg>`.
fn error_view_in(texts: &PageTexts, context: Context, id: &ErrorId) -> Markup {
    if context == Context::Flow {
        return error_view(texts, id);
    }
    let text = format!("{} {} {id}", texts.section_failed, texts.error_id);
    notice_in(context, "braid-error", "alert", &text)
}

/// [`default_timeout_view`], in `texts`, as an element that shows where a section stands.
fn timeout_view_in(texts: &PageTexts, context: Context) -> Markup {
    let text = &texts.section_timed_out;
    if context == Context::Flow {
        return html! { div class="braid-timeout" role="status" { (text) } };
    }
    notice_in(context, "braid-timeout", "status", text)
}

fn error_view(texts: &PageTexts, id: &ErrorId) -> Markup {
    html! {
        div class="braid-error" role="alert" {
            (texts.section_failed) " "
            small { (texts.error_id) " " code { (id) } }
        }
    }
}

/// A one-line notice as the element `context` takes: a row, a cell, a `<span>` in a
/// paragraph, an `<option>`, SVG `<text>`, MathML `<mtext>`; nothing where nothing shows (a
/// column group, raw text).
fn notice_in(context: Context, class: &str, role: &str, text: &str) -> Markup {
    match context {
        Context::Flow => html! { div class=(class) role=(role) { (text) } },
        Context::Paragraph => html! { span class=(class) role=(role) { (text) } },
        Context::Table => html! {
            tbody { tr class=(class) role=(role) { td colspan="1000" { (text) } } }
        },
        Context::TableSection => html! {
            tr class=(class) role=(role) { td colspan="1000" { (text) } }
        },
        Context::Row => html! { td class=(class) role=(role) { (text) } },
        Context::Select => html! { option class=(class) disabled { (text) } },
        Context::Svg => html! { text class=(class) role=(role) y="1em" { (text) } },
        Context::MathMl => html! { mtext class=(class) { (text) } },
        Context::ColumnGroup | Context::RawText => html! {},
    }
}

/// The view of a section whose producer failed or panicked, in the default texts (an
/// engine uses its [`PageTexts`]).
pub fn default_error_view(id: &ErrorId) -> Markup {
    error_view(&PageTexts::default(), id)
}

/// The view of a section that did not settle in time, in the default texts (an engine uses
/// its [`PageTexts`]).
pub fn default_timeout_view() -> Markup {
    timeout_view_in(&PageTexts::default(), Context::Flow)
}
