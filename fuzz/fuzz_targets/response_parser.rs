//! `ResponseParser` on arbitrary bytes split into two reads at an arbitrary point: never
//! panics, and gives the same bodies (or error) as when the bytes come in one read.
#![no_main]

use braid::load::parse::ResponseParser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, &[u8])| {
    let (split, bytes) = input;
    let at = usize::from(split) % (bytes.len() + 1);
    let whole = parse_reads(&[bytes]);
    let halves = parse_reads(&[&bytes[..at], &bytes[at..]]);
    assert_eq!(whole, halves, "split at {at}");
});

/// Feeds `reads` to one parser as successive socket reads: the decoded bodies of complete
/// responses, or the first error.
fn parse_reads(reads: &[&[u8]]) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut parser = ResponseParser::new();
    let (mut pending, mut body, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for read in reads {
        pending.extend_from_slice(read);
        loop {
            let parsed = parser
                .parse(&pending, &mut |b: &[u8]| body.extend_from_slice(b))
                .map_err(|error| error.0)?;
            pending.drain(..parsed.consumed);
            if !parsed.complete {
                break;
            }
            bodies.push(std::mem::take(&mut body));
            parser.reset();
            if pending.is_empty() {
                break;
            }
        }
    }
    Ok(bodies)
}
