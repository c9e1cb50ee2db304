//! The receiving side of one connection, without the socket: a reusable read buffer, the
//! response parser and the marker scan, turning timed reads into one [`Sample`] per response.

use super::marker::MarkerScan;
use super::parse::{FramingError, ResponseParser};

/// Size of a connection's read buffer. A response head (or chunk-size line) must fit in it;
/// body bytes pass through without being kept, so it bounds nothing else.
pub const READ_BUFFER: usize = 64 * 1024;

/// Receives responses on one connection: the socket reads into [`Receiver::spare`], then
/// reports the read with [`Receiver::on_read`].
///
/// Everything is allocated once per connection and reused for every response: the hot path
/// does not allocate.
#[derive(Debug)]
pub struct Receiver {
    buf: Box<[u8]>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    parser: ResponseParser,
    markers: MarkerScan,
    sample: Sample,
}

/// The figures of one response, in microseconds from the moment the request was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// Time to the first byte of the response.
    pub ttfb_us: u64,
    /// Time to the last byte of the response.
    pub total_us: u64,
    /// Socket reads that carried bytes of this response; more than one means it streamed.
    pub reads: u32,
    /// Bytes received for this response, head included.
    pub bytes: u64,
    /// The final status code.
    pub status: u16,
    /// Whether the server closes the connection after it.
    pub close: bool,
}

/// Whether a response is complete after a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed.
    More,
    /// The response is complete; see [`Receiver::sample`].
    Complete,
}

impl Receiver {
    /// A receiver that reports the arrival of each of `markers`.
    pub fn new<S: AsRef<[u8]>>(markers: &[S]) -> Self {
        Self {
            buf: vec![0; READ_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            parser: ResponseParser::new(),
            markers: MarkerScan::new(markers),
            sample: Sample::default(),
        }
    }

    /// Readies the receiver for the response to a request about to be sent. Bytes already
    /// buffered (a pipelined response) are kept.
    pub fn begin(&mut self) {
        self.parser.reset();
        self.markers.reset();
        self.sample = Sample::default();
    }

    /// Drops buffered bytes, for a new connection.
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Whether bytes after the last complete response are buffered.
    pub fn has_buffered(&self) -> bool {
        self.start < self.end
    }

    /// The free part of the buffer, for the next socket read.
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.end..]
    }

    /// Accounts for `n` bytes just read into [`Receiver::spare`], `at_us` microseconds after
    /// the request was sent, and parses them.
    ///
    /// # Errors
    ///
    /// A [`FramingError`] if the response is malformed or its head does not fit the buffer.
    pub fn on_read(&mut self, n: usize, at_us: u64) -> Result<Progress, FramingError> {
        if self.sample.reads == 0 {
            self.sample.ttfb_us = at_us;
        }
        self.sample.reads += 1;
        self.sample.bytes += n as u64;
        self.end += n;
        self.parse_buffered(at_us)
    }

    /// Parses bytes already in the buffer, such as a second response that arrived in the
    /// same read as the first.
    ///
    /// # Errors
    ///
    /// As [`Receiver::on_read`].
    pub fn parse_buffered(&mut self, at_us: u64) -> Result<Progress, FramingError> {
        if self.sample.reads == 0 && self.has_buffered() {
            self.sample.ttfb_us = at_us;
            self.sample.reads = 1;
        }
        let markers = &mut self.markers;
        let parsed = self
            .parser
            .parse(&self.buf[self.start..self.end], &mut |body: &[u8]| {
                markers.feed(body, at_us)
            })?;
        self.start += parsed.consumed;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if parsed.complete {
            self.sample.total_us = at_us;
            self.sample.status = self.parser.status();
            self.sample.close = self.parser.will_close();
            return Ok(Progress::Complete);
        }
        self.make_room()?;
        Ok(Progress::More)
    }

    /// Handles the end of the stream, `at_us` after the request.
    ///
    /// # Errors
    ///
    /// A [`FramingError`] unless the response is delimited by the close.
    pub fn on_eof(&mut self, at_us: u64) -> Result<Progress, FramingError> {
        self.parser.eof()?;
        self.sample.total_us = at_us;
        self.sample.status = self.parser.status();
        self.sample.close = true;
        Ok(Progress::Complete)
    }

    /// Whether the response has started arriving.
    pub fn started(&self) -> bool {
        self.sample.reads > 0
    }

    /// The figures of the response just completed.
    pub fn sample(&self) -> &Sample {
        &self.sample
    }

    /// When each marker arrived in the response just completed (microseconds), in order.
    pub fn markers(&self) -> impl ExactSizeIterator<Item = Option<u64>> + '_ {
        self.markers.found()
    }

    /// Moves a partial unit to the front of the buffer when the buffer is full.
    fn make_room(&mut self) -> Result<(), FramingError> {
        if self.end < self.buf.len() {
            return Ok(());
        }
        if self.start == 0 {
            return Err(FramingError(
                "response head larger than the 64 KiB read buffer",
            ));
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        Ok(())
    }
}
