//! `ResponseParser` on arbitrary bytes split into two reads at an arbitrary point: never
//! panics, and gives the same bodies (or error) as when the bytes come in one read.

use braid::load::parse::decode_reads;

fn main() {
    afl::fuzz!(|input: (u16, &[u8])| {
        let (split, bytes) = input;
        let at = usize::from(split) % (bytes.len() + 1);
        let whole = decode_reads(&[bytes]);
        let halves = decode_reads(&[&bytes[..at], &bytes[at..]]);
        assert_eq!(whole, halves, "split at {at}");
    });
}
