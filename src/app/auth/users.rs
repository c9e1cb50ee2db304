//! Users: the demo user a new database gets, and `braid user add` and `braid user remove`
//! for real deployments.

use crate::db::DatabaseUrl;
use std::fmt;
use std::io::{BufRead, IsTerminal};
use std::str::FromStr;

use anyhow::{Context, bail};

use super::password;
use crate::db::{self, Db};

/// The course's demo account, created when a database has no users.
pub const DEFAULT_DEMO_USER: &str = "user@nextmail.com:123456";

/// Shortest password `braid user add` accepts.
const MIN_PASSWORD_CHARS: usize = 8;

/// `--demo-user`: `EMAIL:PASSWORD`, or `none` for no demo user.
#[derive(Clone, PartialEq, Eq)]
pub enum DemoUser {
    None,
    Account { email: String, password: String },
}

impl fmt::Debug for DemoUser {
    /// Leaves the password out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoUser::None => f.write_str("None"),
            DemoUser::Account { email, .. } => write!(f, "Account({email})"),
        }
    }
}

/// A `--demo-user` value that is neither `none` nor `EMAIL:PASSWORD`.
#[derive(Debug, thiserror::Error)]
#[error("{0}: expected EMAIL:PASSWORD (e.g. user@nextmail.com:123456) or none")]
pub struct BadDemoUser(&'static str);

impl FromStr for DemoUser {
    type Err = BadDemoUser;

    fn from_str(text: &str) -> Result<DemoUser, BadDemoUser> {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(DemoUser::None);
        }
        let (email, password) = text.split_once(':').ok_or(BadDemoUser("no ':'"))?;
        let email = email.trim();
        if !plausible_email(email) {
            return Err(BadDemoUser(
                "the email needs a name, an @ and a domain such as example.com",
            ));
        }
        if password.is_empty() {
            return Err(BadDemoUser("the password is empty"));
        }
        Ok(DemoUser::Account {
            email: email.to_string(),
            password: password.to_string(),
        })
    }
}

/// Creates the demo user if the database has no user at all. A database that has users
/// (the demo user or real ones) is left alone, so removing the demo user after adding real
/// ones (`braid user remove`) is permanent.
///
/// Returns whether `demo`'s account exists now with `demo`'s password: only then may the
/// sign-in page show it. When it does, a warning says that anyone can sign in with it.
///
/// # Errors
///
/// When the database fails or hashing fails.
pub async fn ensure_demo_user(db: &Db, demo: &DemoUser) -> anyhow::Result<bool> {
    let DemoUser::Account { email, password } = demo else {
        return Ok(false);
    };
    if db::user_count(db).await? == 0 {
        let hash = password::hash(password).await?;
        match db::writes::insert_user(db, email, "User", &hash).await {
            Ok(_) => {
                tracing::info!(%email, "created the demo user (--demo-user none to go without)")
            }
            // Another instance created it first.
            Err(db::writes::NewUserError::EmailTaken(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let Some(user) = db::user_by_email(db, email).await? else {
        return Ok(false);
    };
    let active = password::verify(password, &user.password_hash).await;
    if active {
        tracing::warn!(
            %email,
            "the demo account is active: anyone who knows its password can sign in; \
             once real users exist, remove it with `braid user remove {email}`"
        );
    }
    Ok(active)
}

fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(name, domain)| {
            !name.is_empty() && (domain.contains('.') || domain == "localhost")
        })
}

/// Arguments of `braid user`.
#[derive(Debug, clap::Args)]
pub struct UserArgs {
    /// SQLite database file (created and migrated if missing) or `postgres://` URL.
    #[arg(long, env = "BRAID_DATABASE", default_value = crate::config::DEFAULT_DATABASE, global = true)]
    pub database: DatabaseUrl,

    #[command(subcommand)]
    pub command: UserCommand,
}

/// What `braid user` does.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user who can sign in. The password is asked for twice on a terminal, or read
    /// as one line from standard input (`echo "$PASSWORD" | braid user add …`).
    Add {
        /// The email they sign in with.
        email: String,
        /// The name shown in the navigation (1 to 200 characters).
        #[arg(long, default_value = "User")]
        name: String,
    },
    /// Remove a user (any case of the email); their sessions end at once.
    Remove {
        /// The email they sign in with.
        email: String,
    },
}

/// Runs a `braid user` command.
///
/// # Errors
///
/// A malformed email, a short or mismatched password, an email already taken, or a
/// database that cannot be opened.
pub async fn run(args: UserArgs) -> anyhow::Result<()> {
    match args.command {
        UserCommand::Add { email, name } => add(&args.database, &email, &name).await,
        UserCommand::Remove { email } => remove(&args.database, &email).await,
    }
}

async fn add(database: &DatabaseUrl, email: &str, name: &str) -> anyhow::Result<()> {
    let email = email.trim();
    if !plausible_email(email) {
        bail!("{email:?} is not an email address (name@domain)");
    }
    let name = name.trim();
    if !(1..=200).contains(&name.chars().count()) {
        bail!("the name needs 1 to 200 characters");
    }
    let password = read_password()?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password needs at least {MIN_PASSWORD_CHARS} characters");
    }
    let db = Db::open_without_seed(database).await?;
    let hash = password::hash(&password).await?;
    let id = db::writes::insert_user(&db, email, name, &hash).await?;
    println!("{database}: added user {id} <{email}>");
    db.close().await;
    Ok(())
}

async fn remove(database: &DatabaseUrl, email: &str) -> anyhow::Result<()> {
    let db = Db::open_without_seed(database).await?;
    let removed = db::writes::delete_user(&db, email).await?;
    db.close().await;
    if !removed {
        bail!("{database}: no user has the email {:?}", email.trim());
    }
    println!(
        "{database}: removed <{}> and ended their sessions",
        email.trim()
    );
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Password: ").context("reading the password")?;
    let second = rpassword::prompt_password("Password again: ").context("reading the password")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_user_values() {
        assert_eq!("none".parse::<DemoUser>().unwrap(), DemoUser::None);
        assert_eq!(
            DEFAULT_DEMO_USER.parse::<DemoUser>().unwrap(),
            DemoUser::Account {
                email: "user@nextmail.com".into(),
                password: "123456".into()
            }
        );
        let colon = "a@b.co:pa:ss".parse::<DemoUser>().unwrap();
        assert!(matches!(colon, DemoUser::Account { password, .. } if password == "pa:ss"));
        for bad in ["", "user@nextmail.com", "nobody:pw", "a@b.co:"] {
            assert!(bad.parse::<DemoUser>().is_err(), "{bad:?}");
        }
    }
}
