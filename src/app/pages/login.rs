//! `GET /login`, `POST /login` and `POST /logout`.
//!
//! A wrong email and a wrong password get the same message and the same work (an argon2
//! check against a decoy hash when the email is unknown), so neither the page nor its
//! timing says which accounts exist. Repeated failures are refused (`429`) per account and
//! per address; see `auth::throttle`.

use std::net::SocketAddr;

use crate::app::forms::AppForm;
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use maud::{Markup, html};
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::app::auth::throttle::{Attempt, Refusal};
use crate::app::auth::users::DemoUser;
use crate::app::auth::{next, password, session};
use crate::app::components::layout::{self, Frame};
use crate::app::error::Result;
use crate::db;
use crate::stream::Page;

/// `/login`, open to everyone.
pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(login_form).post(login))
}

/// `/logout`, behind the sign-in guard like every other write (so it needs the CSRF token).
/// A `GET` (a typed URL, a `next` that points here) changes nothing and goes home.
pub fn signed_in_router() -> Router<AppState> {
    Router::new().route("/logout", post(logout).get(|| async { Redirect::to("/") }))
}

/// The one message for a wrong email or a wrong password.
pub const INVALID_CREDENTIALS: &str = "Invalid email or password.";

/// `?next=`, where to go once signed in.
#[derive(Debug, Default, Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// The form as sent; missing fields are empty.
#[derive(Debug, Default, Deserialize)]
struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login_form(
    State(app): State<AppState>,
    session: Session,
    Query(params): Query<NextParam>,
    page: Page,
) -> Result<Response> {
    let next = destination(params.next.as_deref());
    if session::signed_in(&session).await?.is_some() {
        return Ok(Redirect::to(next).into_response());
    }
    Ok(login_page(&app, page, "", next, None, StatusCode::OK))
}

async fn login(
    State(app): State<AppState>,
    session: Session,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    page: Page,
    AppForm(fields): AppForm<LoginFields>,
) -> Result<Response> {
    let next = destination(fields.next.as_deref()).to_string();
    let email = fields.email.trim();
    if email.is_empty() || fields.password.is_empty() {
        let message = "Enter your email and password.";
        return Ok(login_page(
            &app,
            page,
            email,
            &next,
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    // No account has a NUL in its email, and PostgreSQL refuses the byte in any text: the
    // same answer as a wrong password, without asking the database.
    if email.contains('\0') {
        return Ok(invalid_credentials(&app, page, email, &next));
    }
    let peer = peer.map(|Extension(ConnectInfo(peer))| peer);
    let attempt = Attempt::new(email, &app.auth.client_address(peer, &headers));
    let counted = match app.auth.throttle.begin(&app.db, &attempt).await? {
        Ok(counted) => counted,
        Err(refusal) => {
            tracing::warn!(
                whose = refusal.whose,
                "refused a sign-in: too many failures"
            );
            return Ok(refused(&app, page, email, &next, &refusal));
        }
    };
    let user = db::user_by_email(&app.db, email).await?;
    let hash = user
        .as_ref()
        .map_or(app.auth.decoy_hash(), |user| user.password_hash.as_str());
    let matches = password::verify(&fields.password, hash).await;
    let Some(user) = user.filter(|_| matches) else {
        return Ok(invalid_credentials(&app, page, email, &next));
    };
    app.auth
        .throttle
        .succeeded(&app.db, &attempt, counted)
        .await?;
    session::sign_in(&session, &user).await?;
    tracing::info!(user = user.id, "signed in");
    Ok(Redirect::to(&next).into_response())
}

/// The one answer to a wrong email or password: the form again, with what was typed, `422`.
fn invalid_credentials(app: &AppState, page: Page, email: &str, next: &str) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    login_page(app, page, email, next, Some(INVALID_CREDENTIALS), status)
}

/// Signed out (or never signed in): either way the session ends and the user is home.
async fn logout(session: Session) -> Result<Response> {
    session::sign_out(&session).await?;
    Ok(Redirect::to("/").into_response())
}

fn destination(next: Option<&str>) -> &str {
    next.and_then(next::local_path).unwrap_or(next::HOME)
}

fn refused(app: &AppState, page: Page, email: &str, next: &str, refusal: &Refusal) -> Response {
    let minutes = refusal.retry_after_minutes;
    let message = format!(
        "Too many failed sign-ins for {}. Try again in {minutes} minute{}.",
        refusal.whose,
        if minutes == 1 { "" } else { "s" }
    );
    let status = StatusCode::TOO_MANY_REQUESTS;
    let mut response = login_page(app, page, email, next, Some(&message), status);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(minutes * 60));
    response
}

fn login_page(
    app: &AppState,
    page: Page,
    email: &str,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let frame = Frame {
        title: "Log in",
        description: "Log in to the Acme invoices dashboard.",
        active: "/login",
        user: None,
    };
    let content = html! {
        div class="login" {
            h1 { "Log in to continue" }
            (login_form_markup(email, next, error))
            @if let Some(DemoUser::Account { email, password }) = &app.auth.demo_hint {
                p class="hint" {
                    "Demo account: " code { (email) } ", password " code { (password) } "."
                }
            }
        }
    };
    let mut response = page.render(layout::shell(&frame, content));
    *response.status_mut() = status;
    response
}

fn login_form_markup(email: &str, next: &str, error: Option<&str>) -> Markup {
    html! {
        form class="panel login-form" method="post" action="/login" {
            input type="hidden" name="next" value=(next);
            div class="field" {
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="username"
                    placeholder="Enter your email address" value=(email)
                    aria-describedby=[error.map(|_| "login-error")];
            }
            div class="field" {
                label for="password" { "Password" }
                input id="password" name="password" type="password"
                    autocomplete="current-password" placeholder="Enter password"
                    aria-describedby=[error.map(|_| "login-error")];
            }
            @if let Some(error) = error {
                p class="form-error" id="login-error" role="alert" { (error) }
            }
            button type="submit" class="button" { "Log in" }
        }
    }
}
