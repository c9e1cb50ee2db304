//! Micro-benchmarks of the engine's hot paths, on its public API.
//!
//! Run with
//! ```not_rust
//! cargo bench --bench render
//! ```
//!
//! - `shell/s0`: the whole `/bench/s0` page (`bench::s0_page`), whose three sections are
//!   ready at registration: page setup without the extractor, three inline-settled sections,
//!   the shell walk with splicing, and the body collected into bytes.
//! - `chunks/20`: twenty pending sections released together: placeholders in the shell, then
//!   twenty framed chunks with their swap calls.

use std::convert::Infallible;

use axum::response::Response;
use braid::app::pages::bench::s0_page;
use braid::stream::{Engine, Mode, Page, Shell};
use criterion::{Criterion, criterion_group, criterion_main};
use futures::channel::oneshot;
use maud::{Markup, html};

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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn bench_shell(c: &mut Criterion) {
    let runtime = runtime();
    let engine = Engine::default();
    c.bench_function("shell/s0", |b| {
        b.iter(|| {
            runtime
                .block_on(async { body_bytes(s0_page(Page::new(&engine, Mode::OutOfOrder))).await })
        })
    });
}

fn bench_chunks(c: &mut Criterion) {
    let runtime = runtime();
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
