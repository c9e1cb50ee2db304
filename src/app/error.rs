//! The app's error type: one status per variant, rendered as a small complete page.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use maud::{Markup, html};
use tower_sessions::Session;

use super::auth::SignedIn;
use super::auth::session::signed_in;
use super::components::layout;

/// What a handler can fail with before its page starts streaming.
///
/// Errors inside a section never come here: they become that section's error view.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Return `404 Not Found`: the thing named does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Return `400 Bad Request` with a message for the reader.
    #[error("{0}")]
    BadRequest(String),
    /// Return `403 Forbidden` with a message for the reader (a refused cross-site or
    /// token-less write).
    #[error("{0}")]
    Forbidden(String),
    /// Return `405 Method Not Allowed`: e.g. a `GET` of a URL that only takes forms.
    #[error("This address only takes a form; follow a link or a button to it instead.")]
    MethodNotAllowed,
    /// Return `413 Content Too Large`: a request body over the limit, in bytes.
    #[error("The form is larger than {0} bytes.")]
    TooLarge(usize),
    /// Return `503 Service Unavailable` with `Retry-After` when the database cannot be
    /// reached (no connection to be had, an I/O error), else `500 Internal Server Error`.
    /// The message is logged, never shown: it can hold details of the database.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Return `503 Service Unavailable` with `Retry-After` when the session store (the
    /// database) failed, so no session can be checked; `500` when a session's data has the
    /// wrong shape. Logged, never shown.
    #[error("session store")]
    Session(#[from] tower_sessions::session::Error),
    /// Return `500 Internal Server Error`; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Handlers return `Result<Response>`.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            error if error.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Session(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Whether the failure is the database being out of reach, which a retry can cure:
    /// the page says so and the response carries `Retry-After`.
    fn is_unavailable(&self) -> bool {
        use tower_sessions::{session, session_store};
        match self {
            AppError::Database(error) => database_unavailable(error),
            AppError::Session(session::Error::Store(session_store::Error::Backend(_))) => true,
            _ => false,
        }
    }

    /// What the reader is told. Server errors say nothing of their cause, which
    /// [`error_pages`] logs.
    fn message(&self) -> String {
        match self {
            error if error.is_unavailable() => {
                "The service is briefly unavailable. Please try again in a few seconds.".to_string()
            }
            AppError::Database(_) | AppError::Session(_) | AppError::Internal(_) => {
                "Something went wrong on our side. Please try again.".to_string()
            }
            other => other.to_string(),
        }
    }
}

/// A server error's cause, with its whole source chain (`database error: pool timed out
/// …`), carried in the response's extensions from [`AppError::into_response`] to
/// [`error_pages`], which logs it inside the request's span.
#[derive(Debug, Clone)]
pub struct FailedRequest(pub String);

/// `error`, then each of its sources, separated by `: `.
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What an error page says, kept in the response's extensions by
/// [`AppError::into_response`], which has no request and so renders for a reader who is not
/// signed in: [`error_pages`] renders it again for a signed-in one.
#[derive(Debug, Clone)]
struct ErrorPage {
    title: &'static str,
    message: String,
}

/// Middleware around the Acme routes, inside the session layer and the request's span:
/// - logs the cause of every server error an [`AppError`] answered, with the request's
///   method and path, at `error` level (the tracing layer's span also logs the status);
/// - shows a signed-in reader's account (name, sign-out) on an error page, not "Log in".
pub async fn error_pages(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    if let Some(FailedRequest(cause)) = response.extensions().get::<FailedRequest>() {
        let status = response.status().as_u16();
        tracing::error!(%method, path, status, error = %cause, "request failed");
    }
    match (response.extensions().get::<ErrorPage>().cloned(), session) {
        (Some(page), Some(session)) => for_the_reader(response, &page, &session).await,
        _ => response,
    }
}

/// `response`, an error page, with `session`'s user in its navigation if one is signed in.
/// A session that cannot be read leaves the page as it is.
async fn for_the_reader(response: Response, page: &ErrorPage, session: &Session) -> Response {
    let Ok(Some(user)) = signed_in(session).await else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let markup = render(parts.status, page, Some(&user));
    Response::from_parts(parts, axum::body::Body::from(markup.into_string()))
}

/// The page of an error: its status, title and message, in the Acme layout.
fn render(status: StatusCode, page: &ErrorPage, user: Option<&SignedIn>) -> Markup {
    let frame = layout::Frame {
        title: page.title,
        description: &page.message,
        active: "",
        user,
    };
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; (layout::head(page.title, &page.message)) }
            body {
                (layout::body(&frame, html! {
                    h1 { (status.as_u16()) " · " (page.title) }
                    p { (page.message) }
                    p { a href="/dashboard" { "Back to the dashboard" } }
                }))
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let page = ErrorPage {
            title: status.canonical_reason().unwrap_or("Error"),
            message: self.message(),
        };
        let mut response = (status, render(status, &page, None)).into_response();
        response.extensions_mut().insert(page);
        if status.is_server_error() {
            response
                .extensions_mut()
                .insert(FailedRequest(with_sources(&self)));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

/// `Retry-After` of a `503`, in seconds: long enough for a database restart, short enough
/// that a reader retrying by hand is not kept waiting.
const RETRY_AFTER_SECONDS: &str = "5";

/// sqlx errors that mean "no database to talk to right now" rather than a wrong query:
/// no pooled connection to be had, an I/O error, SQLite's `SQLITE_CANTOPEN` (14, the file is
/// gone), and PostgreSQL's classes `08` (connection exception) and `57P` (the server is
/// shutting down or starting; see PostgreSQL's "Errcodes" appendix).
fn database_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| code == "14" || code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
