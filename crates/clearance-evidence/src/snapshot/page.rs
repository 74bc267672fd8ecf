//! What the snapshot's page (`index.html`) and summary (`summary.md`) show: the manifest,
//! plus the geometry of the two SVG charts (license categories per release, changes between
//! releases), computed here so that templates only place shapes.

use serde::Serialize;

use super::model::{Manifest, Problem};
use clearance_core::policy::categories::Category;

/// Width of a chart's drawing area, in SVG units.
const WIDTH: f64 = 720.0;
/// Height of a chart's bars area.
const HEIGHT: f64 = 200.0;
/// Room on the left for the axis labels.
const LEFT: f64 = 48.0;
/// The y coordinate of the x axis: room above the tallest bar for its mark.
const BASELINE: f64 = HEIGHT + 24.0;

/// Categories from the bottom of a stacked bar to its top.
const STACK: [Category; 7] = [
    Category::PublicDomain,
    Category::Permissive,
    Category::WeakCopyleft,
    Category::Unknown,
    Category::StrongCopyleft,
    Category::NetworkCopyleft,
    Category::Proprietary,
];

/// Kinds of change, as the change chart groups them.
const CHANGE_KINDS: [&str; 4] = ["added", "removed", "upgraded", "relicensed"];

/// The templates' context.
#[derive(Debug, Serialize)]
pub struct PageContext<'a> {
    /// The manifest (its `files` are not known yet when the page is made, and are empty).
    pub snapshot: &'a Manifest,
    /// Whether every release verified.
    pub clean: bool,
    /// The releases as table rows.
    pub releases: Vec<ReleaseRow<'a>>,
    /// Components per category per release.
    pub category_chart: Chart,
    /// Changes per pair of consecutive releases.
    pub change_chart: Chart,
    /// The categories, for the legend.
    pub categories: Vec<&'static str>,
    /// The kinds of change, for the legend.
    pub change_kinds: Vec<&'static str>,
    /// How many releases failed verification.
    pub failed_releases: usize,
    /// How many releases.
    pub release_count: usize,
    /// How many problems.
    pub problem_count: usize,
    /// How many changes between releases.
    pub change_count: usize,
    /// The changes, each marked when nothing changed.
    pub changes: Vec<ChangeRow<'a>>,
    /// How many exceptions the releases' policies hold, all releases together.
    pub exception_count: usize,
}

/// A change between releases, for the lists under the chart.
#[derive(Debug, Serialize)]
pub struct ChangeRow<'a> {
    /// The change.
    #[serde(flatten)]
    pub change: &'a super::model::Change,
    /// Whether no component was added, removed, upgraded or relicensed.
    pub unchanged: bool,
}

/// One row of the releases table.
#[derive(Debug, Serialize)]
pub struct ReleaseRow<'a> {
    /// The folder.
    pub folder: &'a str,
    /// `name version`.
    pub product: String,
    /// When.
    pub time: String,
    /// Whether everything verified.
    pub verified: bool,
    /// The license verdict recorded.
    pub verdict: String,
    /// Components.
    pub components: usize,
    /// Error findings.
    pub errors: usize,
    /// Exceptions in force, expiring ones included.
    pub exceptions_in_force: usize,
    /// Exceptions expiring within 90 days.
    pub exceptions_expiring: usize,
    /// Components per category, in the order of [`PageContext::categories`].
    pub by_category: Vec<usize>,
    /// The release's problems.
    pub problems: Vec<&'a Problem>,
}

/// A bar chart: bars of stacked segments along an x axis.
#[derive(Debug, Default, Serialize)]
pub struct Chart {
    /// The SVG's width.
    pub width: f64,
    /// The SVG's height (bars, labels below).
    pub height: f64,
    /// The y coordinate of the x axis.
    pub baseline: f64,
    /// The largest value, written at the top of the axis.
    pub max: usize,
    /// The y coordinate of the largest value.
    pub top: f64,
    /// The bars.
    pub bars: Vec<Bar>,
}

/// One bar (or group of bars) of a chart.
#[derive(Debug, Serialize)]
pub struct Bar {
    /// Its label under the axis.
    pub label: String,
    /// Where the label is centred.
    pub label_x: f64,
    /// Whether the label is drawn (crowded axes show every few).
    pub show_label: bool,
    /// Whether the release (or a release of the pair) failed verification.
    pub failed: bool,
    /// The y coordinate of the bar's top.
    pub top: f64,
    /// The rectangles.
    pub segments: Vec<Segment>,
}

/// A rectangle of a bar.
#[derive(Debug, Serialize)]
pub struct Segment {
    /// CSS class: the category or the kind of change.
    pub class: &'static str,
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// The tooltip.
    pub title: String,
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Builds the page's context from the manifest.
pub fn page_context(manifest: &Manifest) -> PageContext<'_> {
    let releases: Vec<ReleaseRow<'_>> = manifest
        .releases
        .iter()
        .map(|r| {
            let posture = r.posture.as_ref();
            let exceptions = posture.map(|p| p.exceptions.as_slice()).unwrap_or_default();
            ReleaseRow {
                folder: &r.folder,
                product: r
                    .product
                    .as_ref()
                    .map_or_else(|| r.folder.clone(), |p| format!("{} {}", p.name, p.version)),
                time: r.time.clone().unwrap_or_default(),
                verified: r.verified,
                verdict: r.verdict.clone().unwrap_or_else(|| "unknown".to_string()),
                components: posture.map_or(0, |p| p.components),
                errors: posture.map_or(0, |p| p.errors),
                exceptions_in_force: exceptions.iter().filter(|e| e.status != "expired").count(),
                exceptions_expiring: exceptions.iter().filter(|e| e.status == "expiring").count(),
                by_category: STACK
                    .iter()
                    .rev()
                    .map(|c| {
                        posture
                            .and_then(|p| p.by_category.get(c.as_str()).copied())
                            .unwrap_or(0)
                    })
                    .collect(),
                problems: manifest
                    .problems
                    .iter()
                    .filter(|p| p.release == r.folder)
                    .collect(),
            }
        })
        .collect();
    PageContext {
        clean: manifest.problems.is_empty(),
        failed_releases: releases.iter().filter(|r| !r.verified).count(),
        category_chart: category_chart(manifest),
        change_chart: change_chart(manifest),
        categories: STACK.iter().rev().map(|c| c.as_str()).collect(),
        change_kinds: CHANGE_KINDS.to_vec(),
        release_count: releases.len(),
        problem_count: manifest.problems.len(),
        change_count: manifest.changes.len(),
        changes: manifest
            .changes
            .iter()
            .map(|change| ChangeRow {
                change,
                unchanged: change.added.is_empty()
                    && change.removed.is_empty()
                    && change.upgraded.is_empty()
                    && change.relicensed.is_empty(),
            })
            .collect(),
        exception_count: manifest
            .releases
            .iter()
            .filter_map(|r| r.posture.as_ref())
            .map(|p| p.exceptions.len())
            .sum(),
        releases,
        snapshot: manifest,
    }
}

fn short_label(manifest: &Manifest, folder: &str) -> String {
    manifest
        .releases
        .iter()
        .find(|r| r.folder == folder)
        .and_then(|r| r.product.as_ref())
        .map_or_else(|| folder.to_string(), |p| p.version.clone())
}

/// Slots along the x axis: the step between bars and how often a label fits.
fn slots(count: usize) -> (f64, usize) {
    let step = (WIDTH - LEFT) / count.max(1) as f64;
    let every = (60.0 / step).ceil().max(1.0) as usize;
    (step, every)
}

fn chart(max: usize, bars: Vec<Bar>) -> Chart {
    Chart {
        width: WIDTH,
        height: BASELINE + 28.0,
        baseline: BASELINE,
        top: BASELINE - HEIGHT,
        max,
        bars,
    }
}

fn category_chart(manifest: &Manifest) -> Chart {
    let max = manifest
        .releases
        .iter()
        .filter_map(|r| r.posture.as_ref().map(|p| p.components))
        .max()
        .unwrap_or(0)
        .max(1);
    let (step, every) = slots(manifest.releases.len());
    let width = (step * 0.6).min(56.0);
    let bars = manifest
        .releases
        .iter()
        .enumerate()
        .map(|(i, release)| {
            let x = LEFT + step * i as f64 + (step - width) / 2.0;
            let mut top = BASELINE;
            let mut segments = Vec::new();
            if let Some(posture) = &release.posture {
                for category in STACK {
                    let count = posture
                        .by_category
                        .get(category.as_str())
                        .copied()
                        .unwrap_or(0);
                    if count == 0 {
                        continue;
                    }
                    let height = HEIGHT * count as f64 / max as f64;
                    top -= height;
                    segments.push(Segment {
                        class: category.as_str(),
                        x: round(x),
                        y: round(top),
                        width: round(width),
                        height: round(height),
                        title: format!("{}: {count} {}", release.folder, category.as_str()),
                    });
                }
            }
            Bar {
                label: short_label(manifest, &release.folder),
                label_x: round(x + width / 2.0),
                show_label: i % every == 0,
                failed: !release.verified,
                top: round(top),
                segments,
            }
        })
        .collect();
    chart(max, bars)
}

fn change_chart(manifest: &Manifest) -> Chart {
    let counts = |c: &super::model::Change| {
        [
            c.added.len(),
            c.removed.len(),
            c.upgraded.len(),
            c.relicensed.len(),
        ]
    };
    let max = manifest
        .changes
        .iter()
        .flat_map(counts)
        .max()
        .unwrap_or(0)
        .max(1);
    let (step, every) = slots(manifest.changes.len());
    let group = (step * 0.8).min(96.0);
    let width = group / CHANGE_KINDS.len() as f64;
    let failed = |folder: &str| {
        manifest
            .releases
            .iter()
            .any(|r| r.folder == folder && !r.verified)
    };
    let bars = manifest
        .changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let x0 = LEFT + step * i as f64 + (step - group) / 2.0;
            let segments: Vec<Segment> = CHANGE_KINDS
                .iter()
                .zip(counts(change))
                .enumerate()
                .filter(|(_, (_, count))| *count > 0)
                .map(|(k, (kind, count))| {
                    let height = HEIGHT * count as f64 / max as f64;
                    Segment {
                        class: kind,
                        x: round(x0 + width * k as f64),
                        y: round(BASELINE - height),
                        width: round(width * 0.9),
                        height: round(height),
                        title: format!("{} → {}: {count} {kind}", change.from, change.to),
                    }
                })
                .collect();
            Bar {
                label: format!(
                    "{} → {}",
                    short_label(manifest, &change.from),
                    short_label(manifest, &change.to)
                ),
                label_x: round(x0 + group / 2.0),
                show_label: i % every == 0,
                failed: failed(&change.from) || failed(&change.to),
                top: segments.iter().map(|s| s.y).fold(BASELINE, f64::min),
                segments,
            }
        })
        .collect();
    chart(max, bars)
}
