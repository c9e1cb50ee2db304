//! One integration-test binary; each module under a one-line comment.

// braid load: framing, markers and the engine against local servers.
mod load;
