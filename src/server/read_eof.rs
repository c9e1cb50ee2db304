//! Noticing that a client shut its sending side, while hyper is not reading.
//!
//! hyper is told to keep writing after a client's end-of-file (`half_close`), so clients that
//! close their side after the request still get the whole page. The price: with
//! `half_close`, hyper no longer reads in the middle of a response, so it would not notice a
//! client that left either. So each connection's socket is shared ([`SharedTcp`]) with a
//! small task ([`watch_read_eof`]) that peeks, without consuming anything, and marks the
//! connection's [`ReadClosed`] at end-of-file; the engine's heartbeat then finds out whether
//! the client is still there (see `stream::ReadClosed`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::stream::{HEARTBEAT, ReadClosed};

/// A TCP socket that hyper reads and writes while [`watch_read_eof`] peeks at it.
#[derive(Debug, Clone)]
pub struct SharedTcp(pub Arc<TcpStream>);

/// Waits for the client's end-of-file on `stream` and marks `read_closed`. Bytes that are
/// waiting (the next request, a request body) are left for hyper; the task looks again a
/// heartbeat later. Abort it when the connection ends: it holds the socket open.
pub async fn watch_read_eof(stream: Arc<TcpStream>, read_closed: ReadClosed) {
    let mut byte = [0u8; 1];
    loop {
        match stream.peek(&mut byte).await {
            Ok(0) | Err(_) => return read_closed.mark(),
            Ok(_) => tokio::time::sleep(HEARTBEAT).await,
        }
    }
}

impl AsyncRead for SharedTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            // Into the buffer's uninitialised capacity (`BufMut`): zeroing it first, as
            // `try_read(buf.initialize_unfilled())` would, cost more than the whole rest
            // of a cached page (hyper hands over its whole spare capacity every time).
            match self.0.try_read_buf(buf) {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for SharedTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                written => return Poll::Ready(written),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                written => return Poll::Ready(written),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Nothing is buffered here.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Sends the FIN now (the socket itself closes when the watcher is gone too).
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(socket2::SockRef::from(&*self.0).shutdown(std::net::Shutdown::Write))
    }
}
