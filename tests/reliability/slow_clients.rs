//! Clients that read too slowly (write timeout, backpressure) or send too slowly (header-read
//! timeout), while other clients are served as usual.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::routing::get;
use braid::server::ServerOptions;
use braid::stream::{Engine, Page, Shell};
use futures::StreamExt;
use maud::html;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::{ms, read_to_end_or_reset};
use crate::util::{eventually, record, start_server_with};

/// Sections of the large page, and bytes of text in each: 128 × 256 KiB = 32 MiB. Large
/// because on loopback the kernel's send buffer grows to `tcp_wmem`'s maximum (4 MiB by
/// default), which the server fills before any backpressure can show.
const BIG_SECTIONS: usize = 128;
const SECTION_BYTES: usize = 256 * 1024;

/// `/big`: a 32 MiB page whose sections settle 5 ms apart, so it streams in many chunks;
/// `pulled` counts the body bytes the server has taken from the page so far (what hyper
/// asked for, whether or not the client has read it). `/small` is a normal small page.
fn big_page_router(engine: &Engine, pulled: Arc<AtomicUsize>) -> Router {
    let count = axum::middleware::map_response(move |response: Response| {
        let pulled = Arc::clone(&pulled);
        async move {
            let (parts, body) = response.into_parts();
            let counted = body.into_data_stream().map(move |chunk| {
                if let Ok(bytes) = &chunk {
                    pulled.fetch_add(bytes.len(), Ordering::Relaxed);
                }
                chunk
            });
            Response::from_parts(parts, Body::from_stream(counted))
        }
    });
    let big = Router::new()
        .route("/big", get(big_page).layer(count))
        .with_state(engine.clone());
    super::pages_on(engine, &[0]).merge(big)
}

async fn big_page(page: Page) -> Response {
    let slots: Vec<_> = (0..BIG_SECTIONS)
        .map(|i| {
            page.section(html! { p { "loading" } }, async move {
                tokio::time::sleep(ms(5 * (i as u64 + 1))).await;
                let text = "x".repeat(SECTION_BYTES);
                Ok::<_, Infallible>(html! { section { h2 { "big-" (i) } p { (text) } } })
            })
        })
        .collect();
    page.render(Shell {
        head: html! { title { "big" } },
        body: html! { main { @for slot in &slots { (slot) } } },
    })
}

/// A slow reader on a 32 MiB page (small receive buffer; reads one byte every 200 ms after
/// the response head): the server takes only a small part of the page off the producers
/// (backpressure: what it pulled, i.e. the kernel's send buffer plus a chunk, stays below a
/// quarter of the page; producers still run, by design, since all start with the request), a concurrent normal
/// request completes in a fraction of the slow one's life, and the write timeout (500 ms)
/// drops the slow connection: the client sees the end of the stream without the end of the
/// document, and no stream or producer is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reader_is_bounded_and_dropped_by_the_write_timeout() {
    let write_timeout = ms(500);
    let engine = Engine::default();
    let pulled = Arc::new(AtomicUsize::new(0));
    let options = ServerOptions {
        write_timeout,
        ..ServerOptions::default()
    };
    let server = start_server_with(
        big_page_router(&engine, Arc::clone(&pulled)),
        engine.clone(),
        options,
    )
    .await;

    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut slow = socket.connect(server.addr).await.expect("connect");
    let started = Instant::now();
    slow.write_all(b"GET /big HTTP/1.1\r\nHost: braid\r\n\r\n")
        .await
        .expect("send request");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(slow.read(&mut byte).await.expect("read head"), 1);
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&head)
    );

    // The slow client trickles in the background until the server has given up on it.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let trickle = tokio::spawn(async move {
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                _ = &mut stopped => return slow,
                () = tokio::time::sleep(ms(200)) => {}
            }
            if !matches!(slow.read(&mut byte).await, Ok(1)) {
                return slow;
            }
        }
    });

    // Meanwhile another client is served as usual.
    assert!(engine.streams_in_flight() >= 1, "the slow stream is open");
    let normal = record(&server.url("/small")).await;
    assert_eq!(normal.status, 200);
    assert!(normal.body().contains("small-done"));

    assert!(
        eventually(write_timeout * 20, || engine.streams_in_flight() == 0).await,
        "the write timeout drops the slow connection"
    );
    let slow_life = started.elapsed();
    assert!(
        slow_life >= write_timeout,
        "dropped after {slow_life:?}, not before the write timeout {write_timeout:?}"
    );
    assert!(
        normal.total * 2 < slow_life,
        "the normal request ({:?}) finished long before the slow one was dropped ({slow_life:?})",
        normal.total
    );
    let page_bytes = BIG_SECTIONS * SECTION_BYTES;
    let taken = pulled.load(Ordering::Relaxed);
    assert!(
        taken < page_bytes / 4,
        "the server pulled {taken} bytes of a {page_bytes}-byte page for a reader that read \
         almost nothing: no backpressure (expected about the kernel send buffer, {} bytes, \
         and a chunk)",
        tcp_wmem_max()
    );

    // The client now reads fast: it gets what was in the buffers, then EOF or a reset.
    let _ = stop.send(());
    let mut slow = tokio::time::timeout(Duration::from_secs(10), trickle)
        .await
        .expect("trickle ends")
        .expect("trickle task");
    let (rest, _reset) =
        tokio::time::timeout(Duration::from_secs(10), read_to_end_or_reset(&mut slow))
            .await
            .expect("the dropped connection ends (EOF or reset)");
    assert!(
        rest.len() < page_bytes / 4 && !rest.ends_with(b"</body></html>"),
        "the slow client got {} more bytes; the document must be cut short",
        rest.len()
    );
    assert!(eventually(Duration::from_secs(2), || engine.live_producers() == 0).await);
    super::assert_serves(&server.url("/small")).await;
    eprintln!(
        "slow reader: dropped after {slow_life:?}; server pulled {taken} of {page_bytes} bytes"
    );
}

/// The most the kernel lets a socket's send buffer grow to (the third `tcp_wmem` value).
fn tcp_wmem_max() -> u64 {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|text| text.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 * 1024 * 1024)
}

/// Whether the server closed `stream` (EOF, reset or 408) while the client `send`s one byte
/// every 100 ms; returns how long that took, or `None` after `limit`.
async fn closed_while_trickling(
    stream: &mut TcpStream,
    send: &[u8],
    limit: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let mut to_send = send.iter();
    while start.elapsed() < limit {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Some(start.elapsed()),
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    assert!(text.starts_with("HTTP/1.1 408"), "only a 408 may come back: {text}");
                }
            },
            () = tokio::time::sleep(ms(100)) => {
                if let Some(&byte) = to_send.next()
                    && stream.write_all(&[byte]).await.is_err()
                {
                    return Some(start.elapsed());
                }
            }
        }
    }
    None
}

/// Slowloris: a client that sends its request head one byte per 100 ms (it would need
/// a minute) is cut off by the 300 ms header-read timeout, within ten times that timeout; so
/// is a client that connects and sends nothing. Meanwhile and afterwards a normal request is
/// served.
#[tokio::test]
async fn slowloris_is_cut_off_by_the_header_read_timeout() {
    let header_read_timeout = ms(300);
    let engine = Engine::default();
    let options = ServerOptions {
        header_read_timeout,
        ..ServerOptions::default()
    };
    let server = start_server_with(super::pages_on(&engine, &[0]), engine.clone(), options).await;
    let mut head = b"GET /small HTTP/1.1\r\nHost: braid\r\nX-Slow: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 600));
    let bound = header_read_timeout * 10;

    super::assert_serves(&server.url("/small")).await;
    let mut silent = TcpStream::connect(server.addr).await.expect("connect");
    let mut trickler = TcpStream::connect(server.addr).await.expect("connect");
    let trickled = closed_while_trickling(&mut trickler, &head, bound).await;
    let silent_closed = closed_while_trickling(&mut silent, b"", bound).await;

    let trickled = trickled.expect("the trickling client is cut off within 10× the timeout");
    assert!(
        trickled >= header_read_timeout,
        "cut off after {trickled:?}, not before the timeout"
    );
    assert!(
        silent_closed.is_some(),
        "a connection that sends nothing is closed within 10× the header-read timeout"
    );
    super::assert_serves(&server.url("/small")).await;
}
