//! The memory budget of responses in flight: each request reserves what its response may
//! hold until its body ends, priced by the compression it asked for, and a request that
//! does not fit gets a fast `503`.
//!
//! A held stream holds no compressor: streams are compressed chunk by chunk, each chunk by
//! an encoder of its own that is dropped at once (`server::chunk_compression`), so a held
//! stream costs what an uncompressed one does (BENCHMARKS.md, "Streams compressed chunk by
//! chunk"). A response of known length is compressed by tower-http's layer, which holds its
//! encoder while the response is written: 411 KB measured with gzip on miniz_oxide (flate2
//! now runs on zlib-rs, whose state at the default level is about 370 KB), 704 KB with
//! brotli at the default quality.
//!
//! A request reserves the price of a stream when it is admitted, and a response that turns
//! out to be of known length and compressed adds the rest when the handler returns; if
//! that does not fit, it goes out uncompressed ([`SendUncompressed`]), so the budget is
//! never exceeded.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http::HeaderMap;
use http::header::ACCEPT_ENCODING;
use http_body::{Frame, SizeHint};

/// What a response in flight is counted at without a held compressor (every stream, any
/// response sent uncompressed): its stream, buffers and sections (7 KB measured), with
/// room.
pub const PLAIN_RESPONSE_BYTES: u64 = 16 * 1024;
/// A gzip response of known length: flate2's deflate state (411 KB measured on miniz_oxide,
/// about 370 KB on zlib-rs), with room.
pub const GZIP_DOCUMENT_BYTES: u64 = 448 * 1024;
/// A brotli response of known length, at the default quality (704 KB measured), with room.
pub const BROTLI_DOCUMENT_BYTES: u64 = 768 * 1024;

/// The default budget: 1 GiB, about 65,000 held streams, compressed or not, or 1,400
/// brotli responses of known length being written at once.
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

impl Counted {
    /// Adds `bytes` to what is reserved if the sum stays within the budget.
    fn take(&self, bytes: u64) -> bool {
        self.reserved
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |reserved| {
                reserved
                    .checked_add(bytes)
                    .filter(|&total| total <= self.budget)
            })
            .is_ok()
    }
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
        self.inner.take(bytes).then(|| Reservation {
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
    /// Reserves `bytes` more if they fit; whether they did.
    pub fn try_grow(&mut self, bytes: u64) -> bool {
        let taken = self.budget.take(bytes);
        if taken {
            self.bytes += bytes;
        }
        taken
    }
}

/// A response extension: the budget had no room for this response's compressor, so the
/// compression layer of responses of known length leaves it alone ([`Compressible`]).
#[derive(Debug, Clone, Copy)]
pub struct SendUncompressed;

/// The compression predicate that honours [`SendUncompressed`].
#[derive(Debug, Clone, Copy)]
pub struct Compressible;

impl tower_http::compression::Predicate for Compressible {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response.extensions().get::<SendUncompressed>().is_none()
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
/// compression layers will choose ([`chosen`]).
pub fn price(headers: &HeaderMap) -> Price {
    let document = match chosen(headers) {
        Some(Coding::Brotli) => BROTLI_DOCUMENT_BYTES,
        Some(Coding::Gzip) => GZIP_DOCUMENT_BYTES,
        Some(Coding::Identity) | None => PLAIN_RESPONSE_BYTES,
    };
    Price {
        stream: PLAIN_RESPONSE_BYTES,
        document,
    }
}

/// A content coding the compression layers offer, least preferred first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// The coding tower-http 0.7's compression layer chooses for these request headers (its
/// `preferred_encoding_with_wildcard`, read in its source and tested against the layer
/// itself): the highest q-value among the codings it offers, the more preferred on a tie,
/// `*` standing for every offered coding not named (RFC 9110 § 12.5.3). An entry whose
/// q-value does not parse is ignored; `None` is its `406 Not Acceptable`. The budget must
/// read the header exactly as the layer does: a reading that priced `gzip, gzip;q=0` as
/// uncompressed would let a client hold gzip's state at the price of a plain response.
pub fn chosen(headers: &HeaderMap) -> Option<Coding> {
    let entries = || {
        headers
            .get_all(ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|entry| {
                let mut parts = entry.splitn(2, ';');
                let name = parts.next().unwrap_or_default().trim();
                let q = match parts.next() {
                    Some(q) => q_value(q.trim()),
                    None => Some(1000),
                };
                (name, q)
            })
    };
    let named: Vec<(Coding, u16)> = entries()
        .filter_map(|(name, q)| Some((coding(name)?, q?)))
        .collect();
    let preferred = |offered: &mut dyn Iterator<Item = (Coding, u16)>| {
        offered
            .filter(|&(_, q)| q > 0)
            .max_by_key(|&(coding, q)| (q, coding))
            .map(|(coding, _)| coding)
    };
    let Some(wildcard) = entries().find_map(|(name, q)| (name == "*").then_some(q).flatten())
    else {
        let identity_refused = named.contains(&(Coding::Identity, 0));
        return preferred(&mut named.iter().copied())
            .or((!identity_refused).then_some(Coding::Identity));
    };
    let mut effective = [Coding::Identity, Coding::Gzip, Coding::Brotli]
        .into_iter()
        .map(|offered| {
            let q = named
                .iter()
                .find(|(coding, _)| *coding == offered)
                .map_or(wildcard, |&(_, q)| q);
            (offered, q)
        });
    preferred(&mut effective)
}

/// An offered coding by its name in `Accept-Encoding`.
fn coding(name: &str) -> Option<Coding> {
    if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
        Some(Coding::Gzip)
    } else if name.eq_ignore_ascii_case("br") {
        Some(Coding::Brotli)
    } else if name.eq_ignore_ascii_case("identity") {
        Some(Coding::Identity)
    } else {
        None
    }
}

/// A q-value in thousandths, as RFC 9110 § 12.4.2 writes it: `q=` (either case), then `0`
/// or `1`, then up to three decimals, at most 1. Anything else is `None`.
fn q_value(text: &str) -> Option<u16> {
    let rest = text.strip_prefix(['q', 'Q'])?.strip_prefix('=')?;
    let (whole, decimals) = rest.split_once('.').unwrap_or((rest, ""));
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    if decimals.len() > 3 || !decimals.bytes().all(|digit| digit.is_ascii_digit()) {
        return None;
    }
    let fraction = decimals
        .bytes()
        .zip([100u16, 10, 1])
        .map(|(digit, factor)| u16::from(digit - b'0') * factor)
        .sum::<u16>();
    let q = whole + fraction;
    (q <= 1000).then_some(q)
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

    fn headers(accept: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in accept {
            headers.append(ACCEPT_ENCODING, value.parse().expect("header"));
        }
        headers
    }

    #[test]
    fn the_coding_is_read_as_tower_http_reads_it() {
        let chosen_for = |accept: &[&str]| chosen(&headers(accept));
        assert_eq!(
            chosen_for(&["gzip, deflate, br, zstd"]),
            Some(Coding::Brotli)
        );
        assert_eq!(chosen_for(&["br;q=0.5, gzip"]), Some(Coding::Gzip));
        assert_eq!(
            chosen_for(&["gzip, gzip;q=0"]),
            Some(Coding::Gzip),
            "the highest q"
        );
        assert_eq!(
            chosen_for(&["*, *;q=0"]),
            Some(Coding::Brotli),
            "the first `*`"
        );
        assert_eq!(chosen_for(&["br;q=-1, gzip;q=-1, *"]), Some(Coding::Brotli));
        assert_eq!(chosen_for(&["gzip;q=0.8, *;q=0.9"]), Some(Coding::Brotli));
        assert_eq!(chosen_for(&["identity;q=0"]), None, "406");
        assert_eq!(chosen_for(&["*;q=0"]), None);
        assert_eq!(chosen_for(&[]), Some(Coding::Identity));
        assert_eq!(price(&headers(&["gzip"])).stream, PLAIN_RESPONSE_BYTES);
        assert_eq!(price(&headers(&["gzip"])).document, GZIP_DOCUMENT_BYTES);
        assert_eq!(price(&headers(&["br"])).document, BROTLI_DOCUMENT_BYTES);
        assert_eq!(price(&headers(&["deflate"])).stream, PLAIN_RESPONSE_BYTES);
    }

    #[test]
    fn q_values_parse_as_the_rfc_writes_them() {
        for (text, q) in [
            ("q=1", Some(1000)),
            ("Q=0.5", Some(500)),
            ("q=0.125", Some(125)),
            ("q=1.", Some(1000)),
            ("q=1.000", Some(1000)),
            ("q=1.001", None),
            ("q=0.1234", None),
            ("q=-1", None),
            ("q=.5", None),
            ("q= 0.5", None),
            ("level=1", None),
        ] {
            assert_eq!(q_value(text), q, "{text}");
        }
    }

    /// The coding the real compression layer answers with, for `accept`.
    fn answered(accept: &HeaderMap) -> Option<Coding> {
        use tower::{ServiceBuilder, ServiceExt};
        let layer = tower_http::compression::CompressionLayer::new()
            .gzip(true)
            .br(true);
        let service = ServiceBuilder::new().layer(layer).service_fn(|_| async {
            let chunks = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(
                "<p>a section long enough to be worth compressing</p>",
            ))]);
            Ok::<_, std::convert::Infallible>(http::Response::new(Body::from_stream(chunks)))
        });
        let mut request = http::Request::new(Body::empty());
        *request.headers_mut() = accept.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let response = runtime
            .block_on(service.oneshot(request))
            .expect("infallible");
        if response.status() == http::StatusCode::NOT_ACCEPTABLE {
            return None;
        }
        match response.headers().get(http::header::CONTENT_ENCODING) {
            Some(value) if value == "br" => Some(Coding::Brotli),
            Some(value) if value == "gzip" => Some(Coding::Gzip),
            Some(other) => panic!("unexpected coding {other:?}"),
            None => Some(Coding::Identity),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        #[test]
        fn the_budget_prices_the_coding_the_layer_chooses(
            lines in proptest::collection::vec(
                proptest::collection::vec(
                    (
                        proptest::sample::select(vec![
                            "gzip", "x-gzip", "GZIP", "br", "Br", "identity", "*", "deflate",
                            "zstd", "foo", "",
                        ]),
                        proptest::sample::select(vec![
                            "", ";q=0", ";q=1", ";q=0.5", ";q=0.500", ";Q=0.2", "; q=0.3",
                            ";q=1.0001", ";q=-1", ";q=0;x", ";q=0.9", ";level=1", ";q=1.",
                        ]),
                    ),
                    0..5,
                ),
                0..3,
            )
        ) {
            let mut accept = HeaderMap::new();
            for line in &lines {
                let value = line
                    .iter()
                    .map(|(name, q)| format!("{name}{q}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                accept.append(ACCEPT_ENCODING, value.parse().expect("header"));
            }
            proptest::prop_assert_eq!(chosen(&accept), answered(&accept), "{:?}", lines);
        }
    }

    #[test]
    fn a_reservation_that_does_not_fit_is_refused_and_one_dropped_gives_back() {
        let budget = MemoryBudget::new(100);
        let mut first = budget.reserve(50).expect("fits");
        assert!(first.try_grow(10));
        assert!(!first.try_grow(41), "60 + 41 > 100");
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
