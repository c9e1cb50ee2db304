//! The monthly revenue chart, as inline SVG: bars, a y axis with dollar labels, month labels.

use maud::{Markup, Render, html};

use super::format::{month_short, whole_dollars};
use crate::db::MonthRevenue;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 84.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;
const GRID_LINES: u32 = 4;

/// A coordinate rounded to a tenth, written with integer formatting (`187.3`, `84`): the
/// shortest exact form of an `f64` (`187.33333333333334`) cost more than the rest of the
/// chart, and made its markup half as long again.
struct Coord(f64);

impl Render for Coord {
    fn render_to(&self, buffer: &mut String) {
        // Far inside i64: the chart's coordinates are a few hundred units.
        let tenths = (self.0 * 10.0).round() as i64;
        if tenths < 0 {
            buffer.push('-');
        }
        let tenths = tenths.unsigned_abs();
        buffer.push_str(itoa::Buffer::new().format(tenths / 10));
        if !tenths.is_multiple_of(10) {
            buffer.push('.');
            buffer.push(char::from(b'0' + (tenths % 10) as u8));
        }
    }
}

/// The chart panel, the same size as [`super::skeleton::chart`].
pub fn revenue_chart(months: &[MonthRevenue]) -> Markup {
    let top_value = nice_ceiling(months.iter().map(|m| m.revenue_cents).max().unwrap_or(0));
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / months.len().max(1) as f64;
    let y = |cents: i64| TOP + plot_height * (1.0 - cents as f64 / top_value as f64);
    html! {
        div class="panel chart-panel" {
            h2 { "Recent revenue" }
            svg class="chart" viewBox={ "0 0 " (Coord(WIDTH)) " " (Coord(HEIGHT)) } role="img" aria-label="Paid revenue per month" {
                @for step in 0..=GRID_LINES {
                    @let value = top_value * i64::from(step) / i64::from(GRID_LINES);
                    line x1=(Coord(LEFT)) x2=(Coord(WIDTH)) y1=(Coord(y(value))) y2=(Coord(y(value))) stroke="#e5e7eb" {}
                    text x=(Coord(LEFT - 6.0)) y=(Coord(y(value) + 4.0)) text-anchor="end" font-size="11" fill="#6b7280" {
                        (whole_dollars(value))
                    }
                }
                @for (i, month) in months.iter().enumerate() {
                    @let x = LEFT + slot * i as f64;
                    rect x=(Coord(x + slot * 0.15)) y=(Coord(y(month.revenue_cents)))
                        width=(Coord(slot * 0.7))
                        height=(Coord(plot_height + TOP - y(month.revenue_cents))) rx="3" fill="#2563eb" {
                        title { (month.month) ": " (whole_dollars(month.revenue_cents)) }
                    }
                    text x=(Coord(x + slot / 2.0)) y=(Coord(HEIGHT - 6.0)) text-anchor="middle" font-size="11" fill="#6b7280" {
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
    fn coordinates_are_written_to_a_tenth() {
        let written = |value: f64| Coord(value).render().into_string();
        assert_eq!(written(84.0), "84");
        assert_eq!(written(187.333_333_333_333_34), "187.3");
        assert_eq!(written(0.05), "0.1");
        assert_eq!(written(-6.0), "-6");
        assert_eq!(written(-0.25), "-0.3");
        assert_eq!(written(719.96), "720");
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
