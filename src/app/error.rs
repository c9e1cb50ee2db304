//! The app's error type: one status per variant, rendered as a small complete page.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use maud::html;

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
    /// Return `500 Internal Server Error`. The message is logged, never shown: it can hold
    /// details of the database.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Return `500 Internal Server Error`: the session store (the database) failed, or a
    /// session's data has the wrong shape. Logged, never shown.
    #[error("session store: {0}")]
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
            AppError::Database(_) | AppError::Session(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn message(&self) -> String {
        match self {
            AppError::Database(_) | AppError::Session(_) | AppError::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                "Something went wrong on our side. Please try again.".to_string()
            }
            other => other.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = self.message();
        let title = status.canonical_reason().unwrap_or("Error");
        let frame = layout::Frame {
            title,
            description: &message,
            active: "",
            user: None,
        };
        let page = html! {
            (maud::DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; (layout::head(title, &message)) }
                body {
                    (layout::body(&frame, html! {
                        h1 { (status.as_u16()) " · " (title) }
                        p { (message) }
                        p { a href="/dashboard" { "Back to the dashboard" } }
                    }))
                }
            }
        };
        (status, page).into_response()
    }
}
