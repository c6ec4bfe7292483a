//! The report page's pictures, drawn on the server as SVG: no script, no chart library,
//! and they print. Each takes plain numbers and labels; every text is escaped here.

use std::fmt::Write;

use super::numbers::{count, percent};
use crate::domain::rich_text::escaped;
use crate::http::console::words::Words;

/// Where scans came from: a channel and its scans.
pub struct Source {
    pub name: String,
    pub scans: i64,
}

/// One step of the campaign's flow.
pub struct Stage {
    pub label: &'static str,
    pub count: f64,
    /// Into this step from the one before.
    pub rate: Option<f64>,
    pub target_rate: Option<f64>,
    /// The count planned for the whole run.
    pub target: Option<i64>,
    pub behind: bool,
}

/// Narrow enough that the text stays readable when a phone shrinks the picture.
const WIDTH: f64 = 420.0;
const TIME_WIDTH: f64 = 520.0;
const LEAK: &str = "#c62828";
const ON_PLAN: &str = "#2e7d32";

/// The campaign's flow, top to bottom: its channels feeding the scans, then a bar per step
/// as wide as its share of the scans, and on each edge the rate into the next step and its
/// target. A step or an edge behind plan is red, so the team sees where the loop leaks.
pub fn flow(sources: &[Source], stages: &[Stage], t: &Words) -> String {
    const SOURCE_ROW: f64 = 60.0;
    const STAGE: f64 = 44.0;
    const EDGE: f64 = 40.0;
    let shown: Vec<&Source> = sources.iter().take(MAX_SOURCES).collect();
    let top = if shown.is_empty() {
        8.0
    } else {
        SOURCE_ROW + 30.0
    };
    let height = top + stages.len() as f64 * (STAGE + EDGE) - EDGE + 8.0;
    let mut svg = open_svg(
        WIDTH,
        height,
        t.tr("The campaign's flow from channels to repeat purchases"),
    );
    let widest = stages.first().map_or(0.0, |s| s.count).max(1.0);
    let stage_y = |i: usize| top + i as f64 * (STAGE + EDGE);

    // Channels across the top, each joined to the scans bar.
    if !shown.is_empty() {
        let slot = WIDTH / shown.len() as f64;
        let total: i64 = shown.iter().map(|s| s.scans).sum::<i64>().max(1);
        for (i, source) in shown.iter().enumerate() {
            let x = slot * i as f64 + 4.0;
            let (w, cx) = (slot - 8.0, slot * i as f64 + slot / 2.0);
            let stroke = 1.0 + 10.0 * source.scans as f64 / total as f64;
            let _ = write!(
                svg,
                r##"<path d="M{cx:.1} {y0:.1} C{cx:.1} {ym:.1} {mid:.1} {ym:.1} {mid:.1} {y1:.1}" fill="none" stroke="#90a4ae" stroke-opacity=".6" stroke-width="{stroke:.1}"/>"##,
                y0 = SOURCE_ROW,
                ym = (SOURCE_ROW + top) / 2.0,
                mid = WIDTH / 2.0,
                y1 = top,
            );
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="8" width="{w:.1}" height="{h:.1}" rx="6" fill="#eceff1"/><text x="{cx:.1}" y="30" text-anchor="middle" class="name">{name}</text><text x="{cx:.1}" y="50" text-anchor="middle" class="num">{scans}</text>"##,
                h = SOURCE_ROW - 8.0,
                name = escaped(&clip(&source.name, (w / 7.5) as usize)),
                scans = count(source.scans as f64),
            );
        }
    }

    for (i, stage) in stages.iter().enumerate() {
        let y = stage_y(i);
        let share = (stage.count / widest).clamp(0.0, 1.0);
        let w = (WIDTH * share).max(WIDTH * 0.36);
        let x = (WIDTH - w) / 2.0;
        let fill = if stage.behind { "#ffebee" } else { "#e3f2fd" };
        let stroke = if stage.behind { LEAK } else { "#1565c0" };
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{STAGE}" rx="8" fill="{fill}" stroke="{stroke}"/><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle"><tspan class="name">{label}</tspan> <tspan class="num">{n}</tspan></text>"##,
            cx = WIDTH / 2.0,
            // Centred alone; above the target line when there is one.
            ty = y + if stage.target.is_some() { 19.0 } else { 27.0 },
            label = escaped(stage.label),
            n = count(stage.count),
        );
        if let Some(target) = stage.target {
            let _ = write!(
                svg,
                r##"<text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" class="target">{label}</text>"##,
                cx = WIDTH / 2.0,
                ty = y + 37.0,
                label = escaped(&t.tr("target {n}").replace("{n}", &count(target as f64))),
            );
        }
        if i + 1 < stages.len() {
            let next = &stages[i + 1];
            let (y0, y1) = (y + STAGE, y + STAGE + EDGE);
            let behind = matches!((next.rate, next.target_rate), (Some(r), Some(t)) if r < t);
            let colour = if behind {
                LEAK
            } else if next.target_rate.is_some() {
                ON_PLAN
            } else {
                "#607d8b"
            };
            let mut label = next.rate.map_or("–".to_owned(), percent);
            if let Some(target) = next.target_rate {
                label.push(' ');
                label.push_str(&t.tr("(target {n})").replace("{n}", &percent(target)));
            }
            let _ = write!(
                svg,
                r##"<path d="M{cx:.1} {y0:.1} V{y1:.1}" stroke="{colour}" stroke-width="2" marker-end="url(#arrow)"/><text x="{tx:.1}" y="{ty:.1}" class="rate" fill="{colour}">{label}</text>"##,
                cx = WIDTH / 2.0,
                tx = WIDTH / 2.0 + 10.0,
                ty = (y0 + y1) / 2.0 + 5.0,
                label = escaped(&label),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Channels drawn as their own boxes; the rest are left to the table below.
const MAX_SOURCES: usize = 6;

/// Past this many buckets the conversions are a line without dots.
const MAX_DOTS: usize = 120;

/// One bucket of the time chart.
pub struct Point {
    pub label: String,
    pub scans: i64,
    pub conversions: f64,
}

/// Scans per bucket as bars and conversions as a line on a scale of its own (its maximum
/// labelled on the right), the bucket names along the bottom.
pub fn over_time(points: &[Point], t: &Words) -> String {
    const HEIGHT: f64 = 240.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 48.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 36.0;
    let mut svg = open_svg(TIME_WIDTH, HEIGHT, t.tr("Scans and conversions over time"));
    let plot_w = TIME_WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let most_scans = points.iter().map(|p| p.scans).max().unwrap_or(0).max(1) as f64;
    let most_conversions = points.iter().map(|p| p.conversions).fold(0.0, f64::max);
    let slot = plot_w / points.len().max(1) as f64;
    // A few buckets get bars of a sensible width, not one slab across the chart.
    let bar = (slot * 0.8).clamp(0.5, 36.0);
    let base = TOP + plot_h;
    let _ = write!(
        svg,
        r##"<path d="M{LEFT} {base} H{end:.1}" stroke="#b0bec5"/><text x="{lx:.1}" y="{ty:.1}" text-anchor="end" class="axis">{top}</text><text x="{lx:.1}" y="{base:.1}" text-anchor="end" class="axis">0</text>"##,
        end = LEFT + plot_w,
        lx = LEFT - 6.0,
        ty = TOP + 10.0,
        top = count(most_scans),
    );
    let tip = |label: &str, scans: i64, conversions: f64| {
        t.tr("{label}: scans {scans}, conversions {conversions}")
            .replace("{label}", label)
            .replace("{scans}", &count(scans as f64))
            .replace("{conversions}", &count(conversions))
    };
    for (i, p) in points.iter().enumerate() {
        let h = plot_h * p.scans as f64 / most_scans;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="#64b5f6"><title>{tip}</title></rect>"##,
            x = LEFT + slot * (i as f64 + 0.5) - bar / 2.0,
            y = base - h,
            w = bar,
            tip = escaped(&tip(&p.label, p.scans, p.conversions)),
        );
    }
    if most_conversions > 0.0 {
        let line: Vec<(f64, f64)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let x = LEFT + slot * (i as f64 + 0.5);
                (x, base - plot_h * p.conversions / most_conversions)
            })
            .collect();
        // Dots too: a single bucket has no line to draw.
        if line.len() <= MAX_DOTS {
            for (x, y) in &line {
                let _ = write!(
                    svg,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="#e65100"/>"##
                );
            }
        }
        let line: Vec<String> = line.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#e65100" stroke-width="2.5"/><text x="{rx:.1}" y="{ty:.1}" class="axis" fill="#e65100">{top}</text>"##,
            line.join(" "),
            rx = LEFT + plot_w + 6.0,
            ty = TOP + 10.0,
            top = count(most_conversions),
        );
    }
    // First, middle and last bucket names: enough to read the range on a phone.
    let mut ticks = vec![0, points.len() / 2, points.len().saturating_sub(1)];
    ticks.dedup();
    for i in ticks.into_iter().filter(|&i| i < points.len()) {
        let anchor = match i {
            0 => "start",
            i if i + 1 == points.len() => "end",
            _ => "middle",
        };
        let x = match anchor {
            "start" => LEFT,
            "end" => LEFT + plot_w,
            _ => LEFT + slot * (i as f64 + 0.5),
        };
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" class="axis">{label}</text>"##,
            y = base + 22.0,
            label = escaped(&points[i].label),
        );
    }
    svg.push_str("</svg>");
    svg
}

fn open_svg(width: f64, height: f64, title: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0}" role="img" aria-label="{title}">"##,
        title = escaped(title),
    )
}

/// At most `chars` characters, with an ellipsis when cut.
fn clip(text: &str, chars: usize) -> String {
    let chars = chars.max(4);
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    const ENGLISH: Words = Words {
        language: Language::English,
    };

    fn stage(
        label: &'static str,
        count: f64,
        rate: Option<f64>,
        target_rate: Option<f64>,
    ) -> Stage {
        Stage {
            label,
            count,
            rate,
            target_rate,
            target: None,
            behind: false,
        }
    }

    #[test]
    fn the_flow_marks_an_edge_below_its_target_rate_and_escapes_names() {
        let svg = flow(
            &[Source {
                name: "Metro <B> & \"C\"".into(),
                scans: 10,
            }],
            &[
                stage("Scans", 1000.0, None, None),
                stage("Landing views", 500.0, Some(0.5), Some(0.6)),
                stage("Clicks", 200.0, Some(0.4), Some(0.3)),
            ],
            &ENGLISH,
        );
        assert!(svg.contains("Metro &lt;B&gt; &amp; &quot;C&quot;"), "{svg}");
        assert!(!svg.contains("<B>"));
        assert!(
            svg.contains(&format!(r#"class="rate" fill="{LEAK}">50% (target 60%)"#)),
            "{svg}"
        );
        assert!(
            svg.contains(&format!(
                r#"class="rate" fill="{ON_PLAN}">40% (target 30%)"#
            )),
            "{svg}"
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn the_time_chart_draws_a_bar_per_bucket_and_a_line_only_with_conversions() {
        let points: Vec<Point> = (0..5)
            .map(|i| Point {
                label: format!("2026-11-{:02}", i + 1),
                scans: i * 10,
                conversions: 0.0,
            })
            .collect();
        let svg = over_time(&points, &ENGLISH);
        assert_eq!(svg.matches("<rect").count(), 5);
        assert!(!svg.contains("<polyline"));
        assert!(svg.contains(">2026-11-01<") && svg.contains(">2026-11-05<"));
        let empty = over_time(&[], &ENGLISH);
        let chinese = Words {
            language: Language::Chinese,
        };
        let svg = over_time(&points, &chinese);
        assert!(svg.contains("扫码"), "{svg}");
        assert!(empty.ends_with("</svg>"));
    }

    #[test]
    fn long_names_are_clipped_by_characters_not_bytes() {
        assert_eq!(clip("地铁二号线人民广场站灯箱", 6), "地铁二号线…");
        assert_eq!(clip("TV", 6), "TV");
    }
}
