//! The monthly revenue chart, as inline SVG: bars, a y axis with dollar labels, month labels.

use maud::{Markup, html};

use super::format::{month_short, whole_dollars};
use crate::db::MonthRevenue;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 84.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;
const GRID_LINES: u32 = 4;

/// The chart panel, the same size as [`super::skeleton::chart`].
pub fn revenue_chart(months: &[MonthRevenue]) -> Markup {
    let top_value = nice_ceiling(months.iter().map(|m| m.revenue_cents).max().unwrap_or(0));
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / months.len().max(1) as f64;
    let y = |cents: i64| TOP + plot_height * (1.0 - cents as f64 / top_value as f64);
    html! {
        div class="panel chart-panel" {
            h2 { "Recent revenue" }
            svg class="chart" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label="Paid revenue per month" {
                @for step in 0..=GRID_LINES {
                    @let value = top_value * i64::from(step) / i64::from(GRID_LINES);
                    line x1=(LEFT) x2=(WIDTH) y1=(y(value)) y2=(y(value)) stroke="#e5e7eb" {}
                    text x=(LEFT - 6.0) y=(y(value) + 4.0) text-anchor="end" font-size="11" fill="#6b7280" {
                        (whole_dollars(value))
                    }
                }
                @for (i, month) in months.iter().enumerate() {
                    @let x = LEFT + slot * i as f64;
                    rect x=(x + slot * 0.15) y=(y(month.revenue_cents)) width=(slot * 0.7)
                        height=(plot_height + TOP - y(month.revenue_cents)) rx="3" fill="#2563eb" {
                        title { (month.month) ": " (whole_dollars(month.revenue_cents)) }
                    }
                    text x=(x + slot / 2.0) y=(HEIGHT - 6.0) text-anchor="middle" font-size="11" fill="#6b7280" {
                        (month_short(&month.month))
                    }
                }
            }
        }
    }
}

/// A round axis maximum above `cents` (1, 2, 2.5 or 5 times a power of ten), at least $1.
fn nice_ceiling(cents: i64) -> i64 {
    let mut unit: i64 = 100;
    loop {
        for factor in [1, 2, 5] {
            let candidate = unit.saturating_mul(factor);
            if candidate >= cents || candidate == i64::MAX {
                return candidate;
            }
        }
        unit = unit.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maximum_is_round_and_above_the_data() {
        assert_eq!(nice_ceiling(0), 100);
        assert_eq!(nice_ceiling(150), 200);
        assert_eq!(nice_ceiling(4_100_000), 5_000_000);
        assert_eq!(nice_ceiling(10_000_000), 10_000_000);
    }

    #[test]
    fn one_bar_and_label_per_month() {
        let months: Vec<MonthRevenue> = ["2026-01", "2026-02"]
            .iter()
            .map(|m| MonthRevenue {
                month: m.to_string(),
                revenue_cents: 5000,
            })
            .collect();
        let svg = revenue_chart(&months).into_string();
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">Jan<") && svg.contains(">Feb<"));
    }
}
