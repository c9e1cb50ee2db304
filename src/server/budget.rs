//! The memory budget of responses in flight: each request reserves what its response may
//! hold until its body ends, priced by the compression it asked for, and a request that
//! does not fit gets a fast `503`.
//!
//! A held stream's memory is mostly its compressor's: measured per held `/bench/hold`
//! stream (BENCHMARKS.md, "Compression memory per held stream"), 7 KB without compression,
//! 417 KB with gzip (flate2's deflate state) and 704 KB with brotli at its default quality.
//! Counting streams alone let 10,000 browser streams ask for 7 GB.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http::HeaderMap;
use http::header::ACCEPT_ENCODING;
use http_body::{Frame, SizeHint};

/// What a response in flight is counted at, without compression: its stream, buffers and
/// sections (7 KB measured), with room.
pub const PLAIN_RESPONSE_BYTES: u64 = 16 * 1024;
/// With gzip: flate2's deflate state (417 KB measured), with room.
pub const GZIP_RESPONSE_BYTES: u64 = 448 * 1024;
/// With brotli at tower-http's default quality (704 KB measured), with room.
pub const BROTLI_RESPONSE_BYTES: u64 = 768 * 1024;

/// The default budget: 1 GiB, about 1,300 browser streams (brotli), 2,300 with gzip, or
/// 65,000 uncompressed.
pub const DEFAULT_BUDGET_BYTES: u64 = 1024 * 1024 * 1024;

/// The bytes that responses in flight have reserved, against a budget. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    inner: Arc<Counted>,
}

#[derive(Debug)]
struct Counted {
    budget: u64,
    reserved: AtomicU64,
}

impl MemoryBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: u64) -> MemoryBudget {
        MemoryBudget {
            inner: Arc::new(Counted {
                budget: bytes,
                reserved: AtomicU64::new(0),
            }),
        }
    }

    /// Bytes reserved now.
    pub fn reserved(&self) -> u64 {
        self.inner.reserved.load(Ordering::SeqCst)
    }

    /// Reserves `bytes` until the returned guard drops, or `None` if they do not fit.
    pub fn reserve(&self, bytes: u64) -> Option<Reservation> {
        let before = self.inner.reserved.fetch_add(bytes, Ordering::SeqCst);
        if before.saturating_add(bytes) > self.inner.budget {
            self.inner.reserved.fetch_sub(bytes, Ordering::SeqCst);
            return None;
        }
        Some(Reservation {
            budget: self.inner.clone(),
            bytes,
        })
    }
}

/// Bytes reserved from a [`MemoryBudget`], given back on drop.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<Counted>,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.reserved.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// What a response to a request with these headers is counted at: the costlier of the
/// encodings the client accepts that the compression layer offers (brotli, gzip), since the
/// layer may choose either (an encoding with `q=0` is refused, RFC 9110 § 12.5.3).
pub fn response_cost(headers: &HeaderMap) -> u64 {
    let (mut brotli, mut gzip) = (false, false);
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for coding in value.split(',') {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|parameter| {
                parameter
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            brotli |= name.eq_ignore_ascii_case("br");
            gzip |= name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip");
        }
    }
    match (brotli, gzip) {
        (true, _) => BROTLI_RESPONSE_BYTES,
        (false, true) => GZIP_RESPONSE_BYTES,
        (false, false) => PLAIN_RESPONSE_BYTES,
    }
}

/// A response body that holds its [`Reservation`] until it ends or is dropped.
pub struct Reserved {
    body: Body,
    _reservation: Reservation,
}

impl Reserved {
    /// `body`, holding `reservation` for as long as it lives.
    pub fn wrap(body: Body, reservation: Reservation) -> Body {
        Body::new(Reserved {
            body,
            _reservation: reservation,
        })
    }
}

impl http_body::Body for Reserved {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(accept: &str) -> u64 {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, accept.parse().expect("header"));
        response_cost(&headers)
    }

    #[test]
    fn costs_follow_the_encoding_the_client_accepts() {
        assert_eq!(cost("gzip, deflate, br, zstd"), BROTLI_RESPONSE_BYTES);
        assert_eq!(cost("BR"), BROTLI_RESPONSE_BYTES);
        assert_eq!(cost("gzip"), GZIP_RESPONSE_BYTES);
        assert_eq!(cost("br;q=0, gzip;q=0.5"), GZIP_RESPONSE_BYTES);
        assert_eq!(cost("br; q=0.0 , gzip ; q=0"), PLAIN_RESPONSE_BYTES);
        assert_eq!(cost("identity"), PLAIN_RESPONSE_BYTES);
        assert_eq!(cost("deflate"), PLAIN_RESPONSE_BYTES);
        assert_eq!(response_cost(&HeaderMap::new()), PLAIN_RESPONSE_BYTES);
    }

    #[test]
    fn a_reservation_that_does_not_fit_is_refused_and_one_dropped_gives_back() {
        let budget = MemoryBudget::new(100);
        let first = budget.reserve(60).expect("fits");
        assert!(budget.reserve(60).is_none(), "120 > 100");
        assert_eq!(budget.reserved(), 60, "the refused one took nothing");
        let second = budget.reserve(40).expect("exactly fits");
        drop(first);
        assert_eq!(budget.reserved(), 40);
        drop(second);
        assert_eq!(budget.reserved(), 0);
    }
}
