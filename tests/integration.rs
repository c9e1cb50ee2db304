//! One integration-test binary; each module under a one-line comment.
