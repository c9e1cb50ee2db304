//! `braid load`: response framing against known byte streams, then the whole engine against
//! small servers on 127.0.0.1.
//!
//! Run with
//! ```not_rust
//! cargo test --test integration load::
//! ```

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::routing::get;
use braid::load::parse::{FramingError, ResponseParser, decode_reads};
use braid::load::receiver::{Progress, Receiver, Sample};
use braid::load::{LoadArgs, Plan, Report, execute};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_stream::wrappers::ReceiverStream;

const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
    5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n";

// ---- Framing: bodies decoded from reads split in every way. ----

#[test]
fn content_length_body() {
    let bodies = decode_reads(&[b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"]);
    assert_eq!(bodies, Ok(vec![b"hello".to_vec()]));
}

#[test]
fn chunked_with_extensions_and_trailers() {
    assert_eq!(decode_reads(&[CHUNKED]), Ok(vec![b"hello world".to_vec()]));
}

#[test]
fn chunk_header_split_across_reads() {
    let at = CHUNKED
        .windows(4)
        .position(|w| w == b"5;na")
        .expect("chunk header")
        + 2;
    assert_eq!(
        decode_reads(&[&CHUNKED[..at], &CHUNKED[at..]]),
        Ok(vec![b"hello world".to_vec()])
    );
}

#[test]
fn chunk_body_split_across_reads() {
    let at = CHUNKED
        .windows(5)
        .position(|w| w == b"hello")
        .expect("chunk data")
        + 3;
    assert_eq!(
        decode_reads(&[&CHUNKED[..at], &CHUNKED[at..]]),
        Ok(vec![b"hello world".to_vec()])
    );
}

#[test]
fn every_split_point_decodes_the_same() {
    for at in 1..CHUNKED.len() {
        let bodies = decode_reads(&[&CHUNKED[..at], &CHUNKED[at..]]);
        assert_eq!(
            bodies,
            Ok(vec![b"hello world".to_vec()]),
            "split at byte {at}"
        );
    }
}

#[test]
fn one_byte_per_read() {
    let reads: Vec<&[u8]> = CHUNKED.chunks(1).collect();
    assert_eq!(decode_reads(&reads), Ok(vec![b"hello world".to_vec()]));

    let responses = receive(&reads, &["lo wo"]).expect("valid");
    let sample = &responses[0].sample;
    assert_eq!((sample.reads as usize, sample.ttfb_us), (CHUNKED.len(), 0));
    assert_eq!(sample.total_us as usize, CHUNKED.len() - 1);
}

#[test]
fn back_to_back_responses_on_keep_alive() {
    let two = [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"[..],
        CHUNKED,
    ]
    .concat();
    assert_eq!(
        decode_reads(&[&two]),
        Ok(vec![b"one".to_vec(), b"hello world".to_vec()])
    );
    let responses = receive(&[&two], &[]).expect("valid");
    assert_eq!(responses.len(), 2);
    assert!(!responses[0].sample.close);
}

#[test]
fn connection_close_is_reported() {
    let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    assert!(receive(&[close], &[]).expect("valid")[0].sample.close);
    let http10 = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    assert!(receive(&[http10], &[]).expect("valid")[0].sample.close);
}

#[test]
fn a_body_without_length_ends_with_the_connection() {
    let mut receiver = Receiver::new(&[""; 0]);
    receiver.begin();
    let read = b"HTTP/1.1 200 OK\r\n\r\npartial";
    receiver.spare()[..read.len()].copy_from_slice(read);
    assert_eq!(receiver.on_read(read.len(), 1), Ok(Progress::More));
    assert_eq!(receiver.on_eof(2), Ok(Progress::Complete));
    assert_eq!(receiver.sample().total_us, 2);
}

#[test]
fn malformed_input_is_a_framing_error() {
    let cases: [&[u8]; 5] = [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ];
    for case in cases {
        assert!(
            decode_reads(&[case]).is_err(),
            "{}",
            String::from_utf8_lossy(case)
        );
    }
    let mut eof = ResponseParser::new();
    let _ = eof.parse(
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
        &mut |_: &[u8]| {},
    );
    assert!(eof.eof().is_err());
}

#[test]
fn a_head_larger_than_the_buffer_is_a_framing_error() {
    let mut receiver = Receiver::new(&[""; 0]);
    receiver.begin();
    let mut result = Ok(Progress::More);
    let header = b"HTTP/1.1 200 OK\r\nX-Long: "
        .iter()
        .chain(std::iter::repeat(&b'a'));
    let mut bytes = header.copied();
    while result == Ok(Progress::More) {
        let spare = receiver.spare();
        let n = spare.len().min(1000);
        spare[..n]
            .iter_mut()
            .for_each(|b| *b = bytes.next().unwrap_or(b'a'));
        result = receiver.on_read(n, 0);
    }
    assert!(result.is_err());
}

// ---- Markers: found across chunks and reads, timed by the read that completes them. ----

/// A complete response seen by a [`Receiver`]: its figures and marker arrival times.
#[derive(Debug)]
struct Received {
    sample: Sample,
    markers: Vec<Option<u64>>,
}

/// Feeds `reads` to a receiver as socket reads, read `i` arriving at `i` µs.
fn receive(reads: &[&[u8]], markers: &[&str]) -> Result<Vec<Received>, FramingError> {
    let mut receiver = Receiver::new(markers);
    let mut out = Vec::new();
    receiver.begin();
    for (at, read) in (0..).zip(reads) {
        receiver.spare()[..read.len()].copy_from_slice(read);
        let mut progress = receiver.on_read(read.len(), at)?;
        while progress == Progress::Complete {
            out.push(Received {
                sample: receiver.sample().clone(),
                markers: receiver.markers().collect(),
            });
            receiver.begin();
            if !receiver.has_buffered() {
                break;
            }
            progress = receiver.parse_buffered(at)?;
        }
    }
    Ok(out)
}

const SPLIT_MARKER: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
    8\r\n<h2>Sect\r\na\r\nion 1</h2>\r\n0\r\n\r\n";

#[test]
fn marker_split_across_two_chunks() {
    let responses = receive(&[SPLIT_MARKER], &["Section 1", "absent"]).expect("valid");
    assert_eq!(responses[0].markers, [Some(0), None]);
}

#[test]
fn marker_split_across_two_chunks_and_two_reads() {
    let at = SPLIT_MARKER
        .windows(3)
        .position(|w| w == b"ion")
        .expect("second half");
    let reads = [&SPLIT_MARKER[..at], &SPLIT_MARKER[at..]];
    let responses = receive(&reads, &["<h2>", "Section 1"]).expect("valid");
    assert_eq!(responses[0].markers, [Some(0), Some(1)]);
    assert_eq!(responses[0].sample.reads, 2);
}

#[test]
fn markers_are_not_searched_in_chunk_framing() {
    // "5\r\nab" would match if the chunk-size line leaked into the decoded body.
    let responses = receive(&[SPLIT_MARKER], &["8\r\n<h2>", "Sect\r\n"]).expect("valid");
    assert_eq!(responses[0].markers, [None, None]);
}

// ---- The engine against real servers. ----

/// The bench page in miniature: a shell at once, then three sections 40 ms apart; the
/// third marker is split across two chunks sent 10 ms apart.
async fn sections() -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(4);
    tokio::spawn(async move {
        let parts: [(u64, &'static str); 5] = [
            (0, "<!doctype html><div class=\"skeleton\">Loading…</div>"),
            (40, "<h2>Section 1</h2>"),
            (40, "<h2>Section 2</h2>"),
            (40, "<h2>Sect"),
            (10, "ion 3</h2>"),
        ];
        for (delay, part) in parts {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            if tx
                .send(Ok(Bytes::from_static(part.as_bytes())))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    Body::from_stream(ReceiverStream::new(rx))
}

/// Starts an axum server on a free port; returns its base URL.
async fn start_server() -> String {
    let app = Router::new().route("/sections", get(sections)).route(
        "/missing",
        get(|| async { (StatusCode::NOT_FOUND, "no such page") }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Starts a server that answers every request with `response` and then closes.
async fn start_closing_server(response: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(response).await;
            });
        }
    });
    format!("http://{addr}/")
}

async fn load(args: &[&str]) -> Report {
    let args = LoadArgs::parse_args(args).expect("valid arguments");
    execute(Plan::new(&args).await.expect("valid plan")).await
}

/// Per-request figures of a streamed page: sections arrive in order, between the first byte
/// and the end, and every response streamed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sections_arrive_in_order_between_first_byte_and_end() {
    let url = format!("{}/sections", start_server().await);
    let markers = [
        "--marker",
        "Section 1",
        "--marker",
        "Section 2",
        "--marker",
        "Section 3",
    ];
    let mut args = vec!["-c", "3", "-n", "9", "--warmup", "3"];
    args.extend(markers);
    args.push(&url);
    let report = load(&args).await;

    assert_eq!(report.responses, 9, "{report}");
    assert_eq!(report.errors.total(), 0, "{report}");
    assert_eq!(report.multi_read, 9, "{report}");
    let names: Vec<&str> = report.figures.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["ttfb", "Section 1", "Section 2", "Section 3", "total"]
    );
    for pair in report.figures.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        assert_eq!(after.count, 9, "{report}");
        assert!(
            before.max_ms <= after.max_ms && before.p50_ms <= after.p50_ms,
            "{report}"
        );
    }
    let [ttfb, s1, s2, s3, total] = &report.figures[..] else {
        unreachable!()
    };
    assert!(
        ttfb.max_ms < s1.min_ms && s1.max_ms < s2.min_ms && s2.max_ms < s3.min_ms,
        "{report}"
    );
    assert!(s3.min_ms >= 130.0 && s3.min_ms <= total.min_ms, "{report}");
}

#[tokio::test]
async fn non_2xx_responses_are_counted_by_status() {
    let url = format!("{}/missing", start_server().await);
    let report = load(&["-c", "2", "-n", "5", &url]).await;
    assert_eq!(report.responses, 5);
    assert_eq!(report.errors.status.get(&404), Some(&5));
    assert_eq!(report.figure("ttfb").map(|f| f.count), Some(0));
}

#[tokio::test]
async fn connection_close_reconnects_for_each_request() {
    let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    let report = load(&["-c", "2", "-n", "6", &start_closing_server(close).await]).await;
    assert_eq!(
        (report.responses, report.connections_opened),
        (6, 6),
        "{report}"
    );
    assert_eq!(report.errors.total(), 0, "{report}");
}

/// A server that closes kept-alive connections without saying so: the next request on each
/// is retried once on a new connection, not counted as an error.
#[tokio::test]
async fn a_silently_closed_keep_alive_connection_is_retried() {
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let report = load(&["-c", "1", "-n", "4", &start_closing_server(ok).await]).await;
    assert_eq!(
        (report.responses, report.errors.total()),
        (4, 0),
        "{report}"
    );
    assert_eq!(report.connections_opened, 4, "{report}");
}

#[tokio::test]
async fn a_body_delimited_by_the_close_completes() {
    let report = load(&[
        "-n",
        "3",
        "-c",
        "1",
        &start_closing_server(b"HTTP/1.1 200 OK\r\n\r\nbye").await,
    ])
    .await;
    assert_eq!(
        (report.responses, report.errors.total()),
        (3, 0),
        "{report}"
    );
}

#[tokio::test]
async fn refused_connections_are_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("local address"));
    drop(listener);
    let report = load(&["-c", "2", "-n", "4", &url]).await;
    assert_eq!(
        (report.responses, report.errors.connect),
        (0, 4),
        "{report}"
    );
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    assert!(LoadArgs::parse_args(["-H", "NoColon", "http://127.0.0.1/"]).is_err());
    assert!(LoadArgs::parse_args(["-n", "5", "-d", "5s", "http://127.0.0.1/"]).is_err());
    let https = LoadArgs::parse_args(["https://127.0.0.1/"]).expect("parses");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let err = runtime.block_on(Plan::new(&https)).expect_err("https");
    assert!(err.to_string().contains("https is not supported"), "{err}");
}

/// Not a test: a minimal keep-alive server for measuring the load tool itself. It answers
/// every request with a 13-byte body, as cheaply as possible, on one thread.
///
/// ```not_rust
/// BRAID_LOAD_BENCH_SECS=30 taskset -c 0 cargo test --release --test integration \
///     load::bench_server -- --ignored --nocapture &
/// taskset -c 1 target/release/braid load -c 32 -d 10s http://127.0.0.1:7878/
/// ```
#[tokio::test]
#[ignore = "a server for manual benchmarks"]
async fn bench_server() {
    let secs = std::env::var("BRAID_LOAD_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok());
    let listener = TcpListener::bind("127.0.0.1:7878")
        .await
        .expect("bind 7878");
    let serve = async {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(bench_connection(socket));
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(secs.unwrap_or(30)), serve).await;
}

async fn bench_connection(mut socket: tokio::net::TcpStream) {
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world!";
    let _ = socket.set_nodelay(true);
    let mut buf = vec![0; 16 * 1024];
    let mut out = Vec::with_capacity(16 * 1024);
    let mut filled = 0;
    loop {
        match socket.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
        let mut used = 0;
        while let Some(end) = memchr::memmem::find(&buf[used..filled], b"\r\n\r\n") {
            used += end + 4;
            out.extend_from_slice(RESPONSE);
        }
        buf.copy_within(used..filled, 0);
        filled -= used;
        if socket.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
    }
}
