//! Shared, memoised async values that several dependent sections await.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;

use futures::FutureExt;
use futures::future::{self, BoxFuture, Shared};

use super::registry::{PageShared, poll_once};
use super::section::panic_message;

/// A value that starts computing when it is registered and is computed once, however many
/// sections await it. Cheap to clone: clones share the one computation.
///
/// Only sections that call [`Resource::get`] wait for it; the page's other sections never do.
///
/// # Examples
///
/// ```
/// # use braid::stream::{Page, Shell};
/// # use maud::html;
/// # async fn handler(page: Page) -> axum::response::Response {
/// let customer = page.resource(async { Ok::<_, std::io::Error>(String::from("Ada")) });
/// let header = page.section(html! { "…" }, {
///     let customer = customer.clone();
///     async move { Ok::<_, braid::stream::ResourceError>(html! { h1 { (customer.get().await?) } }) }
/// });
/// let greeting = page.section(html! { "…" }, async move {
///     Ok::<_, braid::stream::ResourceError>(html! { p { "Hello, " (customer.get().await?) } })
/// });
/// page.render(Shell { head: html! {}, body: html! { (header) (greeting) } })
/// # }
/// ```
pub struct Resource<T> {
    value: Shared<BoxFuture<'static, Result<T, ResourceError>>>,
}

impl<T> Clone for Resource<T> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
        }
    }
}

impl<T> fmt::Debug for Resource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("ready", &self.value.peek().is_some())
            .finish()
    }
}

impl<T: Clone + Send + Sync + 'static> Resource<T> {
    pub(crate) fn start<E, F>(page: &PageShared, producer: F) -> Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let live = page.engine.live_producer();
        let mut task = Box::pin(async move {
            let _live = live;
            match AssertUnwindSafe(producer).catch_unwind().await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) => Err(ResourceError::new(error.to_string())),
                Err(panic) => Err(ResourceError::new(panic_message(&*panic))),
            }
        });
        let value = match poll_once(&mut task) {
            Poll::Ready(result) => future::ready(result).boxed(),
            Poll::Pending => match page.spawn(task) {
                Some(handle) => async move {
                    handle
                        .await
                        .unwrap_or_else(|_| Err(ResourceError::new("cancelled".into())))
                }
                .boxed(),
                None => future::ready(Err(ResourceError::new("cancelled".into()))).boxed(),
            },
        };
        Resource {
            value: value.shared(),
        }
    }

    /// Waits for the value (at once if it is ready) and returns a clone of it.
    ///
    /// # Errors
    ///
    /// A [`ResourceError`] if the producer returned `Err`, panicked or was cancelled; every
    /// caller sees the same result.
    pub async fn get(&self) -> Result<T, ResourceError> {
        self.value.clone().await
    }
}

/// A resource's producer failed, panicked or was cancelled. Its `Display` is the underlying
/// message, meant for the log: a section that returns it shows only an error id.
#[derive(Debug, Clone)]
pub struct ResourceError(Arc<str>);

impl ResourceError {
    fn new(message: String) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "resource failed: {}", self.0)
    }
}

impl std::error::Error for ResourceError {}
