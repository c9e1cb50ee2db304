//! Where the data lives, as `--database` / `BRAID_DATABASE` names it: a SQLite file or a
//! PostgreSQL server.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A database braid can open.
///
/// Parsed from `--database`: a `postgres://` or `postgresql://` URL (libpq's connection
/// URI, as sqlx reads it), a `sqlite://PATH` or `sqlite:PATH` URL, or a plain file path for
/// SQLite. Anything else that looks like a URL (`mysql://…`, `postgres:/x`) is refused
/// rather than read as a file name.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, created with its directory if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL server: the URL as given (it may hold a password; see `Display`).
    Postgres(String),
}

/// Why a `--database` value names no database braid can open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    /// The value is empty.
    #[error("the database is empty: give a SQLite file path or a postgres:// URL")]
    Empty,
    /// A URL whose scheme braid does not speak.
    #[error(
        "{0:?} is not a database braid can open: give a SQLite file path, sqlite://PATH, or \
         postgres://USER:PASSWORD@HOST:PORT/NAME"
    )]
    Unsupported(String),
}

impl DatabaseUrl {
    /// Whether this is a PostgreSQL server.
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

impl FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        if value.is_empty() {
            return Err(DatabaseUrlError::Empty);
        }
        let unsupported = || DatabaseUrlError::Unsupported(value.to_string());
        let Some((scheme, rest)) = value.split_once(':') else {
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(value)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" if rest.starts_with("//") && rest.len() > 2 => {
                Ok(DatabaseUrl::Postgres(value.to_string()))
            }
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                let path = path.split_once('?').map_or(path, |(path, _)| path);
                if path.is_empty() {
                    return Err(unsupported());
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
            }
            // A one-letter "scheme" is a Windows drive (C:\data\braid.sqlite3).
            scheme if scheme.len() == 1 => Ok(DatabaseUrl::Sqlite(PathBuf::from(value))),
            _ if rest.starts_with("//") || is_database_scheme(scheme) => Err(unsupported()),
            // A file name with a colon in it: `data/backup:2026.sqlite3`.
            _ => Ok(DatabaseUrl::Sqlite(PathBuf::from(value))),
        }
    }
}

/// Names of database systems, so that `postgres:/x` or `mysql:x` is refused, not taken for
/// a file name.
fn is_database_scheme(scheme: &str) -> bool {
    matches!(
        scheme.to_ascii_lowercase().as_str(),
        "postgres" | "postgresql" | "pg" | "mysql" | "mariadb" | "mssql" | "sqlserver" | "redis"
    )
}

impl From<&Path> for DatabaseUrl {
    fn from(path: &Path) -> Self {
        DatabaseUrl::Sqlite(path.to_path_buf())
    }
}

impl From<PathBuf> for DatabaseUrl {
    fn from(path: PathBuf) -> Self {
        DatabaseUrl::Sqlite(path)
    }
}

/// For messages and logs: the file's path, or the URL with any password replaced by `***`.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&without_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; a URL `url` cannot
/// parse is shown only up to its scheme.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            let mut shown = parsed.to_string();
            // libpq also takes the password as a query parameter.
            if parsed.query_pairs().any(|(key, _)| key == "password") {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(key, value)| {
                        let value = if key == "password" {
                            "***".into()
                        } else {
                            value
                        };
                        (key.into_owned(), value.into_owned())
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
                shown = parsed.to_string();
            }
            shown
        }
        Err(_) => {
            let scheme = url.split_once(':').map_or("postgres", |(scheme, _)| scheme);
            format!("{scheme}://…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<DatabaseUrl, DatabaseUrlError> {
        value.parse()
    }

    #[test]
    fn paths_and_sqlite_urls_are_sqlite_files() {
        for (value, path) in [
            ("data/braid.sqlite3", "data/braid.sqlite3"),
            ("/tmp/x.db", "/tmp/x.db"),
            ("sqlite://data/x.db", "data/x.db"),
            ("sqlite:data/x.db", "data/x.db"),
            ("sqlite:///tmp/x.db?mode=rwc", "/tmp/x.db"),
            ("data/backup:2026.sqlite3", "data/backup:2026.sqlite3"),
            ("C:\\data\\x.db", "C:\\data\\x.db"),
        ] {
            assert_eq!(
                parse(value),
                Ok(DatabaseUrl::Sqlite(path.into())),
                "{value}"
            );
        }
    }

    #[test]
    fn postgres_urls_are_servers() {
        for value in [
            "postgres://braid:secret@127.0.0.1:5432/braid",
            "postgresql://localhost/braid",
            "POSTGRES://h/d",
        ] {
            assert_eq!(parse(value), Ok(DatabaseUrl::Postgres(value.into())));
        }
    }

    #[test]
    fn other_urls_are_refused_not_taken_for_files() {
        for value in [
            "mysql://root@localhost/braid",
            "postgres:braid",
            "postgres://",
            "redis://x",
            "http://example.com/db",
            "sqlite://",
        ] {
            assert!(
                matches!(parse(value), Err(DatabaseUrlError::Unsupported(_))),
                "{value}"
            );
        }
        assert_eq!(parse("  "), Err(DatabaseUrlError::Empty));
    }

    #[test]
    fn display_hides_passwords() {
        let url = parse("postgres://braid:s3cret@db:5432/braid?sslmode=disable").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://braid:***@db:5432/braid?sslmode=disable"
        );
        let url = parse("postgres://db/braid?user=u&password=s3cret").unwrap();
        assert!(!url.to_string().contains("s3cret"), "{url}");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
