//! Compression of streamed responses that holds no compressor while a stream waits.
//!
//! A streamed page is held open while its sections wait, often for seconds. tower-http's
//! compression layer keeps one encoder per response for the response's whole life: 411 KB
//! of deflate state for gzip (miniz_oxide), 68 KB for brotli even at quality 1 (BENCHMARKS.md,
//! "Compression memory per held stream"). Here each chunk the body yields is compressed on
//! its own by an encoder made for it and dropped at once, and the pieces are joined into
//! one valid stream, so a waiting stream holds no compressor at all:
//!
//! - **gzip** (RFC 1952): a gzip header, then each chunk as raw deflate blocks ended by a
//!   sync flush (byte aligned, non-final; RFC 1951 § 3.2.3), then an empty final block and
//!   the trailer (CRC-32 and length of everything sent). A fresh compressor never refers to
//!   data before its chunk, so the blocks join as they are.
//! - **brotli** (RFC 7932): the first chunk carries the stream's window size; every chunk is
//!   a *bare* stream (the brotli crate's `bare_stream`: byte aligned, no final meta-block),
//!   and every later one also *catable* (no window size, no static dictionary, no use of
//!   the distance cache, which in the decoder still holds the previous chunk's distances;
//!   its window sized to the chunk, within the announced one). The stream ends with an
//!   empty final meta-block. Qualities 0 and 1 would not do: the crate's fast path for them
//!   ignores `bare_stream`.
//!
//! The price is the cross-chunk context: a section's chunk cannot refer back to the shell.
//! Each chunk is complete when it is sent, so the client decodes every section on arrival.
//! Which coding a request gets is decided as tower-http decides it
//! ([`budget::chosen`](super::budget::chosen)); the outer tower-http layer still answers
//! `406` when no coding is acceptable, and compresses every response of known length.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use http::header::{self, HeaderValue};
use http_body::{Frame, SizeHint};
use tower::{Layer, Service};
use tower_http::compression::Predicate;
use tower_http::compression::predicate::DefaultPredicate;

use super::budget::{self, Coding};

/// The gzip level of each chunk: zlib's default. Its state (about 370 KB with zlib-rs, 256 KB
/// of it cleared) lives only while one chunk is compressed.
const GZIP_LEVEL: u32 = 6;
/// The brotli quality of a chunk of [`BROTLI_LARGE_CHUNK`] bytes or more (a shell), and of
/// a smaller one (a section). Every chunk pays for its encoder's hash tables, which the
/// brotli crate clears when it makes them: 256 KB at quality 2, 512 KB at 4, 1 MB at 5.
/// Measured (BENCHMARKS.md): a 2.9 KB shell takes 21 µs to 368 B at quality 4, 33 µs to
/// 329 B at 5; a 700 B section 4.5 µs to 140 B at quality 2, 11.7 µs to 112 B at 4.
///
/// Never below 2: at qualities 0 and 1 the brotli crate takes a fast path that ignores
/// `bare_stream` and `byte_align` and ends the stream after the first chunk.
const BROTLI_QUALITY: (i32, i32) = (4, 2);
const BROTLI_LARGE_CHUNK: usize = 2048;
const _: () = assert!(BROTLI_QUALITY.0 >= 2 && BROTLI_QUALITY.1 >= 2);
/// The brotli window the first chunk announces, as a power of two. A later chunk refers
/// only to itself, so its encoder's window is sized to it (at most this one): a window is
/// a ring buffer the encoder allocates and clears.
const BROTLI_WINDOW_BITS: i32 = 22;
/// The smallest window brotli allows.
const BROTLI_MIN_WINDOW_BITS: i32 = 10;

/// The fixed gzip header: deflate, no flags, no time, unknown OS (RFC 1952 § 2.3).
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// An empty final deflate block with fixed codes: BFINAL 1, BTYPE 01, end-of-block.
const DEFLATE_END: [u8; 2] = [0x03, 0x00];
/// An empty final brotli meta-block (ISLAST, ISLASTEMPTY), byte aligned.
const BROTLI_END: u8 = 0x03;
/// A whole empty brotli stream, for a body that had no data.
const BROTLI_EMPTY: u8 = 0x3b;

/// Compresses streamed responses (no exact length) chunk by chunk; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChunkCompressionLayer;

impl<S> Layer<S> for ChunkCompressionLayer {
    type Service = ChunkCompression<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ChunkCompression { inner }
    }
}

/// The service of [`ChunkCompressionLayer`].
#[derive(Debug, Clone)]
pub struct ChunkCompression<S> {
    inner: S,
}

impl<S> Service<Request> for ChunkCompression<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let coding = budget::chosen(request.headers());
        let response = self.inner.call(request);
        Box::pin(async move { Ok(compressed(response.await?, coding)) })
    }
}

/// `response` with its body compressed chunk by chunk in `coding`, if it is a stream that
/// tower-http's default predicate would compress and nothing has encoded it yet.
///
/// As tower-http does, a response that could be compressed says `Vary: Accept-Encoding`
/// whichever coding it gets; `None` (no acceptable coding) is left to the outer layer's
/// `406`.
fn compressed(mut response: Response, coding: Option<Coding>) -> Response {
    let Some(coding) = coding else {
        return response;
    };
    let eligible = super::is_streamed(&response)
        && !response.headers().contains_key(header::CONTENT_ENCODING)
        && !response.headers().contains_key(header::CONTENT_RANGE)
        && DefaultPredicate::new().should_compress(&response);
    if !eligible {
        return response;
    }
    let headers = response.headers_mut();
    let varies = headers
        .get_all(header::VARY)
        .iter()
        .any(|value| contains_ignore_case(value.as_bytes(), b"accept-encoding"));
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let codec = match coding {
        Coding::Gzip => Codec::Gzip,
        Coding::Brotli => Codec::Brotli,
        Coding::Identity => return response,
    };
    let (mut parts, body) = response.into_parts();
    let headers = &mut parts.headers;
    headers.remove(header::ACCEPT_RANGES);
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::CONTENT_ENCODING, codec.header_value());
    let body = Body::new(ChunkCompressed {
        body,
        state: codec.start(),
        trailers: None,
        ended: false,
    });
    Response::from_parts(parts, body)
}

/// Whether `haystack` holds `needle`, ASCII case aside (a `Vary` list: `Cookie,
/// Accept-Encoding`), as tower-http looks.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// A content coding this layer writes.
#[derive(Debug, Clone, Copy)]
enum Codec {
    Gzip,
    Brotli,
}

impl Codec {
    fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Codec::Gzip => "gzip",
            Codec::Brotli => "br",
        })
    }

    fn start(self) -> Joined {
        match self {
            Codec::Gzip => Joined::Gzip {
                crc: flate2::Crc::new(),
                started: false,
            },
            Codec::Brotli => Joined::Brotli { started: false },
        }
    }
}

/// What a compressed stream keeps between chunks: a few bytes, never an encoder.
#[derive(Debug)]
enum Joined {
    /// The CRC-32 and length of what was sent (the trailer's), and whether the header was.
    Gzip { crc: flate2::Crc, started: bool },
    /// Whether the first chunk (with the window size) was sent.
    Brotli { started: bool },
}

impl Joined {
    /// `data` compressed on its own, to be sent after everything before it.
    fn chunk(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Joined::Gzip { crc, started } => {
                let mut out = Vec::with_capacity(data.len() / 3 + 64);
                if !*started {
                    out.extend_from_slice(&GZIP_HEADER);
                    *started = true;
                }
                crc.update(data);
                deflate_flushed(data, &mut out)?;
                Ok(out)
            }
            Joined::Brotli { started } => {
                let first = !*started;
                *started = true;
                brotli_bare(data, first)
            }
        }
    }

    /// The bytes that end the stream.
    fn end(&mut self) -> Vec<u8> {
        match self {
            Joined::Gzip { crc, started } => {
                let mut out = Vec::with_capacity(GZIP_HEADER.len() + 10);
                if !*started {
                    out.extend_from_slice(&GZIP_HEADER);
                }
                out.extend_from_slice(&DEFLATE_END);
                out.extend_from_slice(&crc.sum().to_le_bytes());
                out.extend_from_slice(&crc.amount().to_le_bytes());
                out
            }
            Joined::Brotli { started: true } => vec![BROTLI_END],
            Joined::Brotli { started: false } => vec![BROTLI_EMPTY],
        }
    }
}

/// Appends `data` as raw deflate blocks from a fresh compressor, sync-flushed: the output
/// ends on a byte boundary with no final block, and refers to nothing before `data`.
fn deflate_flushed(data: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut compressor = flate2::Compress::new(flate2::Compression::new(GZIP_LEVEL), false);
    loop {
        let consumed = usize::try_from(compressor.total_in()).unwrap_or(data.len());
        let rest = data.get(consumed..).unwrap_or_default();
        compressor
            .compress_vec(rest, out, flate2::FlushCompress::Sync)
            .map_err(std::io::Error::other)?;
        let all_in = usize::try_from(compressor.total_in()).is_ok_and(|n| n == data.len());
        // zlib has flushed everything once it stops short of the room it was given.
        if all_in && out.len() < out.capacity() {
            return Ok(());
        }
        out.reserve(out.capacity().max(256));
    }
}

/// `data` as a bare brotli stream: byte aligned, without a final meta-block; the first
/// chunk announces the window, every later one is catable (see the module docs).
fn brotli_bare(data: &[u8], first: bool) -> std::io::Result<Vec<u8>> {
    let lgwin = if first {
        BROTLI_WINDOW_BITS
    } else {
        let bits = usize::BITS - data.len().saturating_sub(1).leading_zeros();
        i32::try_from(bits)
            .unwrap_or(BROTLI_WINDOW_BITS)
            .clamp(BROTLI_MIN_WINDOW_BITS, BROTLI_WINDOW_BITS)
    };
    let params = brotli::enc::BrotliEncoderParams {
        quality: if data.len() >= BROTLI_LARGE_CHUNK {
            BROTLI_QUALITY.0
        } else {
            BROTLI_QUALITY.1
        },
        lgwin,
        size_hint: data.len(),
        bare_stream: true,
        byte_align: true,
        appendable: true,
        catable: !first,
        use_dictionary: first,
        ..brotli::enc::BrotliEncoderParams::default()
    };
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    // Unlike `CompressorWriter::into_inner`, this reports a failure to finish.
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
    Ok(out)
}

/// A body compressed chunk by chunk.
struct ChunkCompressed {
    body: Body,
    state: Joined,
    /// Trailers that came after the last data, sent after the stream's end.
    trailers: Option<http::HeaderMap>,
    ended: bool,
}

impl http_body::Body for ChunkCompressed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        loop {
            if this.ended {
                return Poll::Ready(
                    this.trailers
                        .take()
                        .map(|trailers| Ok(Frame::trailers(trailers))),
                );
            }
            let frame = match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(None) => {
                    this.ended = true;
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(this.state.end())))));
                }
            };
            match frame.into_data() {
                Ok(data) if data.is_empty() => continue,
                Ok(data) => {
                    let chunk = this.state.chunk(&data).map_err(axum::Error::new)?;
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))));
                }
                Err(frame) => {
                    this.trailers = frame.into_trailers().ok();
                    this.ended = true;
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(this.state.end())))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::io::Read;

    use rand::{RngCore, SeedableRng};

    use super::*;

    /// `n` bytes that do not compress.
    fn random(n: usize) -> Vec<u8> {
        let mut bytes = vec![0; n];
        rand_chacha::ChaCha8Rng::seed_from_u64(n as u64).fill_bytes(&mut bytes);
        bytes
    }

    /// Chunks like a streamed page's (a shell over 2 KiB, which gets the large-chunk
    /// quality, then sections, some alike), and the edges: a one-byte first chunk (a
    /// heartbeat), one- and two-byte chunks, an empty one, and incompressible chunks of
    /// 3 KiB and 200 KiB, whose output outgrows the buffer it starts with.
    fn chunks() -> Vec<Vec<u8>> {
        let shell = "<!doctype html><html><head><title>t</title></head><body>".to_string()
            + &"<nav><a href=\"/x\">Link</a></nav>".repeat(90);
        let section = |k: usize| {
            let rows = "<tr><td>Customer</td><td>$1,234.56</td></tr>".repeat(k * 7);
            format!("<template for=\"s{k}\"><table>{rows}</table></template>")
        };
        vec![
            b"\n".to_vec(),
            shell.into_bytes(),
            section(3).into_bytes(),
            Vec::new(),
            b"x".to_vec(),
            b"<!".to_vec(),
            random(3 * 1024),
            section(1).into_bytes(),
            random(200 * 1024),
            section(3).into_bytes(),
            b"</body></html>".to_vec(),
        ]
    }

    /// Whatever a streaming decoder can produce from `sent` so far.
    fn decoded_so_far(codec: Codec, sent: &[u8]) -> Vec<u8> {
        let mut out = vec![0; 1 << 22];
        match codec {
            Codec::Gzip => {
                let mut decoder = flate2::Decompress::new(false);
                decoder
                    .decompress(
                        &sent[GZIP_HEADER.len()..],
                        &mut out,
                        flate2::FlushDecompress::Sync,
                    )
                    .expect("deflate");
                out.truncate(usize::try_from(decoder.total_out()).expect("size"));
            }
            Codec::Brotli => {
                // The decoder itself: `DecompressorWriter::flush` leaves output behind.
                let mut state = brotli::BrotliState::new(
                    brotli::HeapAlloc::<u8>::new(0),
                    brotli::HeapAlloc::<u32>::new(0),
                    brotli::HeapAlloc::<brotli::HuffmanCode>::new(Default::default()),
                );
                let (mut available_in, mut in_at) = (sent.len(), 0);
                let (mut available_out, mut out_at, mut total) = (out.len(), 0, 0);
                let result = brotli::BrotliDecompressStream(
                    &mut available_in,
                    &mut in_at,
                    sent,
                    &mut available_out,
                    &mut out_at,
                    &mut out,
                    &mut total,
                    &mut state,
                );
                assert!(
                    !matches!(result, brotli::BrotliResult::ResultFailure),
                    "brotli"
                );
                out.truncate(out_at);
            }
        }
        out
    }

    /// The whole of `sent`, by a one-shot decoder that also checks the end (gzip's CRC-32
    /// and length).
    fn decoded(codec: Codec, sent: &[u8]) -> Vec<u8> {
        let mut whole = Vec::new();
        match codec {
            Codec::Gzip => flate2::read::GzDecoder::new(sent).read_to_end(&mut whole),
            Codec::Brotli => brotli::Decompressor::new(sent, 4096).read_to_end(&mut whole),
        }
        .unwrap_or_else(|error| panic!("{codec:?}: {error}"));
        whole
    }

    /// Each chunk decodes in full from the bytes sent up to it (a section shows when it
    /// arrives), and the whole is one valid stream of everything.
    #[test]
    fn every_chunk_decodes_on_arrival_and_the_whole_is_one_stream() {
        for codec in [Codec::Gzip, Codec::Brotli] {
            let mut state = codec.start();
            let (mut sent, mut plain) = (Vec::new(), Vec::<u8>::new());
            for chunk in chunks() {
                if chunk.is_empty() {
                    continue;
                }
                sent.extend(state.chunk(&chunk).expect("compressed"));
                plain.extend(&chunk);
                assert!(
                    decoded_so_far(codec, &sent) == plain,
                    "{codec:?}: the first {} bytes do not all decode on arrival",
                    plain.len()
                );
            }
            sent.extend(state.end());
            assert!(
                decoded(codec, &sent) == plain,
                "{codec:?}: the whole stream"
            );
        }
    }

    /// A body without data is still a valid, empty stream.
    #[test]
    fn an_empty_body_is_an_empty_stream() {
        for codec in [Codec::Gzip, Codec::Brotli] {
            assert!(decoded(codec, &codec.start().end()).is_empty(), "{codec:?}");
        }
    }

    /// A body of frames given in advance.
    struct Frames(VecDeque<Frame<Bytes>>);

    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
    }

    /// A streamed HTML response through the layer's rewriting: its headers say the coding
    /// and that it varies (once, even beside another `Vary`), its length and ranges are
    /// gone, its data decodes, and its trailers come after the stream's end. Without an
    /// acceptable coding it is left alone; with `identity` it only gains the `Vary`.
    #[tokio::test]
    async fn a_streamed_response_is_rewritten_as_tower_http_would() {
        let response = || {
            let mut trailers = http::HeaderMap::new();
            trailers.insert("x-done", HeaderValue::from_static("yes"));
            let frames = VecDeque::from([
                Frame::data(Bytes::from_static(b"<p>shell</p>")),
                Frame::data(Bytes::new()),
                Frame::data(Bytes::from_static(b"<p>section</p>")),
                Frame::trailers(trailers),
            ]);
            let mut response = Response::new(Body::new(Frames(frames)));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            headers.insert(
                header::VARY,
                HeaderValue::from_static("Cookie, Accept-Encoding"),
            );
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            response
        };
        for (coding, codec) in [(Coding::Gzip, Codec::Gzip), (Coding::Brotli, Codec::Brotli)] {
            let rewritten = compressed(response(), Some(coding));
            let headers = rewritten.headers();
            assert_eq!(headers[header::CONTENT_ENCODING], codec.header_value());
            assert_eq!(headers.get_all(header::VARY).iter().count(), 1);
            assert!(!headers.contains_key(header::ACCEPT_RANGES));
            let mut body = rewritten.into_body();
            let (mut data, mut trailers) = (Vec::new(), None);
            while let Some(frame) =
                std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx))
                    .await
            {
                let frame = frame.expect("frame");
                assert!(trailers.is_none(), "{codec:?}: nothing after the trailers");
                match frame.into_data() {
                    Ok(bytes) => data.extend_from_slice(&bytes),
                    Err(frame) => trailers = frame.into_trailers().ok(),
                }
            }
            assert_eq!(decoded(codec, &data), b"<p>shell</p><p>section</p>");
            assert_eq!(trailers.expect("trailers")["x-done"], "yes");
        }
        let untouched = compressed(response(), None);
        assert!(!untouched.headers().contains_key(header::CONTENT_ENCODING));
        let mut plain = response();
        plain.headers_mut().remove(header::VARY);
        let identity = compressed(plain, Some(Coding::Identity));
        assert_eq!(identity.headers()[header::VARY], "accept-encoding");
        assert!(!identity.headers().contains_key(header::CONTENT_ENCODING));
    }
}
