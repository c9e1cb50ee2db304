//! `/dashboard`: the four summary cards (one section, one query, as the course's
//! `CardWrapper`), the revenue chart and the latest invoices, each section cached (the
//! figures are the same for every user) and dropped by the writes that change them. On a
//! miss the three productions start when the request arrives. The shell is rendered once; a
//! request fills its holes (the account block and the slots).

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, Render, html};

use crate::app::auth::SignedIn;
use crate::app::components::layout::Frame;
use crate::app::components::{cards, chart, format, layout, skeleton, tables};
use crate::app::{AppState, DemoLatency};
use crate::db::{self, CardTotals, Db, changes};
use crate::stream::{
    CacheError, CachePolicy, CachedSection, Engine, Holes, Page, Shell, StaticShell,
};

/// The `/dashboard` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

/// Months the revenue chart shows.
const CHART_MONTHS: u32 = 12;
/// Rows of the latest-invoices list.
const LATEST_ROWS: u32 = 5;

/// How long a dashboard section is served without asking the database, then served stale
/// while it is produced again. Writes through any braid instance drop it at once; these
/// bound how long a change made behind braid's back (`psql`) stays unseen.
const FRESH: Duration = Duration::from_secs(30);
const STALE: Duration = Duration::from_secs(300);

/// What a dashboard section's producer reads: the same for every request.
#[derive(Debug, Clone)]
pub struct Sources {
    db: Db,
    /// The section's `--demo-latency`, if any.
    delay: Option<Duration>,
}

impl Sources {
    async fn wait(&self) {
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
    }
}

/// The dashboard's cached sections, defined once per engine, and its shell, rendered once.
#[derive(Debug, Clone)]
pub struct DashboardSections {
    cards: CachedSection<()>,
    revenue: CachedSection<()>,
    latest: CachedSection<()>,
    /// Holes: the account block, the cards, the chart, the latest invoices.
    shell: StaticShell,
}

impl DashboardSections {
    /// Defines the sections on `engine`. With `cache` off they are never fresh: concurrent
    /// requests still share one production per section.
    ///
    /// # Errors
    ///
    /// [`CacheError::DuplicateName`] if `engine` already has them.
    pub fn define(
        engine: &Engine,
        db: &Db,
        latency: &DemoLatency,
        cache: bool,
    ) -> Result<Self, CacheError> {
        let define = |name: &'static str, tags: &[&str]| {
            let policy = match cache {
                true => CachePolicy::fresh_for(FRESH).stale_for(STALE),
                false => CachePolicy::fresh_for(Duration::ZERO),
            };
            let policy = tags.iter().fold(policy, |policy, tag| policy.tag(*tag));
            let sources = Sources {
                db: db.clone(),
                delay: latency.delay(name),
            };
            (name, policy, sources)
        };
        let (name, policy, sources) = define(
            "cards",
            &[changes::REVENUE, changes::INVOICES, changes::CUSTOMERS],
        );
        let cards = CachedSection::new(engine, name, policy, sources, cards)?;
        let (name, policy, sources) = define("revenue", &[changes::REVENUE]);
        let revenue = CachedSection::new(engine, name, policy, sources, revenue)?;
        let (name, policy, sources) = define("latest", &[changes::INVOICES]);
        let latest = CachedSection::new(engine, name, policy, sources, latest)?;
        Ok(DashboardSections {
            cards,
            revenue,
            latest,
            shell: StaticShell::render(static_shell),
        })
    }
}

/// The dashboard's shell, but for the holes: the same bytes for every user and request.
fn static_shell(holes: &Holes) -> Shell {
    let frame = Frame {
        title: "Dashboard",
        description: "Acme's totals, monthly revenue and latest invoices at a glance.",
        active: "/dashboard",
        user: None,
    };
    let account = holes.hole();
    let (cards, revenue, latest) = (holes.hole(), holes.hole(), holes.hole());
    let content = html! {
        h1 { "Dashboard" }
        div class="cards" { (cards) }
        div class="dashboard-grid" { (revenue) (latest) }
    };
    layout::shell_with_account(&frame, account, content)
}

async fn dashboard(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    page: Page,
) -> Response {
    let sections = &app.dashboard;
    let cards = page.cached_section(&sections.cards, (), || {
        html! { @for card in Card::ALL { (skeleton::card(card.label())) } }
    });
    let revenue = page.cached_section(&sections.revenue, (), skeleton::chart);
    let latest = page.cached_section(&sections.latest, (), || {
        skeleton::invoice_list("Latest invoices", LATEST_ROWS as usize)
    });
    let account = layout::account(Some(&user), "/dashboard");
    let pieces: [&dyn Render; 4] = [&account, &cards, &revenue, &latest];
    page.render_static(&sections.shell, &pieces)
}

async fn cards(sources: Sources, (): ()) -> Result<Markup, sqlx::Error> {
    sources.wait().await;
    let totals = db::card_totals(&sources.db).await?;
    Ok(html! {
        @for card in Card::ALL { (cards::card(card.label(), &card.value(&totals))) }
    })
}

async fn revenue(sources: Sources, (): ()) -> Result<Markup, sqlx::Error> {
    sources.wait().await;
    let months = db::monthly_revenue(&sources.db, CHART_MONTHS).await?;
    Ok(chart::revenue_chart(&months))
}

async fn latest(sources: Sources, (): ()) -> Result<Markup, sqlx::Error> {
    sources.wait().await;
    let invoices = db::latest_invoices(&sources.db, LATEST_ROWS).await?;
    Ok(tables::invoice_list("Latest invoices", &invoices))
}

/// The four summary cards.
#[derive(Debug, Clone, Copy)]
enum Card {
    Collected,
    Pending,
    Invoices,
    Customers,
}

impl Card {
    const ALL: [Card; 4] = [
        Card::Collected,
        Card::Pending,
        Card::Invoices,
        Card::Customers,
    ];

    fn label(self) -> &'static str {
        match self {
            Card::Collected => "Collected",
            Card::Pending => "Pending",
            Card::Invoices => "Total invoices",
            Card::Customers => "Total customers",
        }
    }

    fn value(self, totals: &CardTotals) -> String {
        match self {
            Card::Collected => format::dollars(totals.collected_cents),
            Card::Pending => format::dollars(totals.pending_cents),
            Card::Invoices => count(totals.invoices),
            Card::Customers => count(totals.customers),
        }
    }
}

fn count(value: i64) -> String {
    format::thousands(value.unsigned_abs())
}
