//! Clients that shut their sending side after the request (`nc -N`, scripts, TCP relays):
//! they still get the whole page at the usual times, and a client that then vanishes still
//! has its producers cancelled, within a heartbeat or two.

use std::time::{Duration, Instant};

use braid::stream::{Engine, HEARTBEAT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{ms, pages_on};
use crate::util::{eventually, start_server};

/// Sends `GET /` with `extra` headers, then shuts the sending side; returns the connection.
async fn request_then_half_close(addr: std::net::SocketAddr, extra: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    stream.shutdown().await.expect("shut the sending side");
    stream
}

/// Reads to end-of-file, noting when each of `needles` first arrived.
async fn read_all(stream: &mut TcpStream, needles: &[&str]) -> (String, Vec<Duration>) {
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut arrivals = vec![None; needles.len()];
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("the response ends")
            .expect("read");
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
        for (needle, arrival) in needles.iter().zip(arrivals.iter_mut()) {
            if arrival.is_none() && memchr::memmem::find(&seen, needle.as_bytes()).is_some() {
                *arrival = Some(start.elapsed());
            }
        }
    }
    let arrivals = arrivals
        .into_iter()
        .zip(needles)
        .map(|(at, needle)| at.unwrap_or_else(|| panic!("{needle:?} never arrived")))
        .collect();
    (String::from_utf8_lossy(&seen).into_owned(), arrivals)
}

/// With and without `Connection: close`, a client that half-closes gets every section, in
/// completion order, the slowest last; the response ends the connection.
#[tokio::test]
async fn half_closed_clients_get_the_whole_page() {
    let engine = Engine::default();
    let server = start_server(pages_on(&engine, &[300, 100, 200]), engine).await;
    for extra in ["Connection: close\r\n", ""] {
        let mut stream = request_then_half_close(server.addr, extra).await;
        let needles = ["Shell heading", "done-1", "done-2", "done-0", "</html>"];
        let (body, at) = read_all(&mut stream, &needles).await;
        assert!(body.starts_with("HTTP/1.1 200 OK"), "{extra:?}: {body}");
        assert!(
            at[0] < at[1] && at[1] < at[2] && at[2] < at[3],
            "{extra:?}: {at:?}"
        );
        assert!(
            at[3] >= ms(300) && at[3] < ms(600),
            "{extra:?}: the slowest section, not the sum: {at:?}"
        );
    }
}

/// A client that half-closes, reads the shell, then vanishes: the page notices at its next
/// heartbeat write and cancels its producers (sections would take 30 s).
#[tokio::test]
async fn a_half_closed_client_that_vanishes_is_noticed() {
    let engine = Engine::default();
    let server = start_server(pages_on(&engine, &[30_000, 30_000]), engine.clone()).await;
    let mut stream = request_then_half_close(server.addr, "").await;
    let mut buf = [0u8; 16 * 1024];
    let mut seen = Vec::new();
    while memchr::memmem::find(&seen, b"loading-1").is_none() {
        let n = stream.read(&mut buf).await.expect("read the shell");
        assert!(n > 0, "the shell arrives");
        seen.extend_from_slice(&buf[..n]);
    }
    assert_eq!(engine.live_producers(), 2);
    drop(stream);
    let gone = Instant::now();
    assert!(
        eventually(HEARTBEAT * 5, || engine.live_producers() == 0).await,
        "producers cancelled within a few heartbeats"
    );
    eprintln!(
        "half-closed client gone: producers cancelled after {:?}",
        gone.elapsed()
    );
}

/// A crawler (one complete document, so nothing is written until the end) that leaves
/// while the sections run: its producers are cancelled within a few heartbeats too.
#[tokio::test]
async fn a_crawler_that_leaves_is_noticed() {
    let engine = Engine::default();
    let server = start_server(pages_on(&engine, &[30_000, 30_000]), engine.clone()).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUser-Agent: Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    assert!(eventually(HEARTBEAT * 5, || engine.live_producers() == 2).await);
    drop(stream);
    assert!(
        eventually(HEARTBEAT * 5, || engine.live_producers() == 0).await,
        "producers cancelled within a few heartbeats"
    );
}
