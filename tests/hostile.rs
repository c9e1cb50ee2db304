//! Hostile input against the real app: generated query strings, paths and headers never
//! cause a panic, a 5xx or an unescaped reflection; oversized heads and URLs get 431 and 414
//! (the default limits); the request-facing parsers never panic.
//!
//! Run with
//! ```not_rust
//! cargo test --test integration hostile::
//! ```
//!
//! Each property runs a bounded number of cases (64) against one server, so the module takes
//! seconds. `fuzz/` holds AFL++ targets for the parsers, run for longer by `fuzz/run.sh`.

use braid::load::parse::decode_reads;
use braid::stream::Mode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::app::{TestApp, start_app};

/// Cases per property.
const CASES: u32 = 64;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// A runtime that outlives the properties, with the app started on it.
fn app_on_runtime() -> (tokio::runtime::Runtime, TestApp) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app = runtime.block_on(start_app(""));
    (runtime, app)
}

/// Markup an attacker would like reflected as is; `{}` is a random token, so a match in the
/// body can only be the reflection.
const INJECTIONS: &[&str] = &[
    "<script>alert('{}')</script>",
    "\"><svg onload=alert({})>",
    "'><img src=x onerror={}>",
    "</title><h1>{}</h1>",
    "</template><template for=\"b0-end\"></template>{}",
    "<!--/b:0-->{}",
];

/// A query value: random text around one injection with a random token. Returns the value
/// and the raw markup that must never appear in a body.
fn hostile_value() -> impl Strategy<Value = (String, String)> {
    (
        ".{0,20}",
        0..INJECTIONS.len(),
        "[a-z]{8}",
        prop_oneof![Just(String::new()), "[\\x00-\\x7f]{0,10}", ".{0,30}"],
    )
        .prop_map(|(before, which, token, after)| {
            let injection = INJECTIONS[which].replace("{}", &format!("tok{token}"));
            (format!("{before}{injection}{after}"), injection)
        })
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// GETs `path` with `headers`; returns the status and the body.
async fn get(app: &TestApp, path: &str, headers: &[(String, String)]) -> (u16, String) {
    let mut request = crate::util::client()
        .get(app.url(path))
        .header("cookie", &app.cookie);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let encoding = response
        .headers()
        .get("content-encoding")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = response.bytes().await.expect("complete body");
    (status, decode(&encoding, &bytes))
}

/// The body as text, decoded if the server compressed it (a generated `accept-encoding`
/// such as `*` lets it choose).
fn decode(encoding: &str, bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    let read = match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_string(&mut text),
        "br" => brotli::Decompressor::new(bytes, 4096).read_to_string(&mut text),
        "" => return String::from_utf8_lossy(bytes).into_owned(),
        other => panic!("unexpected content-encoding {other}"),
    };
    read.expect("a well-formed compressed body");
    text
}

/// Generated `query`, `page` and `stream` parameters on the search pages: never a 5xx, the
/// page is 200 unless `stream` is unknown (then 400), and the injected markup never comes
/// back raw.
#[test]
fn query_parameters_never_fail_or_reflect_raw() {
    let (runtime, app) = app_on_runtime();
    let stream_param = prop_oneof![
        Just(None),
        Just(Some("in-order".to_string())),
        Just(Some("off".to_string())),
        ".{0,12}".prop_map(Some),
    ];
    let page = prop_oneof![
        Just(None),
        ".{0,12}".prop_map(Some),
        any::<i64>().prop_map(|n| Some(n.to_string()))
    ];
    let strategy = (hostile_value(), page, stream_param, 0..2usize);
    runner()
        .run(&strategy, |((value, injection), page, stream, which)| {
            let mut path = format!(
                "{}?query={}",
                ["/invoices", "/customers"][which],
                encode(&value)
            );
            if let Some(page) = &page {
                path.push_str(&format!("&page={}", encode(page)));
            }
            if let Some(stream) = &stream {
                path.push_str(&format!("&stream={}", encode(stream)));
            }
            let (status, body) = runtime.block_on(get(&app, &path, &[]));
            prop_assert!(status < 500, "{path}: {status}\n{body}");
            let known_mode = stream
                .as_deref()
                .is_none_or(|mode| Mode::select(Some(mode), None).is_ok());
            if known_mode {
                prop_assert_eq!(status, 200, "{}", path);
                prop_assert!(body.ends_with("</body></html>"), "{path}: complete\n{body}");
            }
            prop_assert!(
                !body.contains(&injection),
                "{path} reflects {injection} raw:\n{body}"
            );
            Ok(())
        })
        .unwrap();
}

/// Generated paths (random segments, percent-encoded bytes, injections, dot segments):
/// never a 5xx, never a raw reflection.
#[test]
fn paths_never_fail_or_reflect_raw() {
    let (runtime, app) = app_on_runtime();
    let segment = prop_oneof![
        "[a-zA-Z0-9._~-]{0,12}",
        Just("..".to_string()),
        "[0-9]{1,25}",
        any::<Vec<u8>>().prop_map(|bytes| encode_path(&bytes)),
    ];
    let prefix = prop_oneof![
        Just(""),
        Just("/invoices"),
        Just("/customers"),
        Just("/bench"),
        Just("/assets"),
        Just("/dashboard")
    ];
    let strategy = (
        prefix,
        proptest::collection::vec(segment, 0..4),
        hostile_value(),
    );
    runner()
        .run(&strategy, |(prefix, segments, (value, injection))| {
            let mut path = format!("{prefix}/{}", segments.join("/"));
            if path.len() % 2 == 0 {
                path.push('/');
                path.push_str(&encode_path(value.as_bytes()));
            }
            let (status, body) = runtime.block_on(get(&app, &path, &[]));
            prop_assert!(status < 500, "{path}: {status}\n{body}");
            prop_assert!(
                !body.contains(&injection),
                "{path} reflects {injection} raw"
            );
            Ok(())
        })
        .unwrap();
}

/// Percent-encodes every byte that is not unreserved.
fn encode_path(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Generated headers (user agents, encodings, cookies, random names; any visible ASCII):
/// never a 5xx, the page completes, never a raw reflection.
#[test]
fn headers_never_fail_or_reflect_raw() {
    let (runtime, app) = app_on_runtime();
    let value = "[\\x20-\\x7e]{0,60}";
    let header = prop_oneof![
        value.prop_map(|v| ("user-agent".to_string(), v)),
        value.prop_map(|v| ("accept-encoding".to_string(), v)),
        value.prop_map(|v| ("accept".to_string(), v)),
        value.prop_map(|v| ("cookie".to_string(), v)),
        value.prop_map(|v| ("if-none-match".to_string(), v)),
        ("x-[a-z]{1,16}", value),
        Just(("user-agent".to_string(), "Googlebot/2.1".to_string())),
        // Lets the server pick any encoding; once found by chance, now always in the mix.
        Just(("accept-encoding".to_string(), "*".to_string())),
    ];
    let strategy = (
        proptest::collection::vec(header, 0..6),
        hostile_value(),
        prop_oneof![
            Just("/dashboard"),
            Just("/invoices"),
            Just("/bench/s1"),
            Just("/")
        ],
    );
    runner()
        .run(&strategy, |(mut headers, (_, injection), path)| {
            // The injection rides in a header that pages might echo.
            if injection.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                headers.push(("referer".to_string(), injection.clone()));
            }
            let headers: Vec<_> = headers
                .into_iter()
                .map(|(name, value)| (name, value.trim().to_string()))
                .collect();
            let (status, body) = runtime.block_on(get(&app, path, &headers));
            prop_assert!(status < 500, "{path} {headers:?}: {status}\n{body}");
            if status == 200 {
                prop_assert!(body.contains("</html>"), "{path} {headers:?}: complete");
            }
            prop_assert!(
                !body.contains(&injection),
                "{path} reflects {injection} raw"
            );
            Ok(())
        })
        .unwrap();
}

/// Sends `request` on a raw connection and returns the status line of the answer.
async fn raw_status(app: &TestApp, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(app.server.addr).await.expect("connect");
    // The server may answer (and close) before it has read everything.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or("").to_string()
}

/// The default limits: a request head over 64 KiB (one big header, or many) gets 431; a
/// URL over 16 KiB gets 414 while one of exactly 16 KiB still renders.
#[tokio::test]
async fn oversized_heads_get_431_and_long_urls_414() {
    let app = start_app("").await;
    let big_header = format!(
        "GET /invoices HTTP/1.1\r\nHost: braid\r\nX-Big: {}\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let status = raw_status(&app, big_header.as_bytes()).await;
    assert!(
        status.starts_with("HTTP/1.1 431"),
        "one 70 KiB header: {status:?}"
    );
    let many: String = (0..1000)
        .map(|i| format!("X-H{i}: {}\r\n", "b".repeat(80)))
        .collect();
    let many = format!("GET /invoices HTTP/1.1\r\nHost: braid\r\n{many}\r\n");
    let status = raw_status(&app, many.as_bytes()).await;
    assert!(
        status.starts_with("HTTP/1.1 431"),
        "1000 headers: {status:?}"
    );

    let limit = 16 * 1024;
    let at_limit = format!(
        "/invoices?query={}",
        "q".repeat(limit - "/invoices?query=".len())
    );
    assert_eq!(at_limit.len(), limit);
    let (status, body) = get(&app, &at_limit, &[]).await;
    assert_eq!(status, 200, "a URL of exactly 16 KiB renders");
    assert!(body.ends_with("</body></html>"));
    let (status, _) = get(&app, &format!("{at_limit}q"), &[]).await;
    assert_eq!(status, 414, "one byte over 16 KiB");
    crate::reliability::assert_serves_with(&app.url("/invoices"), &app.cookie).await;
}

/// The parsers a request reaches, on arbitrary input: `Mode::select` and `page_number`
/// never panic and answer within their ranges; `ResponseParser` gives the same body and
/// verdict whether the bytes come in one read or two.
#[test]
fn request_parsers_never_panic() {
    runner()
        .run(
            &(".{0,40}", proptest::option::of(".{0,80}")),
            |(param, agent)| {
                let _ = Mode::select(Some(&param), agent.as_deref());
                let mode =
                    Mode::select(None, agent.as_deref()).expect("no ?stream= is never an error");
                prop_assert!(matches!(mode, Mode::OutOfOrder | Mode::Blocking));
                let page = braid::app::pages::invoices::page_number(Some(&param));
                prop_assert!(page >= 1);
                Ok(())
            },
        )
        .unwrap();
    let response = prop_oneof![
        any::<Vec<u8>>(),
        ("[0-9a-fA-F]{1,4}", any::<Vec<u8>>()).prop_map(|(size, rest)| {
            let mut bytes =
                format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\n")
                    .into_bytes();
            bytes.extend(rest);
            bytes
        }),
        ("[0-9]{1,3}", any::<Vec<u8>>()).prop_map(|(len, rest)| {
            let mut bytes =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").into_bytes();
            bytes.extend(rest);
            bytes
        }),
    ];
    runner()
        .run(
            &(response, any::<prop::sample::Index>()),
            |(bytes, split)| {
                let whole = decode_reads(&[&bytes]);
                let at = split.index(bytes.len() + 1);
                let halves = decode_reads(&[&bytes[..at], &bytes[at..]]);
                prop_assert_eq!(whole, halves, "split at {}", at);
                Ok(())
            },
        )
        .unwrap();
}
