//! `Mode::select` on arbitrary `?stream=` values and user agents: never panics, and without
//! `?stream=` it always picks a mode.

use braid::stream::Mode;

fn main() {
    afl::fuzz!(|input: (Option<&str>, Option<&str>)| {
        let (stream, agent) = input;
        let _ = Mode::select(stream, agent);
        assert!(Mode::select(None, agent).is_ok());
    });
}
