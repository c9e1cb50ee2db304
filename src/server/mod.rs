//! The HTTP server: accept loop, middleware (trace, compression) and graceful shutdown.
//!
//! `run` takes a bound `TcpListener` and the future that says when to stop, so the binary
//! passes Ctrl+C/SIGTERM and tests pass their own signal on a port-0 listener.

use std::future::Future;
use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_io_timeout::TimeoutStream;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::trace::TraceLayer;

mod budget;
mod chunk_compression;
mod limits;
pub mod metrics;
mod read_eof;

pub use budget::{BROTLI_DOCUMENT_BYTES, GZIP_DOCUMENT_BYTES, MemoryBudget, PLAIN_RESPONSE_BYTES};
pub use limits::Limits;

use crate::app::{AppSettings, AppState};
use crate::config::{LogFormat, ServeConfig};
use crate::db::SeedSize;
use crate::stream::{Engine, EngineConfig, ReadClosed};
use read_eof::{SharedTcp, watch_read_eof};

/// How the server treats connections. The defaults are what `braid serve` uses unless a
/// flag says otherwise.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// After the shutdown signal, how long in-flight streams may run before their pending
    /// sections get timeout views.
    pub drain_deadline: Duration,
    /// A client must send its request headers within this time (stops slowloris clients).
    pub header_read_timeout: Duration,
    /// A write that makes no progress for this long drops the connection: a client that
    /// stops reading holds one chunk of memory, and only until then.
    pub write_timeout: Duration,
    /// Streams in flight beyond which new requests get a fast 503.
    pub max_streams: usize,
    /// What responses in flight may hold, in bytes; a request whose response would not fit
    /// (priced by the compression it accepts, see `budget`) gets a fast 503.
    pub stream_memory: u64,
    /// Longest request target; longer gets 414.
    pub max_uri_bytes: usize,
    /// Largest request head (request line and headers); larger gets 431.
    pub max_header_bytes: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            drain_deadline: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            // The default budget's worth of uncompressed streams (65,536 in 1 GiB; it does
            // not follow `--stream-memory-mib`); compressed ones run out of budget first.
            max_streams: (budget::DEFAULT_BUDGET_BYTES / budget::PLAIN_RESPONSE_BYTES) as usize,
            stream_memory: budget::DEFAULT_BUDGET_BYTES,
            // A 10 KB search still renders (clamped); only absurd URLs are refused.
            max_uri_bytes: 16 * 1024,
            // hyper's own minimum is 8 KiB; 64 KiB fits any real browser's cookies.
            max_header_bytes: 64 * 1024,
        }
    }
}

/// `braid serve`: opens the database, builds the app and serves until SIGINT or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    init_tracing(config.log_format);
    let engine = Engine::new(EngineConfig {
        page_deadline: config.page_deadline.into(),
        section_timeout: config.section_timeout.into(),
        debug_timeline: config.debug_timeline,
        ..EngineConfig::default()
    });
    let seed = SeedSize {
        customers: config.seed_customers,
        invoices: config.seed_invoices,
        ..SeedSize::default()
    };
    let settings = AppSettings {
        database: config.database.clone(),
        seed,
        latency: config.demo_latency.clone(),
        demo_user: config.demo_user.clone(),
        secure_cookies: config.secure_cookies,
        behind_proxy: config.behind_proxy,
        section_cache: !config.no_section_cache,
    };
    let state = AppState::open(settings, engine.clone()).await?;
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let options = ServerOptions {
        drain_deadline: config.drain_deadline.into(),
        header_read_timeout: config.header_read_timeout.into(),
        write_timeout: config.write_timeout.into(),
        max_streams: config.max_streams,
        stream_memory: config.stream_memory_mib.saturating_mul(1024 * 1024),
        ..ServerOptions::default()
    };
    run(
        listener,
        crate::app::router(state),
        engine,
        options,
        shutdown_signal(),
    )
    .await?;
    Ok(())
}

/// Adds the middleware every response goes through: request counting, limits,
/// compression, tracing.
///
/// Two compression layers, each leaving the other's responses alone: streamed pages, held
/// open while their sections wait, are compressed chunk by chunk by
/// [`chunk_compression`], which holds no encoder between chunks; everything of a known
/// length goes through tower-http's layer, which also answers `406` when no coding is
/// acceptable and never compresses a response that already has a `Content-Encoding`.
///
/// The stack wraps the router once, as one service, rather than each route
/// (`Router::layer`): per route, every request cloned the whole stack, and each `from_fn`
/// layer cloned and boxed everything inside it again. Responses are counted outside
/// everything, with their final status, by the route each router's `route_layer` noted
/// ([`metrics::remember_route`]); a router served as another's fallback (the demo's pages,
/// see `app::router`) notes its own routes the same way.
pub fn with_middleware(router: Router, limits: Limits) -> Router {
    let routed = router.route_layer(axum::middleware::from_fn(metrics::remember_route));
    let stack = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        .map_request(head_as_get)
        .map_response(metrics::count_response)
        // tower-http's compressed body holds its encoder inline (kilobytes for brotli):
        // boxed at once, so that the layers above move a pointer, not the encoder.
        .map_response(|response: http::Response<_>| response.map(axum::body::Body::new))
        .layer(
            CompressionLayer::new().gzip(true).br(true).compress_when(
                DefaultPredicate::new()
                    .and(OfKnownLength)
                    .and(budget::Compressible),
            ),
        )
        .layer(chunk_compression::ChunkCompressionLayer)
        .layer(axum::middleware::from_fn_with_state(
            limits,
            limits::enforce,
        ))
        .service(routed);
    Router::new().fallback_service(stack)
}

/// A `HEAD` request goes through the stack as the `GET` it stands for, and the router around
/// the stack (`with_middleware`'s, whose route remembers the method) drops the body at the
/// end: the headers are those of the `GET` response, compression's included (RFC 9110
/// § 9.3.2). Inside the stack, axum's inner router would drop the body before the
/// compression layers saw it.
fn head_as_get<B>(mut request: http::Request<B>) -> http::Request<B> {
    if request.method() == http::Method::HEAD {
        *request.method_mut() = http::Method::GET;
    }
    request
}

/// Whether a response's length is known (it is not streamed): the predicate of
/// tower-http's compression layer, which streams never reach.
#[derive(Debug, Clone, Copy)]
struct OfKnownLength;

impl Predicate for OfKnownLength {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        !is_streamed(response)
    }
}

/// Whether `response` is streamed (its body's length is not known): the compression layers
/// and the memory budget (`limits`) tell streams from complete responses by this alone.
pub(crate) fn is_streamed<B: http_body::Body>(response: &http::Response<B>) -> bool {
    response.body().size_hint().exact().is_none()
}

/// `GET /healthz`: `200 ok` while the process serves, answered even beyond `--max-streams`
/// and without touching the database, for load balancers and liveness probes.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Serves `router` (with [`with_middleware`]) on `listener` until `shutdown` resolves, then
/// drains: no new connections, in-flight streams finish, and at the drain deadline the engine
/// ends every stream that is still open.
pub async fn run(
    listener: TcpListener,
    router: Router,
    engine: Engine,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    metrics::handle();
    let router = router
        .route("/metrics", get(metrics::render).with_state(engine.clone()))
        .route("/healthz", get(healthz));
    let limits = Limits {
        engine: engine.clone(),
        max_streams: options.max_streams,
        memory: MemoryBudget::new(options.stream_memory),
        max_uri_bytes: options.max_uri_bytes,
    };
    let service = with_middleware(router, limits);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(options.max_header_bytes)
        // A client that shuts its sending side after the request (`nc -N`, scripts, TCP
        // relays) still gets the whole response; `read_eof` notices clients that are gone.
        .half_close(true);
    let graceful = GracefulShutdown::new();
    let stopping = tokio_util::sync::CancellationToken::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Each chunk is a small write that must leave now, not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        // Taken now, so that a shutdown signalled from here on reaches this connection.
        let watcher = graceful.watcher();
        let (builder, stopping) = (builder.clone(), stopping.clone());
        // Each request carries the client's address as axum's `ConnectInfo` (the sign-in
        // throttle counts failures per address) and the connection's `ReadClosed`.
        let read_closed = ReadClosed::new();
        let service = service.clone().map_request({
            let read_closed = read_closed.clone();
            move |mut request: http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(read_closed.clone());
                request
            }
        });
        let header_read_timeout = options.header_read_timeout;
        let write_timeout = options.write_timeout;
        tokio::spawn(async move {
            // hyper's header-read timeout starts only once the auto builder has read the first
            // bytes (it reads them to tell HTTP/1 from HTTP/2): without this wait, a client
            // that connects and sends nothing would hold its connection for ever.
            // (`peek`, not `readable`: a fresh socket may report readable with nothing to read.)
            let mut first = [0u8; 1];
            tokio::select! {
                // A request already sent when the shutdown comes is still served.
                biased;
                peeked = tokio::time::timeout(header_read_timeout, stream.peek(&mut first)) => {
                    if peeked.is_err() {
                        tracing::debug!("nothing sent within the header-read timeout: closing");
                        return;
                    }
                }
                () = stopping.cancelled() => return,
            }
            let stream = Arc::new(stream);
            let eof_watch = tokio::spawn(watch_read_eof(Arc::clone(&stream), read_closed));
            let mut stream = TimeoutStream::new(SharedTcp(stream));
            stream.set_write_timeout(Some(write_timeout));
            let connection = builder
                .serve_connection_with_upgrades(
                    TokioIo::new(Box::pin(stream)),
                    TowerToHyperService::new(service),
                )
                .into_owned();
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, "connection ended with an error");
            }
            eof_watch.abort();
        });
    }
    // Connections that have not sent anything yet are closed, not waited for.
    stopping.cancel();
    drop(listener);
    drain(graceful, engine, options.drain_deadline).await;
    Ok(())
}

/// Waits for open connections to finish; past the deadline, ends every stream.
async fn drain(graceful: GracefulShutdown, engine: Engine, deadline: Duration) {
    tracing::info!(
        streams = engine.streams_in_flight(),
        "shutting down: draining connections"
    );
    let drained = graceful.shutdown();
    tokio::pin!(drained);
    if tokio::time::timeout(deadline, &mut drained).await.is_ok() {
        return;
    }
    tracing::warn!(
        streams = engine.streams_in_flight(),
        "drain deadline passed: ending open streams"
    );
    engine.end_all_streams();
    // Ended streams send their last bytes at once; this ceiling only covers dead peers.
    if tokio::time::timeout(Duration::from_secs(5), drained)
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close; exiting anyway");
    }
}

/// Accept errors are mostly per-connection (reset before accept) or a full file table;
/// the latter resolves as connections close, so wait a little instead of spinning.
async fn accept_failed(error: io::Error) {
    tracing::warn!(%error, "accept failed");
    if !matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Resolves on Ctrl+C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl+C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only on a terminal: a log file or a collector would store them as text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
