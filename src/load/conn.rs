//! One client connection: send a request, time its response, repeat until the schedule ends;
//! reconnect after an error or a `Connection: close`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::plan::Plan;
use super::receiver::{Progress, Receiver};
use super::stats::{ErrorKind, Shards};

/// Pause after a failed connect, so a server that is down is not hammered in a busy loop.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// Runs connection number `index` of `plan` until its schedule ends, recording into `shards`.
pub(super) async fn drive(plan: Arc<Plan>, shards: Arc<Shards>, index: usize) {
    let mut conn = Connection {
        receiver: Receiver::new(&plan.markers),
        stream: None,
        next_target: index % plan.targets.len(),
        plan,
        shards,
        index,
    };
    while let Some(ticket) = conn.plan.schedule.next() {
        if let Err(kind) = conn.request(ticket.measured).await {
            conn.stream = None;
            conn.shards
                .get(conn.index)
                .record_error(kind, ticket.measured);
            if kind == ErrorKind::Connect {
                tokio::time::sleep(CONNECT_BACKOFF).await;
            }
        }
    }
}

/// The state one connection keeps between requests.
struct Connection {
    plan: Arc<Plan>,
    shards: Arc<Shards>,
    index: usize,
    receiver: Receiver,
    /// The open socket and the address it is connected to.
    stream: Option<(TcpStream, SocketAddr)>,
    next_target: usize,
}

impl Connection {
    /// Sends the next URL's request and records its response.
    async fn request(&mut self, measured: bool) -> Result<(), ErrorKind> {
        let target = self.next_target;
        self.next_target = (self.next_target + 1) % self.plan.targets.len();
        let addr = self.plan.targets[target].1;
        let reused = self.stream.as_ref().is_some_and(|(_, at)| *at == addr);
        match self.send(target).await {
            // The server closed an idle keep-alive connection just as the request went out:
            // like any HTTP client, retry once on a new connection rather than count an error.
            Err(ErrorKind::Eof | ErrorKind::Io) if reused && !self.receiver.started() => {
                self.stream = None;
                self.send(target).await?;
            }
            result => result?,
        }
        let sample = self.receiver.sample();
        if sample.close {
            self.stream = None;
        }
        let markers = self.receiver.markers();
        self.shards
            .get(self.index)
            .record(sample, markers, measured);
        Ok(())
    }

    /// Sends target `target`'s request, connecting first if needed, and reads its response.
    async fn send(&mut self, target: usize) -> Result<(), ErrorKind> {
        let (target, addr) = &self.plan.targets[target];
        let stream = match self.stream.take() {
            Some((stream, at)) if at == *addr => stream,
            _ => {
                self.receiver.clear();
                let stream = connect(*addr, self.plan.timeout).await?;
                self.shards.get(self.index).connections += 1;
                stream
            }
        };
        let stream = &mut self.stream.insert((stream, *addr)).0;
        let sent = Instant::now();
        let exchange = exchange(stream, &target.request, &mut self.receiver, sent);
        tokio::time::timeout(self.plan.timeout, exchange)
            .await
            .unwrap_or(Err(ErrorKind::Timeout))
    }
}

/// Opens a connection with Nagle's algorithm off, so each request leaves at once.
async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, ErrorKind> {
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(_)) => return Err(ErrorKind::Connect),
        Err(_) => return Err(ErrorKind::Timeout),
    };
    stream.set_nodelay(true).map_err(|_| ErrorKind::Connect)?;
    Ok(stream)
}

/// Writes `request` and reads its response to the end; every figure is measured from `sent`.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    receiver: &mut Receiver,
    sent: Instant,
) -> Result<(), ErrorKind> {
    receiver.begin();
    stream.write_all(request).await.map_err(|_| ErrorKind::Io)?;
    loop {
        let read = stream.read(receiver.spare()).await;
        let at_us = micros(sent.elapsed());
        let progress = match read {
            Ok(0) if !receiver.started() => return Err(ErrorKind::Eof),
            Ok(0) => receiver.on_eof(at_us).map_err(|_| ErrorKind::Eof)?,
            Ok(n) => receiver.on_read(n, at_us).map_err(|_| ErrorKind::Framing)?,
            Err(_) => return Err(ErrorKind::Io),
        };
        if progress == Progress::Complete {
            // Nothing was asked for beyond this response: extra bytes mean a broken server.
            return if receiver.has_buffered() {
                Err(ErrorKind::Framing)
            } else {
                Ok(())
            };
        }
    }
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}
