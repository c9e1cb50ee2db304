//! HTTP/1.1 response framing: status line and headers, then a content-length, chunked or
//! read-until-close body, fed incrementally from whatever bytes have arrived.

use std::fmt;

use memchr::memchr;

/// Longest chunk-size or trailer line accepted; a longer one is a framing error, not a reason
/// to buffer without bound.
const MAX_LINE: usize = 4096;

/// Headers parsed per response; a response with more is a framing error.
const MAX_HEADERS: usize = 64;

/// An incremental parser of one HTTP/1.1 response at a time.
///
/// The caller keeps the unconsumed bytes: [`ResponseParser::parse`] consumes whole units (the
/// head, a chunk-size line, the CRLF after a chunk, a trailer line) only once they are complete,
/// and body bytes as soon as they arrive, handing them to a sink. So a unit split across reads
/// simply stays in the caller's buffer until the rest comes, and body bytes are never copied.
/// One parser serves a whole connection: [`ResponseParser::reset`] readies it for the next
/// response.
#[derive(Debug, Clone)]
pub struct ResponseParser {
    state: State,
    status: u16,
    close: bool,
}

/// Where the parser is within a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Fixed { remaining: u64 },
    ChunkSize,
    ChunkData { remaining: u64 },
    ChunkEnd,
    Trailers,
    UntilClose,
    Done,
}

/// What one call to [`ResponseParser::parse`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// Bytes of the input consumed; the rest must be offered again with more data after it.
    pub consumed: usize,
    /// The response is complete; bytes after `consumed` belong to whatever follows it.
    pub complete: bool,
}

/// A response that cannot be framed. The connection it came on is unusable afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError(pub &'static str);

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad response framing: {}", self.0)
    }
}

impl std::error::Error for FramingError {}

/// Feeds `reads` to one parser as one connection's successive socket reads and returns the
/// decoded body of each complete response, or the first framing error. For tests and fuzzing:
/// the same bytes must give the same bodies however they are split.
pub fn decode_reads(reads: &[&[u8]]) -> Result<Vec<Vec<u8>>, FramingError> {
    let mut parser = ResponseParser::new();
    let (mut pending, mut body, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for read in reads {
        pending.extend_from_slice(read);
        loop {
            let parsed = parser.parse(&pending, &mut |b: &[u8]| body.extend_from_slice(b))?;
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

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseParser {
    /// A parser waiting for a response head.
    pub fn new() -> Self {
        Self {
            state: State::Head,
            status: 0,
            close: false,
        }
    }

    /// Readies the parser for the next response on the same connection.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// The final status code, once the head is parsed (0 before).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the server will close the connection after this response
    /// (`Connection: close`, HTTP/1.0 without keep-alive, or a body delimited by the close).
    pub fn will_close(&self) -> bool {
        self.close
    }

    /// Whether the head has been parsed (the body, if any, may still be arriving).
    pub fn head_done(&self) -> bool {
        self.state != State::Head
    }

    /// Whether the response is complete.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// Parses as much of `input` as is complete, passing decoded body bytes to `body`.
    ///
    /// # Errors
    ///
    /// A [`FramingError`] for anything that is not a well-formed HTTP/1.x response.
    pub fn parse(
        &mut self,
        input: &[u8],
        body: &mut impl FnMut(&[u8]),
    ) -> Result<Parsed, FramingError> {
        let mut at = 0;
        loop {
            let rest = &input[at..];
            let used = match self.state {
                State::Done => break,
                State::Head => self.head(rest)?,
                State::Fixed { remaining } => {
                    let take = take(remaining, rest.len());
                    body(&rest[..take]);
                    let remaining = remaining - take as u64;
                    self.state = if remaining == 0 {
                        State::Done
                    } else {
                        State::Fixed { remaining }
                    };
                    Some(take)
                }
                State::ChunkSize => self.chunk_size(rest)?,
                State::ChunkData { remaining } => {
                    let take = take(remaining, rest.len());
                    body(&rest[..take]);
                    let remaining = remaining - take as u64;
                    self.state = if remaining == 0 {
                        State::ChunkEnd
                    } else {
                        State::ChunkData { remaining }
                    };
                    Some(take)
                }
                State::ChunkEnd => chunk_end(rest)?.inspect(|_| self.state = State::ChunkSize),
                State::Trailers => self.trailer(rest)?,
                State::UntilClose => {
                    body(rest);
                    Some(rest.len())
                }
            };
            match used {
                Some(n) if n > 0 || self.state == State::Done => at += n,
                _ => break,
            }
            if at == input.len() && self.state != State::Done {
                break;
            }
        }
        Ok(Parsed {
            consumed: at,
            complete: self.state == State::Done,
        })
    }

    /// Handles the end of the stream: completes a read-until-close body, or reports why the
    /// response is cut short.
    ///
    /// # Errors
    ///
    /// `FramingError("connection closed mid-response")` unless the body ends with the close.
    pub fn eof(&mut self) -> Result<(), FramingError> {
        match self.state {
            State::UntilClose | State::Done => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(FramingError("connection closed mid-response")),
        }
    }

    /// Parses the status line and headers if complete; `None` asks for more bytes.
    fn head(&mut self, input: &[u8]) -> Result<Option<usize>, FramingError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let len = match response.parse(input) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => return Err(FramingError("too many headers")),
            Err(_) => return Err(FramingError("malformed status line or header")),
        };
        let status = response.code.unwrap_or(0);
        if status == 101 {
            return Err(FramingError("unexpected protocol upgrade"));
        }
        if (100..200).contains(&status) {
            // An interim response (e.g. 103 Early Hints): the final head follows it.
            return Ok(Some(len));
        }
        let framing = Framing::of(response.headers)?;
        self.status = status;
        self.close = framing.close || (response.version == Some(0) && !framing.keep_alive);
        self.state = if status == 204 || status == 304 {
            State::Done
        } else if framing.chunked {
            State::ChunkSize
        } else if let Some(length) = framing.length {
            if length == 0 {
                State::Done
            } else {
                State::Fixed { remaining: length }
            }
        } else {
            self.close = true;
            State::UntilClose
        };
        Ok(Some(len))
    }

    /// Parses a chunk-size line (`1a;ext=v\r\n`) if complete.
    fn chunk_size(&mut self, input: &[u8]) -> Result<Option<usize>, FramingError> {
        let Some((line, used)) = line(input)? else {
            return Ok(None);
        };
        let size = parse_chunk_size(line)?;
        self.state = if size == 0 {
            State::Trailers
        } else {
            State::ChunkData { remaining: size }
        };
        Ok(Some(used))
    }

    /// Consumes one trailer line if complete; an empty line ends the response.
    fn trailer(&mut self, input: &[u8]) -> Result<Option<usize>, FramingError> {
        let Some((line, used)) = line(input)? else {
            return Ok(None);
        };
        if line.is_empty() {
            self.state = State::Done;
        }
        Ok(Some(used))
    }
}

/// What a response's headers say about its body and its connection.
#[derive(Debug, Default)]
struct Framing {
    length: Option<u64>,
    chunked: bool,
    close: bool,
    keep_alive: bool,
}

impl Framing {
    fn of(headers: &[httparse::Header<'_>]) -> Result<Self, FramingError> {
        let mut framing = Framing::default();
        for header in headers {
            if header.name.eq_ignore_ascii_case("content-length") {
                let length = parse_length(header.value)?;
                if framing.length.is_some_and(|seen| seen != length) {
                    return Err(FramingError("conflicting content-length headers"));
                }
                framing.length = Some(length);
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                // Chunked must be the last coding; anything else is delimited by the close.
                framing.chunked = last_token(header.value).eq_ignore_ascii_case(b"chunked");
            } else if header.name.eq_ignore_ascii_case("connection") {
                framing.close |= has_token(header.value, b"close");
                framing.keep_alive |= has_token(header.value, b"keep-alive");
            }
        }
        if framing.chunked {
            framing.length = None;
        }
        Ok(framing)
    }
}

fn take(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |remaining| remaining.min(available))
}

/// The CRLF after a chunk's data, if both bytes are there.
fn chunk_end(input: &[u8]) -> Result<Option<usize>, FramingError> {
    match input {
        [b'\r', b'\n', ..] => Ok(Some(2)),
        [] | [b'\r'] => Ok(None),
        _ => Err(FramingError("chunk data not followed by CRLF")),
    }
}

/// A line without its CRLF (a bare LF is tolerated) and the bytes it used, if complete.
fn line(input: &[u8]) -> Result<Option<(&[u8], usize)>, FramingError> {
    match memchr(b'\n', input) {
        Some(end) => {
            let line = &input[..end];
            Ok(Some((line.strip_suffix(b"\r").unwrap_or(line), end + 1)))
        }
        None if input.len() > MAX_LINE => Err(FramingError("chunk-size or trailer line too long")),
        None => Ok(None),
    }
}

/// The hexadecimal size of a chunk-size line, ignoring extensions after `;`.
fn parse_chunk_size(line: &[u8]) -> Result<u64, FramingError> {
    let digits = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or(line)
        .trim_ascii();
    if digits.is_empty() || digits.len() > 15 {
        return Err(FramingError("bad chunk size"));
    }
    digits.iter().try_fold(0u64, |size, &b| {
        let digit = (b as char)
            .to_digit(16)
            .ok_or(FramingError("bad chunk size"))?;
        Ok(size << 4 | u64::from(digit))
    })
}

fn parse_length(value: &[u8]) -> Result<u64, FramingError> {
    let digits = value.trim_ascii();
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(FramingError("bad content-length"));
    }
    Ok(digits.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

fn last_token(value: &[u8]) -> &[u8] {
    value
        .rsplit(|&b| b == b',')
        .next()
        .unwrap_or(value)
        .trim_ascii()
}

fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> (Result<Parsed, FramingError>, Vec<u8>) {
        let mut body = Vec::new();
        let result = ResponseParser::new().parse(input, &mut |b: &[u8]| body.extend_from_slice(b));
        (result, body)
    }

    #[test]
    fn chunk_sizes_are_hex_and_ignore_extensions() {
        assert_eq!(parse_chunk_size(b"1a"), Ok(26));
        assert_eq!(parse_chunk_size(b"FF ; name=value"), Ok(255));
        assert!(parse_chunk_size(b"").is_err());
        assert!(parse_chunk_size(b"zz").is_err());
        assert!(parse_chunk_size(b"1234567890abcdef0").is_err());
    }

    #[test]
    fn a_head_without_length_reads_until_close() {
        let mut parser = ResponseParser::new();
        let parsed = parser.parse(b"HTTP/1.1 200 OK\r\n\r\nabc", &mut |_: &[u8]| {});
        assert_eq!(
            parsed,
            Ok(Parsed {
                consumed: 22,
                complete: false
            })
        );
        assert!(parser.will_close());
        assert_eq!(parser.eof(), Ok(()));
    }

    #[test]
    fn no_content_has_no_body() {
        let (result, body) = parse_all(b"HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(
            result,
            Ok(Parsed {
                consumed: 27,
                complete: true
            })
        );
        assert!(body.is_empty());
    }

    #[test]
    fn interim_responses_are_skipped() {
        let input = b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        let (result, body) = parse_all(input);
        assert_eq!(
            result,
            Ok(Parsed {
                consumed: input.len(),
                complete: true
            })
        );
        assert_eq!(body, b"hi");
    }

    #[test]
    fn conflicting_lengths_are_rejected() {
        let (result, _) =
            parse_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi");
        assert!(result.is_err());
    }
}
