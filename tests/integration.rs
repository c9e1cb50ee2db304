//! One integration-test binary; each module under a one-line comment.

// The data layer against real SQLite files: migrations, seeding, every query, the triggers.
mod db;
