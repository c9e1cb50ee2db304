//! SQLite through sqlx: pool, migrations, seed generator and queries. (Being written.)

pub mod cli;
