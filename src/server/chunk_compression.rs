//! Compression of streamed responses that holds no compressor while a stream waits.
//!
//! A streamed page is held open while its sections wait, often for seconds. tower-http's
//! compression layer keeps one encoder per response for the response's whole life: 411 KB
//! of deflate state for gzip, 68 KB for brotli even at quality 1 (BENCHMARKS.md,
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
//!   the distance cache, which in the decoder still holds the previous chunk's distances).
//!   The stream ends with an empty final meta-block.
//!
//! The price is the cross-chunk context: a section's chunk cannot refer back to the shell.
//! Each chunk is complete when it is sent, so the client decodes every section on arrival.
//! Which coding a request gets is decided as tower-http decides it
//! ([`budget::chosen`](super::budget::chosen)); the outer tower-http layer still answers
//! `406` when no coding is acceptable, and compresses every response of known length.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
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

/// The gzip level of each chunk: zlib's default. Its state (about 270 KB, zlib-rs) lives
/// only while one chunk is compressed.
const GZIP_LEVEL: u32 = 6;
/// The brotli quality of a chunk of [`BROTLI_LARGE_CHUNK`] bytes or more (a shell), and of
/// a smaller one (a section). Every chunk pays for its encoder's hash tables, which the
/// brotli crate clears when it makes them: 256 KB at quality 2, 512 KB at 4, 1 MB at 5.
/// Measured (BENCHMARKS.md): a 2.9 KB shell takes 21 µs to 368 B at quality 4, 33 µs to
/// 329 B at 5; a 700 B section 4.5 µs to 140 B at quality 2, 11.7 µs to 112 B at 4.
const BROTLI_QUALITY: (i32, i32) = (4, 2);
const BROTLI_LARGE_CHUNK: usize = 2048;
/// The brotli window, as a power of two: every chunk's, since a later chunk may not refer
/// further back than the window the first one announced.
const BROTLI_WINDOW_BITS: i32 = 22;

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
fn compressed(response: Response, coding: Option<Coding>) -> Response {
    let codec = match coding {
        Some(Coding::Gzip) => Codec::Gzip,
        Some(Coding::Brotli) => Codec::Brotli,
        Some(Coding::Identity) | None => return response,
    };
    let eligible = super::is_streamed(&response)
        && !response.headers().contains_key(header::CONTENT_ENCODING)
        && !response.headers().contains_key(header::CONTENT_RANGE)
        && DefaultPredicate::new().should_compress(&response);
    if !eligible {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let headers = &mut parts.headers;
    let varies = headers
        .get_all(header::VARY)
        .iter()
        .any(|value| value.as_bytes().eq_ignore_ascii_case(b"accept-encoding"));
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
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

/// A content coding, and what its stream has to remember between chunks.
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
    let params = brotli::enc::BrotliEncoderParams {
        quality: if data.len() >= BROTLI_LARGE_CHUNK {
            BROTLI_QUALITY.0
        } else {
            BROTLI_QUALITY.1
        },
        lgwin: BROTLI_WINDOW_BITS,
        size_hint: data.len(),
        bare_stream: true,
        byte_align: true,
        appendable: true,
        catable: !first,
        use_dictionary: first,
        ..brotli::enc::BrotliEncoderParams::default()
    };
    let mut writer = brotli::CompressorWriter::with_params(
        Vec::with_capacity(data.len() / 3 + 64),
        4096,
        &params,
    );
    writer.write_all(data)?;
    Ok(writer.into_inner())
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
    use std::io::Read;

    use super::*;

    /// Chunks like a streamed page's: a shell, then sections, some alike, one empty.
    fn chunks() -> Vec<Vec<u8>> {
        let shell = "<!doctype html><html><head><title>t</title></head><body>".to_string()
            + &"<nav><a href=\"/x\">Link</a></nav>".repeat(40);
        let section = |k: usize| {
            format!(
                "<template for=\"s{k}\"><table>{}</table></template>",
                "<tr><td>Customer</td><td>$1,234.56</td></tr>".repeat(k * 7)
            )
        };
        vec![
            shell.into_bytes(),
            section(3).into_bytes(),
            Vec::new(),
            section(1).into_bytes(),
            section(3).into_bytes(),
            b"</body></html>".to_vec(),
        ]
    }

    /// Whatever a streaming decoder can produce from `sent` so far.
    fn decoded_so_far(codec: Codec, sent: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match codec {
            Codec::Gzip => {
                let mut decoder = flate2::Decompress::new(false);
                let body = &sent[GZIP_HEADER.len()..];
                let mut buffer = vec![0; 1 << 20];
                decoder
                    .decompress(body, &mut buffer, flate2::FlushDecompress::Sync)
                    .expect("deflate");
                buffer.truncate(usize::try_from(decoder.total_out()).unwrap());
                out = buffer;
            }
            Codec::Brotli => {
                let mut decoder = brotli::DecompressorWriter::new(&mut out, 4096);
                decoder.write_all(sent).expect("brotli");
                decoder.flush().expect("brotli");
                drop(decoder);
            }
        }
        out
    }

    /// Each chunk decodes in full from the bytes sent up to it (a section shows when it
    /// arrives), and the whole is one valid stream of everything, checked by a one-shot
    /// decoder that also checks the end (gzip's CRC-32 and length).
    #[test]
    fn every_chunk_decodes_on_arrival_and_the_whole_is_one_stream() {
        for codec in [Codec::Gzip, Codec::Brotli] {
            let mut state = codec.start();
            let (mut sent, mut plain) = (Vec::new(), Vec::<u8>::new());
            for chunk in chunks() {
                if chunk.is_empty() {
                    continue;
                }
                sent.extend(state.chunk(&chunk).unwrap());
                plain.extend(&chunk);
                assert_eq!(decoded_so_far(codec, &sent), plain, "{codec:?}");
            }
            sent.extend(state.end());
            let mut whole = Vec::new();
            match codec {
                Codec::Gzip => flate2::read::GzDecoder::new(&sent[..]).read_to_end(&mut whole),
                Codec::Brotli => brotli::Decompressor::new(&sent[..], 4096).read_to_end(&mut whole),
            }
            .unwrap_or_else(|error| panic!("{codec:?}: {error}"));
            assert_eq!(whole, plain, "{codec:?}");
            assert!(
                sent.len() * 4 < plain.len(),
                "{codec:?}: {} of {}",
                sent.len(),
                plain.len()
            );
        }
    }

    /// A body without data is still a valid, empty stream.
    #[test]
    fn an_empty_body_is_an_empty_stream() {
        for codec in [Codec::Gzip, Codec::Brotli] {
            let sent = codec.start().end();
            let mut whole = Vec::new();
            match codec {
                Codec::Gzip => flate2::read::GzDecoder::new(&sent[..]).read_to_end(&mut whole),
                Codec::Brotli => brotli::Decompressor::new(&sent[..], 4096).read_to_end(&mut whole),
            }
            .unwrap_or_else(|error| panic!("{codec:?}: {error}"));
            assert!(whole.is_empty());
        }
    }
}
