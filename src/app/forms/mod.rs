//! Forms as users send them: every field taken as text, then validated into typed values
//! or into one message per field, so a form with mistakes comes back with what the user
//! typed and what to fix.

pub mod invoice;

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::app::auth::FORM_BODY_LIMIT;
use crate::app::error::AppError;

/// axum's `Form`, with the app's error pages: a body over the limit is a `413` page, one
/// that cannot be read (not URL-encoded, a field sent twice, bad UTF-8) a `400` page that
/// says so, rather than axum's plain-text rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppForm<T>(pub T);

impl<T, S> FromRequest<S> for AppForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(AppForm(value)),
            Err(rejection) => Err(refused(&rejection)),
        }
    }
}

fn refused(rejection: &FormRejection) -> AppError {
    if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::TooLarge(FORM_BODY_LIMIT);
    }
    tracing::debug!(%rejection, "refused a form");
    AppError::BadRequest(format!(
        "This form could not be read: {}. Reload the page and send it again.",
        rejection.body_text()
    ))
}
