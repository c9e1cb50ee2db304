//! Micro-benchmarks of the engine's hot paths, on its public API.
//!
//! Run with
//! ```not_rust
//! cargo bench --bench render
//! ```
//!
//! - `shell/s0`: a whole `/bench/s0` page whose three sections are ready at registration:
//!   extractor-free page setup, three inline-settled sections, the shell walk with splicing,
//!   and the body collected into bytes.
//! - `chunks/20`: twenty pending sections released together: placeholders in the shell, then
//!   twenty framed chunks with their swap calls.

use std::convert::Infallible;

use axum::response::Response;
use braid::stream::{Engine, Mode, Page, Shell};
use criterion::{Criterion, criterion_group, criterion_main};
use futures::channel::oneshot;
use maud::{Markup, html};

fn table(k: usize) -> Markup {
    html! {
        section {
            h2 { "Section " (k) }
            table {
                @for i in 1..=20 {
                    tr { td { (i) } td { "Customer " (i) } td { "customer" (i) "@example.com" } td { "$1,234.56" } }
                }
            }
        }
    }
}

fn shell(slots: Markup) -> Shell {
    Shell {
        head: html! { title { "S1" } },
        body: html! {
            header { h1 { "Dashboard" } }
            nav { @for i in 0..5 { a href={ "/" (i) } { "Link " (i) } " " } }
            main { (slots) }
        },
    }
}

async fn body_bytes(response: Response) -> usize {
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_or(0, |bytes| bytes.len())
}

fn s0_page(engine: &Engine) -> Response {
    let page = Page::new(engine, Mode::OutOfOrder);
    let slots = [1, 2, 3].map(|k| {
        page.section(html! { div class="skeleton" { "Loading…" } }, async move {
            Ok::<_, Infallible>(table(k))
        })
    });
    page.render(shell(html! { @for slot in &slots { (slot) } }))
}

fn bench_shell(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let engine = Engine::default();
    c.bench_function("shell/s0", |b| {
        b.iter(|| runtime.block_on(async { body_bytes(s0_page(&engine)).await }))
    });
}

fn bench_chunks(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let engine = Engine::default();
    c.bench_function("chunks/20", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let page = Page::new(&engine, Mode::OutOfOrder);
                let mut releases = Vec::new();
                let slots: Vec<_> = (0..20)
                    .map(|k| {
                        let (release, released) = oneshot::channel::<()>();
                        releases.push(release);
                        page.section(html! { div { "…" } }, async move {
                            let _ = released.await;
                            Ok::<_, Infallible>(html! { p { "section " (k) } })
                        })
                    })
                    .collect();
                let response = page.render(shell(html! { @for slot in &slots { (slot) } }));
                for release in releases {
                    let _ = release.send(());
                }
                body_bytes(response).await
            })
        })
    });
}

criterion_group!(benches, bench_shell, bench_chunks);
criterion_main!(benches);
