//! The streaming engine. (Being written.)
