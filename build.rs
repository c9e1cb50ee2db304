//! Rebuilds the crate when a migration changes: `sqlx::migrate!()` embeds `migrations/` at
//! compile time, and cargo would not otherwise notice a new or edited `.sql` file.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
