//! Finding `--marker` strings in a decoded body as it arrives, across chunk and read boundaries.

use memchr::memmem::Finder;

/// Watches one response body for a set of markers and records when each first appears.
///
/// Body bytes come in pieces (one per chunk per read). Each marker keeps the last
/// `len - 1` bytes it has seen, so a marker that straddles two pieces is still found; nothing
/// else of the body is kept or copied. One `MarkerScan` serves a whole connection:
/// [`MarkerScan::reset`] readies it for the next response without allocating.
#[derive(Debug, Clone)]
pub struct MarkerScan {
    markers: Vec<Marker>,
    /// Scratch for the window `tail ++ head of the new piece`; at most `2 * (len - 1)` bytes.
    window: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Marker {
    finder: Finder<'static>,
    /// The last `len - 1` body bytes seen so far (fewer at the start of a body).
    tail: Vec<u8>,
    /// Microseconds from the request to the piece that completed the marker.
    found_at: Option<u64>,
}

impl MarkerScan {
    /// A scan for `markers`, in the order their arrival times are reported. Empty markers
    /// are found at the first body byte.
    pub fn new<S: AsRef<[u8]>>(markers: &[S]) -> Self {
        let markers: Vec<Marker> = markers
            .iter()
            .map(|m| Marker {
                finder: Finder::new(m.as_ref()).into_owned(),
                tail: Vec::with_capacity(m.as_ref().len()),
                found_at: None,
            })
            .collect();
        let longest = markers
            .iter()
            .map(|m| m.finder.needle().len())
            .max()
            .unwrap_or(0);
        Self {
            markers,
            window: Vec::with_capacity(2 * longest),
        }
    }

    /// Forgets everything seen, for the next response.
    pub fn reset(&mut self) {
        for marker in &mut self.markers {
            marker.tail.clear();
            marker.found_at = None;
        }
    }

    /// Scans the next piece of decoded body, which arrived `at_us` microseconds after the
    /// request was sent.
    pub fn feed(&mut self, piece: &[u8], at_us: u64) {
        if piece.is_empty() {
            return;
        }
        for marker in &mut self.markers {
            if marker.found_at.is_none() {
                marker.feed(piece, at_us, &mut self.window);
            }
        }
    }

    /// When each marker was found, in microseconds after the request; `None` if not (yet).
    pub fn found(&self) -> impl ExactSizeIterator<Item = Option<u64>> + '_ {
        self.markers.iter().map(|m| m.found_at)
    }
}

impl Marker {
    fn feed(&mut self, piece: &[u8], at_us: u64, window: &mut Vec<u8>) {
        let keep = self.finder.needle().len().saturating_sub(1);
        if self.straddles(piece, keep, window) || self.finder.find(piece).is_some() {
            self.found_at = Some(at_us);
            return;
        }
        if piece.len() >= keep {
            self.tail.clear();
            self.tail.extend_from_slice(&piece[piece.len() - keep..]);
        } else {
            let overflow = (self.tail.len() + piece.len()).saturating_sub(keep);
            self.tail.drain(..overflow);
            self.tail.extend_from_slice(piece);
        }
    }

    /// Whether the marker starts in the kept tail and ends in `piece`. The tail is shorter
    /// than the marker, so any match in the window uses at least one byte of `piece`; and
    /// the window's part of `piece` is shorter too, so no match lies wholly inside it.
    fn straddles(&self, piece: &[u8], keep: usize, window: &mut Vec<u8>) -> bool {
        if self.tail.is_empty() {
            return false;
        }
        window.clear();
        window.extend_from_slice(&self.tail);
        window.extend_from_slice(&piece[..keep.min(piece.len())]);
        self.finder.find(window).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(pieces: &[&[u8]], marker: &str) -> Option<u64> {
        let mut scan = MarkerScan::new(&[marker]);
        for (i, piece) in pieces.iter().enumerate() {
            scan.feed(piece, i as u64);
        }
        scan.found().next().flatten()
    }

    #[test]
    fn found_within_one_piece() {
        assert_eq!(scan(&[b"xx", b"a Section 1 b"], "Section 1"), Some(1));
    }

    #[test]
    fn found_across_two_pieces() {
        assert_eq!(scan(&[b"<h2>Sect", b"ion 1</h2>"], "Section 1"), Some(1));
    }

    #[test]
    fn found_across_many_one_byte_pieces() {
        let pieces: Vec<&[u8]> = b"..abc..".chunks(1).collect();
        assert_eq!(scan(&pieces, "abc"), Some(4));
    }

    #[test]
    fn not_found_when_absent() {
        assert_eq!(scan(&[b"Sect", b"ion", b" 2"], "Section 1"), None);
    }

    #[test]
    fn reset_forgets_the_tail() {
        let mut scan = MarkerScan::new(&["abc"]);
        scan.feed(b"ab", 0);
        scan.reset();
        scan.feed(b"c", 1);
        assert_eq!(scan.found().next().flatten(), None);
    }
}
