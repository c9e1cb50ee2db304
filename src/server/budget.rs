//! The memory budget of responses in flight: each request reserves what its response may
//! hold until its body ends, priced by the compression it asked for, and a request that
//! does not fit gets a fast `503`.
//!
//! A held stream's memory is mostly its compressor's: measured per held `/bench/hold`
//! stream (BENCHMARKS.md, "Compression memory per held stream"), 7 KB without compression,
//! 411 KB with gzip (flate2's deflate state, whatever the level), 68 KB with brotli at the
//! quality of streams (`server::STREAM_QUALITY`) and 704 KB at the default quality, which a
//! response of known length gets while it is written. Counting streams alone let 10,000
//! browser streams ask for 7 GB.
//!
//! A request reserves the price of a stream when it is admitted, and a response that turns
//! out to be of known length and brotli-compressed adds the rest when the handler returns,
//! whether or not it fits: the work is done, and what it holds is counted for the requests
//! after it.

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
/// With gzip: flate2's deflate state (411 KB measured), with room.
pub const GZIP_RESPONSE_BYTES: u64 = 448 * 1024;
/// A brotli stream, at the quality of streams (68 KB measured), with room.
pub const BROTLI_STREAM_BYTES: u64 = 96 * 1024;
/// A brotli response of known length, at the default quality (704 KB measured), with room.
pub const BROTLI_DOCUMENT_BYTES: u64 = 768 * 1024;

/// The default budget: 1 GiB, about 10,900 browser streams (brotli), 2,300 with gzip, or
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
    ///
    /// # Panics
    ///
    /// Never; a budget of `u64::MAX` simply never refuses.
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

impl Reservation {
    /// Reserves `bytes` more, whether or not they fit (see the module's documentation).
    pub fn grow(&mut self, bytes: u64) {
        self.budget.reserved.fetch_add(bytes, Ordering::SeqCst);
        self.bytes += bytes;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.reserved.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// What a response is counted at: as a stream, and as a response of known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub stream: u64,
    pub document: u64,
}

/// The price of a response to a request with these headers, by the encoding the
/// compression layers will choose as tower-http does: the highest q-value among brotli and
/// gzip, brotli on a tie, an encoding with `q=0` refused, `*` standing for any encoding not
/// named (RFC 9110 § 12.5.3).
pub fn price(headers: &HeaderMap) -> Price {
    let (brotli, gzip) = accepted(headers);
    let same = |bytes| Price {
        stream: bytes,
        document: bytes,
    };
    if brotli > 0 && brotli >= gzip {
        Price {
            stream: BROTLI_STREAM_BYTES,
            document: BROTLI_DOCUMENT_BYTES,
        }
    } else if gzip > 0 {
        // gzip's state does not depend on the level: a gzip stream costs what it costs.
        same(GZIP_RESPONSE_BYTES)
    } else {
        same(PLAIN_RESPONSE_BYTES)
    }
}

/// The q-values, in thousandths, of brotli and gzip in `Accept-Encoding` (0: not accepted).
fn accepted(headers: &HeaderMap) -> (u16, u16) {
    let (mut brotli, mut gzip, mut any) = (None, None, None);
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for coding in value.split(',') {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let q = parts
                .find_map(|parameter| {
                    let parameter = parameter.trim();
                    let value = parameter
                        .strip_prefix("q=")
                        .or_else(|| parameter.strip_prefix("Q="))?;
                    value.trim().parse::<f32>().ok()
                })
                .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0).round() as u16);
            if name.eq_ignore_ascii_case("br") {
                brotli = Some(q);
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(q);
            } else if name == "*" {
                any = Some(q);
            }
        }
    }
    let any = any.unwrap_or(0);
    (brotli.unwrap_or(any), gzip.unwrap_or(any))
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

    fn price_of(accept: &str) -> Price {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, accept.parse().expect("header"));
        price(&headers)
    }

    #[test]
    fn prices_follow_the_encodings_the_client_accepts() {
        let plain = Price {
            stream: PLAIN_RESPONSE_BYTES,
            document: PLAIN_RESPONSE_BYTES,
        };
        let gzip = Price {
            stream: GZIP_RESPONSE_BYTES,
            document: GZIP_RESPONSE_BYTES,
        };
        let brotli = Price {
            stream: BROTLI_STREAM_BYTES,
            document: BROTLI_DOCUMENT_BYTES,
        };
        assert_eq!(price_of("gzip, deflate, br, zstd"), brotli, "a browser");
        assert_eq!(price_of("br;q=0.5, gzip"), gzip, "the higher q-value");
        assert_eq!(
            price_of("gzip;q=0.8, *;q=0.9"),
            brotli,
            "brotli through `*`"
        );
        assert_eq!(price_of("*;q=0"), plain);
        assert_eq!(price_of("BR"), brotli);
        assert_eq!(price_of("gzip"), gzip);
        assert_eq!(price_of("br;q=0, gzip;q=0.5"), gzip);
        assert_eq!(price_of("br; q=0.0 , gzip ; q=0"), plain);
        assert_eq!(price_of("identity"), plain);
        assert_eq!(price_of("deflate"), plain);
        assert_eq!(price(&HeaderMap::new()), plain);
    }

    #[test]
    fn a_reservation_that_does_not_fit_is_refused_and_one_dropped_gives_back() {
        let budget = MemoryBudget::new(100);
        let mut first = budget.reserve(50).expect("fits");
        first.grow(10);
        assert_eq!(budget.reserved(), 60);
        assert!(budget.reserve(60).is_none(), "120 > 100");
        assert_eq!(budget.reserved(), 60, "the refused one took nothing");
        let second = budget.reserve(40).expect("exactly fits");
        drop(first);
        assert_eq!(budget.reserved(), 40);
        drop(second);
        assert_eq!(budget.reserved(), 0);
    }
}
