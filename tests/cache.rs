//! Cached sections on the engine alone: freshness, stale-while-revalidate, one production
//! for a herd of misses, invalidation by tag (also while producing), the feed going down,
//! failures never kept, and what the API refuses.
//!
//! Time is tokio's paused clock: the tests advance it instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use braid::stream::{
    CacheError, CacheKey, CachePolicy, CachedSection, Engine, EngineConfig, Mode, Page, Shell,
};
use maud::{Markup, html};

/// How many times the producer ran; its HTML says which run made it.
#[derive(Clone, Default)]
struct Runs(Arc<AtomicUsize>);

impl Runs {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

async fn numbered(runs: Runs, key: u32) -> Result<Markup, String> {
    let run = runs.0.fetch_add(1, Ordering::SeqCst) + 1;
    Ok(html! { p { "key " (key) " run " (run) } })
}

async fn slow_numbered(runs: Runs, key: u32) -> Result<Markup, String> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    numbered(runs, key).await
}

async fn failing_once(runs: Runs, key: u32) -> Result<Markup, String> {
    if runs.0.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err("the first run fails".into());
    }
    Ok(html! { p { "key " (key) " recovered" } })
}

fn policy() -> CachePolicy {
    CachePolicy::fresh_for(Duration::from_secs(10))
        .stale_for(Duration::from_secs(20))
        .tag("numbers")
}

fn define(engine: &Engine, runs: &Runs) -> CachedSection<u32> {
    CachedSection::new(engine, "numbers", policy(), runs.clone(), numbered).expect("defined")
}

/// One blocking-mode page with the cached section for `key`: its whole body as text.
async fn render(engine: &Engine, section: &CachedSection<u32>, key: u32) -> String {
    render_on(Page::new(engine, Mode::Blocking), section, key).await
}

/// [`render`] on a page made by the caller.
async fn render_on<K: CacheKey>(page: Page, section: &CachedSection<K>, key: K) -> String {
    render_behind(page, section, key, || html! { p { "loading" } }).await
}

/// [`render_on`] with the section's `fallback`.
async fn render_behind<K: CacheKey>(
    page: Page,
    section: &CachedSection<K>,
    key: K,
    fallback: impl FnOnce() -> Markup,
) -> String {
    let slot = page.cached_section(section, key, fallback);
    let response = page.render(Shell {
        head: html! {},
        body: html! { main { (slot) } },
    });
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    String::from_utf8(body.to_vec()).expect("utf-8")
}

/// [`render`] on a task of its own: a request that can leave (abort) or wait.
fn spawn_render(
    engine: &Engine,
    section: &CachedSection<u32>,
    key: u32,
) -> tokio::task::JoinHandle<String> {
    let (engine, section) = (engine.clone(), section.clone());
    tokio::spawn(async move { render(&engine, &section, key).await })
}

/// Lets the background productions that a lookup spawned run to their end.
async fn settle_background() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_fresh_entry_is_served_without_running_the_producer_until_it_expires() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = define(&engine, &runs);
    assert!(render(&engine, &numbers, 1).await.contains("key 1 run 1"));
    tokio::time::advance(Duration::from_secs(9)).await;
    assert!(render(&engine, &numbers, 1).await.contains("key 1 run 1"));
    assert_eq!(runs.count(), 1, "a fresh hit runs no producer");
    assert!(
        render(&engine, &numbers, 2).await.contains("key 2 run 2"),
        "another key is another entry: {}",
        render(&engine, &numbers, 2).await
    );
    tokio::time::advance(Duration::from_secs(31)).await;
    assert!(
        render(&engine, &numbers, 1).await.contains("key 1 run 3"),
        "past freshness and the stale window, the next request waits for a new run"
    );
}

/// A miss renders its fallback (the section waits behind it); a hit renders none.
#[tokio::test(start_paused = true)]
async fn only_a_section_that_waits_renders_its_fallback() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = define(&engine, &runs);
    let fallbacks = Runs::default();
    for expected in [1, 1] {
        let counter = fallbacks.clone();
        let fallback = move || {
            counter.0.fetch_add(1, Ordering::SeqCst);
            html! { p { "loading" } }
        };
        let page = Page::new(&engine, Mode::Blocking);
        let body = render_behind(page, &numbers, 7, fallback).await;
        assert!(body.contains("key 7 run 1"));
        assert_eq!(fallbacks.count(), expected, "rendered for the miss only");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stale_entry_is_served_at_once_and_refreshed_in_the_background() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = define(&engine, &runs);
    render(&engine, &numbers, 1).await;
    tokio::time::advance(Duration::from_secs(15)).await;
    let stale = render(&engine, &numbers, 1).await;
    assert!(
        stale.contains("key 1 run 1"),
        "the stale entry, at once: {stale}"
    );
    settle_background().await;
    assert_eq!(runs.count(), 2, "one background refresh");
    assert!(render(&engine, &numbers, 1).await.contains("key 1 run 2"));
    assert_eq!(runs.count(), 2, "the refreshed entry is fresh");
}

#[tokio::test(start_paused = true)]
async fn concurrent_misses_of_one_key_run_the_producer_once() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = CachedSection::new(&engine, "slow", policy(), runs.clone(), slow_numbered)
        .expect("defined");
    let pages = (0..50).map(|_| render(&engine, &numbers, 7));
    let bodies = futures::future::join_all(pages).await;
    assert_eq!(runs.count(), 1, "fifty misses, one production");
    assert!(bodies.iter().all(|body| body.contains("key 7 run 1")));
}

#[tokio::test(start_paused = true)]
async fn an_invalidated_tag_drops_its_entries_at_once() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = define(&engine, &runs);
    let untouched = CachedSection::new(
        &engine,
        "other",
        CachePolicy::fresh_for(Duration::from_secs(10)).tag("other"),
        runs.clone(),
        numbered,
    )
    .expect("defined");
    render(&engine, &numbers, 1).await;
    render(&engine, &untouched, 1).await;
    engine.invalidator().invalidate("numbers");
    assert!(render(&engine, &numbers, 1).await.contains("run 3"));
    assert!(
        render(&engine, &untouched, 1).await.contains("run 2"),
        "other tags keep theirs"
    );
    assert_eq!(runs.count(), 3);
}

/// The first run reads (its number) at once and takes 300 ms to finish; later runs take
/// 10 ms: a production overtaken by an invalidation finishes after the one started after it.
async fn first_run_slowest(runs: Runs, key: u32) -> Result<Markup, String> {
    let run = runs.0.fetch_add(1, Ordering::SeqCst) + 1;
    let took = if run == 1 { 300 } else { 10 };
    tokio::time::sleep(Duration::from_millis(took)).await;
    Ok(html! { p { "key " (key) " run " (run) } })
}

/// A write lands while a production runs (which may have read the data before it): a
/// request after it does not join that production, and when the overtaken production
/// finishes last, its result is not kept over the newer one.
#[tokio::test(start_paused = true)]
async fn an_invalidation_during_a_production_is_not_overtaken_by_it() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = CachedSection::new(&engine, "slow", policy(), runs.clone(), first_run_slowest)
        .expect("defined");
    let first = spawn_render(&engine, &numbers, 1);
    tokio::time::advance(Duration::from_millis(50)).await;
    engine.invalidator().invalidate("numbers");
    let second = render(&engine, &numbers, 1).await;
    assert!(
        second.contains("run 2"),
        "a request after the invalidation does not join the production it overtook: {second}"
    );
    assert!(
        first.await.expect("first").contains("run 1"),
        "finished last"
    );
    assert!(
        render(&engine, &numbers, 1).await.contains("run 2"),
        "the newer result is kept, not the overtaken one"
    );
    assert_eq!(runs.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn nothing_cached_is_served_while_the_feed_is_down() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = define(&engine, &runs);
    render(&engine, &numbers, 1).await;
    engine.invalidator().feed_lost();
    assert!(render(&engine, &numbers, 1).await.contains("run 2"));
    assert!(render(&engine, &numbers, 1).await.contains("run 3"));
    engine.invalidator().feed_restored();
    assert!(render(&engine, &numbers, 1).await.contains("run 3"));
    engine.invalidator().invalidate_all();
    assert!(render(&engine, &numbers, 1).await.contains("run 4"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_production_is_not_kept() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let flaky = CachedSection::new(&engine, "flaky", policy(), runs.clone(), failing_once)
        .expect("defined");
    let failed = render(&engine, &flaky, 1).await;
    assert!(failed.contains("braid-error"), "{failed}");
    assert!(render(&engine, &flaky, 1).await.contains("key 1 recovered"));
    assert!(render(&engine, &flaky, 1).await.contains("key 1 recovered"));
    assert_eq!(runs.count(), 2);
}

/// A production that never ends fails at its own timeout (the sections waiting for it
/// show their error view), is not kept, and the next request starts another.
#[tokio::test(start_paused = true)]
async fn a_production_that_hangs_fails_at_its_timeout_and_is_retried() {
    async fn hangs(runs: Runs, _: u32) -> Result<Markup, String> {
        runs.0.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
    let engine = Engine::new(EngineConfig {
        section_timeout: Duration::from_secs(60),
        page_deadline: Duration::from_secs(60),
        ..EngineConfig::default()
    });
    let runs = Runs::default();
    let policy = CachePolicy::fresh_for(Duration::from_secs(10)).timeout(Duration::from_secs(1));
    let hanging =
        CachedSection::new(&engine, "hangs", policy, runs.clone(), hangs).expect("defined");
    for run in 1..=2 {
        let body = render(&engine, &hanging, 1).await;
        assert!(
            body.contains("braid-error"),
            "the production's own timeout: {body}"
        );
        assert_eq!(runs.count(), run);
    }
}

/// A section waiting for a production shows its own timeout view at its own timeout; the
/// production, bounded by the page deadline, goes on for whoever joins it.
#[tokio::test(start_paused = true)]
async fn a_waiting_section_times_out_on_its_own() {
    let engine = Engine::new(EngineConfig {
        section_timeout: Duration::from_millis(50),
        ..EngineConfig::default()
    });
    let runs = Runs::default();
    let slow = CachedSection::new(&engine, "slow", policy(), runs.clone(), slow_numbered)
        .expect("defined");
    let body = render(&engine, &slow, 1).await;
    assert!(body.contains("braid-timeout"), "{body}");
}

#[test]
fn a_name_is_defined_once_per_engine() {
    let (engine, runs) = (Engine::default(), Runs::default());
    define(&engine, &runs);
    let again = CachedSection::new(&engine, "numbers", policy(), runs.clone(), numbered);
    assert_eq!(
        again.map(|_| ()),
        Err(CacheError::DuplicateName("numbers".into()))
    );
    let unnamed = CachedSection::new(&engine, "", policy(), runs.clone(), numbered);
    assert_eq!(unnamed.map(|_| ()), Err(CacheError::EmptyName));
    assert!(
        CachedSection::new(&Engine::default(), "numbers", policy(), runs, numbered).is_ok(),
        "another engine has its own names"
    );
}

/// The nonce is per request: HTML carrying it (here through the key) is refused.
#[tokio::test]
async fn html_with_the_pages_nonce_is_refused() {
    async fn echo(_: (), key: String) -> Result<Markup, String> {
        Ok(html! { script nonce=(key) { "1" } })
    }
    let engine = Engine::default();
    let echo = CachedSection::new(&engine, "echo", policy(), (), echo).expect("defined");
    let page = Page::new(&engine, Mode::Blocking);
    let nonce = page.nonce().to_string();
    let body = render_on(page, &echo, nonce.clone()).await;
    assert!(body.contains("braid-error"), "{body}");
    assert!(!body.contains(&format!("nonce=\"{nonce}\">1")), "{body}");
}

/// Every request waiting for a production left: the production is cancelled, like any
/// section's producer; one request still waiting keeps it alive.
#[tokio::test(start_paused = true)]
async fn a_production_nobody_waits_for_is_cancelled() {
    let (engine, runs) = (Engine::default(), Runs::default());
    let numbers = CachedSection::new(&engine, "slow", policy(), runs.clone(), slow_numbered)
        .expect("defined");
    let leaving = spawn_render(&engine, &numbers, 1);
    let staying = spawn_render(&engine, &numbers, 1);
    tokio::time::advance(Duration::from_millis(10)).await;
    assert!(engine.live_producers() > 0);
    leaving.abort();
    assert!(staying.await.expect("stays").contains("key 1 run 1"));

    let alone = spawn_render(&engine, &numbers, 2);
    tokio::time::advance(Duration::from_millis(10)).await;
    alone.abort();
    let _ = alone.await;
    settle_background().await;
    assert_eq!(
        engine.live_producers(),
        0,
        "the abandoned production was cancelled"
    );
    tokio::time::advance(Duration::from_millis(200)).await;
    assert_eq!(runs.count(), 1, "it never finished");
    assert!(
        render(&engine, &numbers, 2).await.contains("key 2 run 2"),
        "and is started again"
    );
}
