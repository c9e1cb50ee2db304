//! What a session holds, behind typed accessors: the signed-in user, the CSRF token, and a
//! one-time message for the next page.
//!
//! The data lives in the database (`db::sessions`), so any instance can read it.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use tower_sessions::session::Error;

use super::csrf;
use crate::db::User;
use crate::db::sessions::USER_ID_KEY;

const USER_NAME_KEY: &str = "user_name";
const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";

/// The user a request comes from, as the sign-in guard found them in the session.
#[derive(Clone)]
pub struct SignedIn {
    pub user_id: i64,
    /// Shown in the navigation.
    pub name: String,
    /// This session's CSRF token, for the hidden `csrf` field of every form.
    pub csrf: String,
}

impl std::fmt::Debug for SignedIn {
    /// Leaves the token out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The signed-in user of `session`, if any.
///
/// # Errors
///
/// When the session store fails (the database), or the stored data has the wrong shape.
pub async fn signed_in(session: &Session) -> Result<Option<SignedIn>, Error> {
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    Ok(Some(SignedIn {
        user_id,
        name: session.get(USER_NAME_KEY).await?.unwrap_or_default(),
        csrf: session.get(CSRF_KEY).await?.unwrap_or_default(),
    }))
}

/// Signs `user` in on `session`, under a new session ID: an ID an attacker planted before
/// sign-in (session fixation) is worthless after it. The CSRF token is new as well.
pub async fn sign_in(session: &Session, user: &User) -> Result<(), Error> {
    session.cycle_id().await?;
    session.clear().await;
    session.insert(USER_ID_KEY, user.id).await?;
    session.insert(USER_NAME_KEY, &user.name).await?;
    session.insert(CSRF_KEY, csrf::new_token()).await
}

/// Ends the session: its row is deleted and the cookie removed.
pub async fn sign_out(session: &Session) -> Result<(), Error> {
    session.flush().await
}

/// A one-time message, shown on the next page that asks for it ([`take_flash`]).
#[derive(Debug, Serialize, Deserialize)]
struct Flash {
    message: String,
    /// The path whose streamed (script) version showed it already.
    shown_on: Option<String>,
}

/// Leaves `message` for the next page (after a redirect: "Invoice #12 created.").
pub async fn set_flash(session: &Session, message: String) -> Result<(), Error> {
    let flash = Flash {
        message,
        shown_on: None,
    };
    session.insert(FLASH_KEY, flash).await
}

/// The message left by [`set_flash`], if this page should show it; it is then gone.
///
/// `scripted` says the page streams out of order (the browser swaps its sections in,
/// natively or with the fallback runtime). Such a page may be left at once by a browser
/// without JavaScript, which follows its `<noscript>` redirect to the in-order version of
/// `path`; so a message shown there is kept for one more request, the in-order version of
/// the same path, and dropped by any other.
pub async fn take_flash(
    session: &Session,
    scripted: bool,
    path: &str,
) -> Result<Option<String>, Error> {
    let Some(mut flash) = session.get::<Flash>(FLASH_KEY).await? else {
        return Ok(None);
    };
    match flash.shown_on.take() {
        None if scripted => {
            let message = flash.message.clone();
            flash.shown_on = Some(path.to_string());
            session.insert(FLASH_KEY, flash).await?;
            Ok(Some(message))
        }
        None => {
            session.remove_value(FLASH_KEY).await?;
            Ok(Some(flash.message))
        }
        Some(shown_on) => {
            session.remove_value(FLASH_KEY).await?;
            Ok((!scripted && shown_on == path).then_some(flash.message))
        }
    }
}
