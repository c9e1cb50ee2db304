//! Password hashes: argon2id with the `argon2` crate's defaults (19 MiB, 2 passes, one
//! lane: OWASP's recommended minimum), in the PHC string format, off the async threads.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes `password` with a fresh random salt.
///
/// Runs on tokio's blocking pool: a hash takes tens of milliseconds of CPU, which would
/// stall every stream sharing the worker thread.
///
/// # Errors
///
/// Only if the blocking task panics or argon2 refuses its input (a password over 4 GiB).
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| anyhow::anyhow!("hashing a password: {error}"))
    })
    .await?
}

/// Whether `password` matches `hash`, taking the same time whether it does or not. A hash
/// that cannot be parsed never matches.
pub async fn verify(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = super::hash("123456").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(super::verify("123456", &hash).await);
        assert!(!super::verify("1234567", &hash).await);
        assert!(!super::verify("123456", "not a hash").await);
        assert_ne!(hash, super::hash("123456").await.expect("hash"), "salted");
    }
}
