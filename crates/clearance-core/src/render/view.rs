//! The view model templates see (`--dump-context` prints it; docs/templates.md documents
//! it). It is built once, sorted, from the inventory, the license evidence and the policy's
//! verdicts; templates only lay it out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inventory::{Component, Inventory};
use crate::license::files::FileKind;
use crate::license::scan::Evidence;
use crate::policy::{Evaluation, Status};

/// What every template gets.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// The product described.
    pub product: Product,
    /// The tool that rendered it.
    pub tool: Tool,
    /// The policy the packages were judged by.
    pub policy: String,
    /// Counts for summaries and charts.
    pub summary: Summary,
    /// Each license used, with its text once and the packages under it.
    pub licenses: Vec<LicenseSection>,
    /// Apache-2.0 §4(d) NOTICE files of dependencies, verbatim.
    pub notices: Vec<NoticeFile>,
    /// Every third-party component (the workspace's own crates excluded), one row each.
    pub packages: Vec<PackageRow>,
    /// The policy's findings.
    pub findings: Vec<FindingRow>,
}

/// A finding of the policy, for reports.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    /// The stable code.
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The package.
    pub package: String,
    /// Its version.
    pub version: String,
    /// What is wrong.
    pub message: String,
    /// The policy rule (`file:line: rule`), or empty.
    pub rule: String,
}

/// Counts over the packages.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Components.
    pub components: usize,
    /// Packages per license id, most used first (ties by id).
    pub by_license: Vec<Count>,
    /// Packages per license category, most used first.
    pub by_category: Vec<Count>,
    /// Packages per policy status.
    pub by_status: Vec<Count>,
    /// Findings of the policy.
    pub findings: usize,
    /// The height of the per-license chart, in pixels.
    pub license_chart_height: usize,
    /// The height of the per-category chart, in pixels.
    pub category_chart_height: usize,
}

/// A named count, with what a bar chart needs.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    /// What is counted.
    pub name: String,
    /// How many.
    pub count: usize,
    /// Its share of the largest count, 0–100 (the bar's length).
    pub percent: f64,
    /// The bar's vertical position in a chart of 24-pixel rows.
    pub y: usize,
}

/// The product.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    /// Its name.
    pub name: String,
    /// Its version, when it has one.
    pub version: String,
}

/// The tool.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `clearance`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// One license and the packages under it.
#[derive(Debug, Clone, Serialize)]
pub struct LicenseSection {
    /// The SPDX id or `LicenseRef-`.
    pub id: String,
    /// The full name.
    pub name: String,
    /// The text: as found in a package's own license file (copyright lines removed), else the
    /// SPDX License List's text, else the text behind the `LicenseRef-`.
    pub text: String,
    /// Where the text came from: `package NAME VERSION FILE`, `SPDX License List`, or
    /// `declared`.
    pub text_source: String,
    /// The packages whose license includes it, sorted by name and version.
    pub packages: Vec<PackageRef>,
}

/// A package under a license.
#[derive(Debug, Clone, Serialize)]
pub struct PackageRef {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Its copyright statements, from its license and NOTICE files.
    pub copyrights: Vec<String>,
}

/// A NOTICE file carried verbatim.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeFile {
    /// The package it belongs to.
    pub package: String,
    /// Its version.
    pub version: String,
    /// The file's path in the package.
    pub path: String,
    /// The text, as it is.
    pub text: String,
}

/// One component as a table row.
#[derive(Debug, Clone, Serialize)]
pub struct PackageRow {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The license expression used: the declared one, or for a package that only names a
    /// license file, what that file was detected to be.
    pub license: Option<String>,
    /// The license expression as the package declares it.
    pub declared: Option<String>,
    /// SPDX ids its license files were found to be (confidence at least the policy's).
    pub detected: Vec<String>,
    /// The best confidence of those detections.
    pub confidence: Option<f32>,
    /// Its copyright statements.
    pub copyrights: Vec<String>,
    /// Its license and NOTICE files.
    pub files: Vec<String>,
    /// Package URL.
    pub purl: Option<String>,
    /// `registry`, `git`, `path` or `unknown`.
    pub source: String,
    /// One-line description.
    pub description: Option<String>,
    /// Authors, as declared.
    pub authors: Vec<String>,
    /// Source repository, as declared.
    pub repository: Option<String>,
    /// The repository as a link target: only `https://` and `http://` URLs
    /// ([`super::helpers::http_url`]).
    pub repository_url: Option<String>,
    /// A declared `license-file` that was refused.
    pub refused_license_file: Option<String>,
    /// The license categories of its license terms.
    pub categories: Vec<String>,
    /// The policy's verdict: `allowed`, `failed`, `warned` or `skipped`.
    pub status: String,
}

/// The license ids of an expression (the terms, exceptions dropped), in order.
fn expression_ids(expr: &str) -> Vec<String> {
    match spdx::Expression::parse(expr) {
        Ok(e) => e
            .requirements()
            .map(|r| match &r.req.license {
                spdx::LicenseItem::Spdx { id, .. } => id.name.to_owned(),
                spdx::LicenseItem::Other(other) => other.to_string(),
            })
            .collect(),
        Err(_) => vec![expr.to_owned()],
    }
}

fn source_kind(c: &Component) -> &'static str {
    match c.source {
        crate::inventory::Source::Registry { .. } => "registry",
        crate::inventory::Source::Git { .. } => "git",
        crate::inventory::Source::Path { .. } => "path",
        crate::inventory::Source::Unknown => "unknown",
    }
}

/// What the context is built from.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The inventory.
    pub inventory: &'a Inventory,
    /// Its license evidence.
    pub evidence: &'a Evidence,
    /// The policy's verdicts on it.
    pub evaluation: &'a Evaluation,
    /// The policy's name.
    pub policy: &'a str,
    /// The policy's `min-confidence` for detected licenses.
    pub min_confidence: f32,
    /// clearance's version.
    pub tool_version: &'a str,
}

fn counts(map: BTreeMap<String, usize>) -> Vec<Count> {
    let mut v: Vec<(String, usize)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let max = v.first().map_or(1, |(_, c)| (*c).max(1)) as f64;
    v.into_iter()
        .enumerate()
        .map(|(i, (name, count))| Count {
            name,
            count,
            percent: (count as f64 * 1000.0 / max).round() / 10.0,
            y: i * 24,
        })
        .collect()
}

/// Builds the context templates see.
pub fn build_context(inputs: &Inputs<'_>) -> Context {
    let Inputs {
        inventory,
        evidence,
        evaluation,
        policy,
        min_confidence,
        tool_version,
    } = *inputs;
    let primary = inventory.primary_root();
    let product = Product {
        name: primary.map_or_else(|| inventory.name.clone(), |r| r.name.clone()),
        version: primary.map(|r| r.version.clone()).unwrap_or_default(),
    };
    let empty = crate::license::scan::PackageEvidence::default();
    let mut sections: BTreeMap<String, LicenseSection> = BTreeMap::new();
    let mut notices = Vec::new();
    let mut packages = Vec::new();
    // Third-party software only: the workspace's own crates are the product.
    let mut components: Vec<&Component> = inventory
        .components
        .values()
        .filter(|c| !c.workspace_member)
        .collect();
    components.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    for c in components {
        let ev = evidence.packages.get(&c.id).unwrap_or(&empty);
        let copyrights = ev.copyrights();
        let license = ev.effective_license(c, min_confidence);
        for id in license.as_deref().map(expression_ids).unwrap_or_default() {
            let section = sections
                .entry(id.clone())
                .or_insert_with(|| new_section(&id, inventory));
            section.packages.push(PackageRef {
                name: c.name.clone(),
                version: c.version.clone(),
                copyrights: copyrights.clone(),
            });
            // Prefer a package's own text of this license over the list's.
            let own = ev.files.iter().find(|f| {
                f.detection.as_ref().is_some_and(|d| {
                    d.ids.len() == 1 && d.ids[0] == id && d.confidence >= min_confidence
                })
            });
            if section.text_source != "package"
                && let Some(f) = own
            {
                section.text = crate::license::copyright::without_copyright_lines(&f.text);
                section.text_source = "package".to_owned();
            }
        }
        for f in ev.files.iter().filter(|f| f.kind == FileKind::Notice) {
            notices.push(NoticeFile {
                package: c.name.clone(),
                version: c.version.clone(),
                path: f.path.clone(),
                text: f.text.clone(),
            });
        }
        packages.push(package_row(
            c,
            ev,
            license,
            copyrights,
            evaluation,
            min_confidence,
        ));
    }
    let summary = summarise(&sections, &packages, evaluation);
    Context {
        product,
        tool: Tool {
            name: "clearance".to_owned(),
            version: tool_version.to_owned(),
        },
        policy: policy.to_owned(),
        summary,
        licenses: sections.into_values().collect(),
        notices,
        packages,
        findings: finding_rows(evaluation),
    }
}

/// The counts over the license sections and package rows.
fn summarise(
    sections: &BTreeMap<String, LicenseSection>,
    packages: &[PackageRow],
    evaluation: &Evaluation,
) -> Summary {
    let mut by_license: BTreeMap<String, usize> = BTreeMap::new();
    for (id, section) in sections {
        by_license.insert(id.clone(), section.packages.len());
    }
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for p in packages {
        for c in &p.categories {
            *by_category.entry(c.clone()).or_default() += 1;
        }
        *by_status.entry(p.status.clone()).or_default() += 1;
    }
    let (by_license, by_category) = (counts(by_license), counts(by_category));
    Summary {
        components: packages.len(),
        license_chart_height: by_license.len() * 24,
        category_chart_height: by_category.len() * 24,
        by_license,
        by_category,
        by_status: counts(by_status),
        findings: evaluation.findings.len(),
    }
}

/// The policy's findings, for reports.
fn finding_rows(evaluation: &Evaluation) -> Vec<FindingRow> {
    evaluation
        .findings
        .iter()
        .map(|f| FindingRow {
            code: f.code.as_str().to_owned(),
            severity: f.severity.to_string(),
            package: f.name.clone(),
            version: f.version.clone(),
            message: f.message.clone(),
            rule: f
                .rule
                .as_ref()
                .map(|r| format!("{}:{}: {}", r.file, r.line, r.rule))
                .unwrap_or_default(),
        })
        .collect()
}

/// The row of package `c`, given its evidence, license and copyright statements.
fn package_row(
    c: &Component,
    ev: &crate::license::scan::PackageEvidence,
    license: Option<String>,
    copyrights: Vec<String>,
    evaluation: &Evaluation,
    min_confidence: f32,
) -> PackageRow {
    let detections: Vec<&crate::license::detect::Detection> = ev
        .files
        .iter()
        .filter_map(|f| f.detection.as_ref())
        .collect();
    let verdict = evaluation.verdicts.get(&c.id);
    let status = verdict.map_or("allowed", |v| match v.status {
        Status::Allowed => "allowed",
        Status::Failed => "failed",
        Status::Warned => "warned",
        Status::Skipped => "skipped",
    });
    let categories: Vec<String> = verdict
        .map(|v| v.categories.iter().map(|c| c.as_str().to_owned()).collect())
        .unwrap_or_default();
    PackageRow {
        categories,
        status: status.to_owned(),
        name: c.name.clone(),
        version: c.version.clone(),
        license,
        declared: c.license.clone(),
        detected: ev.detected_ids(min_confidence),
        confidence: detections.iter().map(|d| d.confidence).reduce(f32::max),
        copyrights,
        files: ev.files.iter().map(|f| f.path.clone()).collect(),
        purl: c.purl.clone(),
        source: source_kind(c).to_owned(),
        description: c.description.clone(),
        authors: c
            .authors
            .iter()
            .map(|a| match &a.email {
                Some(e) => format!("{} <{e}>", a.name),
                None => a.name.clone(),
            })
            .collect(),
        repository: c.repository.clone(),
        repository_url: c
            .repository
            .as_deref()
            .and_then(super::helpers::http_url)
            .map(str::to_owned),
        refused_license_file: ev.refused.clone(),
    }
}

fn new_section(id: &str, inventory: &Inventory) -> LicenseSection {
    if let Some(l) = spdx::license_id(id) {
        return LicenseSection {
            id: id.to_owned(),
            name: l.full_name.to_owned(),
            text: l.text().to_owned(),
            text_source: "SPDX License List".to_owned(),
            packages: Vec::new(),
        };
    }
    let (name, text) = match inventory.license_refs.get(id) {
        Some(r) => (r.name.clone(), r.text.clone()),
        None => (id.to_owned(), format!("No text is available for {id}.")),
    };
    LicenseSection {
        id: id.to_owned(),
        name,
        text,
        text_source: "declared".to_owned(),
        packages: Vec::new(),
    }
}
