//! Who may see the dashboard: sign-in, sessions, CSRF and the guard in front of every
//! private page.
//!
//! - `password`: argon2id hashes, computed off the async threads.
//! - `session`: what a session holds (user, CSRF token, one-time message).
//! - `csrf`: the same-origin check on every write and the per-session form token.
//! - `throttle`: failed sign-ins refused per account and per address.
//! - `next`: where to go after signing in, local paths only.
//! - `users`: the demo user and `braid user add`.
//!
//! Sessions are tower-sessions' (`Session` extractor, ID rotation, cookie handling) on the
//! store in `db::sessions`; this module only adds the policy.

pub mod csrf;
pub mod next;
pub mod password;
pub mod session;
pub mod throttle;
pub mod users;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, Method};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::app::error::AppError;
use crate::db::Db;
use crate::db::sessions::SqlSessionStore;

pub use session::SignedIn;
pub use throttle::Throttle;

/// Largest form body accepted, in bytes; larger gets `413`. An invoice form is under 300.
pub const FORM_BODY_LIMIT: usize = 16 * 1024;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "braid_session";

/// How long a session lasts after its last change (sign-in, a write, a message).
const SESSION_LIFETIME_DAYS: i64 = 7;

/// Sign-in settings and what checking a password needs.
#[derive(Debug, Clone)]
pub struct Auth {
    /// Set the session cookie's `Secure` attribute: on when users reach braid over HTTPS.
    pub secure_cookies: bool,
    /// Take the client's address for the throttle from the last `X-Forwarded-For` entry
    /// (the one the nearest proxy added) instead of the TCP peer, which behind a proxy is
    /// the proxy itself. Only set it when a proxy always sets that header.
    pub behind_proxy: bool,
    pub throttle: Throttle,
    /// The demo account to show on the sign-in page: only the course's well-known one, and
    /// only when it worked at start (see [`users::ensure_demo_user`]); never a password an
    /// operator chose.
    pub demo_hint: Option<users::DemoUser>,
    /// A hash of a random password, checked when the email is unknown, so that a wrong
    /// email and a wrong password take the same time.
    decoy_hash: Arc<str>,
}

impl Auth {
    /// Settings with the default throttle, and no demo account shown (see
    /// [`Auth::show_demo_account`]); hashes the decoy (tens of milliseconds).
    ///
    /// # Errors
    ///
    /// Only if hashing fails (see [`password::hash`]).
    pub async fn new(secure_cookies: bool, behind_proxy: bool) -> anyhow::Result<Auth> {
        let decoy = password::hash(&csrf::new_token()).await?;
        Ok(Auth {
            secure_cookies,
            behind_proxy,
            throttle: Throttle::default(),
            demo_hint: None,
            decoy_hash: decoy.into(),
        })
    }

    /// Shows `demo` on the sign-in page if it is the course's well-known account and
    /// `active` (it signs in: [`users::ensure_demo_user`] said so).
    pub fn show_demo_account(mut self, demo: &users::DemoUser, active: bool) -> Auth {
        let well_known = users::DEFAULT_DEMO_USER.parse::<users::DemoUser>().ok();
        self.demo_hint = well_known.filter(|known| active && known == demo);
        self
    }

    /// The hash to check a password against when no user has the email.
    pub fn decoy_hash(&self) -> &str {
        &self.decoy_hash
    }

    /// tower-sessions' layer with braid's cookie policy: `HttpOnly`, `SameSite=Lax` (sent
    /// when following a link from elsewhere, never on another site's POST), `Secure` per
    /// [`Auth::secure_cookies`], sessions in `db`.
    pub fn session_layer(&self, db: &Db) -> SessionManagerLayer<SqlSessionStore> {
        SessionManagerLayer::new(SqlSessionStore::new(db.clone()))
            .with_name(SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(self.secure_cookies)
            .with_expiry(Expiry::OnInactivity(time::Duration::days(
                SESSION_LIFETIME_DAYS,
            )))
    }

    /// The client's address as the throttle counts it: an IPv4 address, or an IPv6 /64.
    pub fn client_address(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> String {
        let forwarded = self
            .behind_proxy
            .then(|| last_forwarded_for(headers))
            .flatten();
        match forwarded.or(peer.map(|peer| peer.ip())) {
            Some(IpAddr::V4(ip)) => ip.to_string(),
            // One IPv6 subscriber gets a /64 (or more) to choose addresses from: counting
            // per address would let it guess without limit.
            Some(IpAddr::V6(ip)) => {
                let network = u128::from(ip) & !u128::from(u64::MAX);
                format!("{}/64", std::net::Ipv6Addr::from(network))
            }
            None => "unknown".to_string(),
        }
    }
}

fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get_all("x-forwarded-for").iter().next_back()?;
    value.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

/// Middleware in front of every private route. Without a signed-in session: `303` to
/// `/login?next=<this page>` (for a GET) or `/login`. With one: a request that changes
/// state must carry the session's CSRF token in its form body (else `403`; a body over
/// [`FORM_BODY_LIMIT`] gets `413`). The handler then finds [`SignedIn`] in the extensions.
pub async fn require_sign_in(
    session: tower_sessions::Session,
    mut request: Request,
    next: Next,
) -> Response {
    let user = match session::signed_in(&session).await {
        Ok(Some(user)) => user,
        Ok(None) => return to_login(&request).into_response(),
        Err(error) => return AppError::from(error).into_response(),
    };
    if !request.method().is_safe() {
        request = match with_checked_token(request, &user.csrf).await {
            Ok(request) => request,
            Err(refusal) => return refusal.into_response(),
        };
    }
    request.extensions_mut().insert(user);
    next.run(request).await
}

fn to_login(request: &Request) -> Redirect {
    if request.method() != Method::GET {
        return Redirect::to("/login");
    }
    let here = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let login = form_urlencoded::Serializer::for_suffix(String::from("/login?"), "/login?".len())
        .append_pair("next", here)
        .finish();
    Redirect::to(&login)
}

/// Reads the form body (up to the limit), checks its `csrf` field and puts the body back.
async fn with_checked_token(request: Request, expected: &str) -> Result<Request, AppError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_BODY_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge(FORM_BODY_LIMIT))?;
    let sent = csrf::token_in_form(&bytes).unwrap_or_default();
    if !csrf::tokens_match(&sent, expected) {
        tracing::warn!(
            path = parts.uri.path(),
            "refused a form without this session's CSRF token"
        );
        return Err(AppError::Forbidden(
            "This form has expired or did not come from this site. Reload the page and try again."
                .into(),
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_address_is_the_nearest_proxys_entry() {
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.2".parse().unwrap(),
        );
        assert_eq!(last_forwarded_for(&headers), "198.51.100.2".parse().ok());
        headers.append("x-forwarded-for", "192.0.2.1".parse().unwrap());
        assert_eq!(last_forwarded_for(&headers), "192.0.2.1".parse().ok());
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(last_forwarded_for(&headers), None);
    }

    #[tokio::test]
    async fn ipv6_clients_are_counted_per_64() {
        let auth = Auth::new(false, true).await.unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "2001:db8:1:2:aaaa::1".parse().unwrap());
        assert_eq!(auth.client_address(None, &headers), "2001:db8:1:2::/64");
        headers.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        assert_eq!(auth.client_address(None, &headers), "203.0.113.9");
        let peer = "[2001:db8::7]:4000".parse().ok();
        let direct = Auth {
            behind_proxy: false,
            ..auth
        };
        assert_eq!(
            direct.client_address(peer, &headers),
            "2001:db8::/64",
            "the header is ignored"
        );
    }
}
