//! The licensing posture of a release, read from what the release recorded (its
//! `license-report.json` and `policy.toml`), nothing recomputed; and the changes from one
//! release of a product to the next.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::model::{
    Change, ComponentEntry, ExceptionEntry, FindingEntry, LicenseChange, LicenseCount, Posture,
    VersionChange,
};
use clearance_core::policy::categories::{Category, category_of};
use clearance_core::policy::file::{PackageSpec, parse_policy};

/// The license report's name in a release folder.
pub const REPORT_FILE: &str = "license-report.json";
/// The policy's name in a release folder.
pub const POLICY_FILE: &str = "policy.toml";

/// How many days before its end an exception is flagged as expiring.
pub const EXPIRING_WITHIN_DAYS: i64 = 90;

/// The parts of a `clearance-check/1` report the posture needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    components: Vec<ReportComponent>,
    #[serde(default)]
    findings: Vec<ReportFinding>,
}

/// A component of the report.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportComponent {
    name: String,
    version: String,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ReportFinding {
    severity: String,
    code: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    message: String,
}

impl Report {
    /// Parses a `clearance-check/1` report; the error names the line and column.
    pub fn parse(bytes: &[u8]) -> Result<Report, String> {
        serde_json::from_slice(bytes).map_err(|e| {
            format!(
                "{REPORT_FILE} cannot be read at line {}, column {}: {e}",
                e.line(),
                e.column()
            )
        })
    }
}

/// Categories from the most to the least restrictive, for counting a component once.
const CONCERN: [Category; 7] = [
    Category::Proprietary,
    Category::NetworkCopyleft,
    Category::StrongCopyleft,
    Category::Unknown,
    Category::WeakCopyleft,
    Category::Permissive,
    Category::PublicDomain,
];

fn primary_category(categories: &[String]) -> &'static str {
    CONCERN
        .iter()
        .find(|c| categories.iter().any(|n| n == c.as_str()))
        .unwrap_or(&Category::Unknown)
        .as_str()
}

/// The license ids an expression names (each once), or the expression itself when it does
/// not parse.
fn license_ids(expression: &str) -> Vec<String> {
    match spdx::Expression::parse_mode(expression, spdx::ParseMode::LAX) {
        Ok(parsed) => {
            let ids: BTreeSet<String> = parsed
                .requirements()
                .map(|r| match &r.req.license {
                    spdx::LicenseItem::Spdx { id, .. } => id.name.to_string(),
                    spdx::LicenseItem::Other(other) => other.to_string(),
                })
                .collect();
            ids.into_iter().collect()
        }
        Err(_) => vec![expression.to_string()],
    }
}

/// The posture of a release from its report, its policy's text (when recorded), the day it
/// was released and the day of the snapshot.
pub fn posture(
    report: &Report,
    policy: Option<&str>,
    released: time::Date,
    today: time::Date,
) -> Posture {
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    let mut licenses: BTreeMap<String, usize> = BTreeMap::new();
    for component in &report.components {
        *by_category
            .entry(primary_category(&component.categories).to_string())
            .or_default() += 1;
        let expression = component.license.as_deref().unwrap_or("NOASSERTION");
        for id in license_ids(expression) {
            *licenses.entry(id).or_default() += 1;
        }
    }
    let mut findings: Vec<FindingEntry> = report
        .findings
        .iter()
        .map(|f| FindingEntry {
            severity: f.severity.clone(),
            code: f.code.clone(),
            component: format!(
                "{} {}",
                f.name.as_deref().unwrap_or("?"),
                f.version.as_deref().unwrap_or("")
            )
            .trim()
            .to_string(),
            message: f.message.clone(),
        })
        .collect();
    findings.sort();
    Posture {
        components: report.components.len(),
        by_category,
        licenses: licenses
            .into_iter()
            .map(|(license, components)| LicenseCount {
                category: category_of(&license).as_str().to_string(),
                license,
                components,
            })
            .collect(),
        errors: findings.iter().filter(|f| f.severity == "error").count(),
        warnings: findings.iter().filter(|f| f.severity == "warning").count(),
        findings,
        exceptions: policy
            .map(|text| exceptions(report, text, released, today))
            .unwrap_or_default(),
    }
}

fn exceptions(
    report: &Report,
    policy_text: &str,
    released: time::Date,
    today: time::Date,
) -> Vec<ExceptionEntry> {
    // The policy was read when the release was made; one that no longer parses (a newer
    // format) is shown without exceptions rather than failing the snapshot.
    let Ok(policy) = parse_policy(Path::new(POLICY_FILE), policy_text) else {
        return Vec::new();
    };
    policy
        .exceptions
        .iter()
        .map(|exception| {
            let applies_to = report
                .components
                .iter()
                .filter(|c| {
                    let package = match &exception.package {
                        PackageSpec::Name(name) => &c.name == name,
                        PackageSpec::Purl(purl) => c.purl.as_deref().is_some_and(|p| {
                            p == purl || p.split(['@', '?']).next() == purl.split(['@', '?']).next()
                        }),
                    };
                    let version = exception.versions.as_ref().is_none_or(|req| {
                        semver::Version::parse(&c.version).is_ok_and(|v| req.matches(&v))
                    });
                    package && version
                })
                .map(|c| format!("{} {}", c.name, c.version))
                .collect();
            let status = match exception.expires {
                Some(end) if end < released => "expired",
                Some(end) if (end - today).whole_days() <= EXPIRING_WITHIN_DAYS => "expiring",
                _ => "in-force",
            };
            ExceptionEntry {
                package: match &exception.package {
                    PackageSpec::Name(name) | PackageSpec::Purl(name) => name.clone(),
                },
                versions: exception.versions.as_ref().map(ToString::to_string),
                allow: exception.allow.iter().map(ToString::to_string).collect(),
                reason: exception.reason.clone(),
                expires: exception.expires.map(super::period::format_day),
                status: status.to_string(),
                applies_to,
            }
        })
        .collect()
}

/// The components of a report, by name: each name's versions and licenses.
fn by_name(report: &Report) -> BTreeMap<&str, Vec<(&str, &str)>> {
    let mut names: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for c in &report.components {
        names
            .entry(&c.name)
            .or_default()
            .push((&c.version, c.license.as_deref().unwrap_or("NOASSERTION")));
    }
    for versions in names.values_mut() {
        versions.sort();
    }
    names
}

/// What changed from `before` to `after`.
pub fn changes(before: &Report, after: &Report) -> Change {
    let (old, new) = (by_name(before), by_name(after));
    let mut change = Change::default();
    for (name, versions) in &new {
        let Some(previous) = old.get(name) else {
            change
                .added
                .extend(versions.iter().map(|(version, license)| ComponentEntry {
                    name: name.to_string(),
                    version: version.to_string(),
                    license: license.to_string(),
                }));
            continue;
        };
        let old_versions: Vec<&str> = previous.iter().map(|v| v.0).collect();
        let new_versions: Vec<&str> = versions.iter().map(|v| v.0).collect();
        if old_versions != new_versions {
            change.upgraded.push(VersionChange {
                name: name.to_string(),
                from: old_versions.join(", "),
                to: new_versions.join(", "),
            });
        }
        let old_licenses: BTreeSet<&str> = previous.iter().map(|v| v.1).collect();
        let new_licenses: BTreeSet<&str> = versions.iter().map(|v| v.1).collect();
        if old_licenses != new_licenses {
            change.relicensed.push(LicenseChange {
                name: name.to_string(),
                version: new_versions.join(", "),
                from: old_licenses.into_iter().collect::<Vec<_>>().join(", "),
                to: new_licenses.into_iter().collect::<Vec<_>>().join(", "),
            });
        }
    }
    for (name, versions) in &old {
        if !new.contains_key(name) {
            change
                .removed
                .extend(versions.iter().map(|(version, license)| ComponentEntry {
                    name: name.to_string(),
                    version: version.to_string(),
                    license: license.to_string(),
                }));
        }
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn report(components: &[(&str, &str, &str, &[&str])]) -> Report {
        Report {
            components: components
                .iter()
                .map(|(name, version, license, categories)| ReportComponent {
                    name: name.to_string(),
                    version: version.to_string(),
                    purl: Some(format!("pkg:cargo/{name}@{version}")),
                    license: Some(license.to_string()),
                    categories: categories.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
            findings: Vec::new(),
        }
    }

    #[test]
    fn components_count_once_in_their_most_restrictive_category() {
        let r = report(&[
            ("a", "1.0.0", "MIT OR Apache-2.0", &["permissive"]),
            (
                "b",
                "1.0.0",
                "MIT AND GPL-3.0-only",
                &["permissive", "strong-copyleft"],
            ),
            ("c", "1.0.0", "MPL-2.0", &["weak-copyleft"]),
        ]);
        let policy = r#"
[licenses]
allow = ["MIT"]

[[exceptions]]
package = "c"
allow = ["MPL-2.0"]
reason = "LR-1"
expires = "2027-01-15"

[[exceptions]]
package = "b"
versions = ">=2"
allow = ["GPL-3.0-only"]
expires = "2026-09-01"
"#;
        let p = posture(
            &r,
            Some(policy),
            date!(2026 - 10 - 02),
            date!(2026 - 12 - 31),
        );
        assert_eq!(p.components, 3);
        assert_eq!(p.by_category["permissive"], 1);
        assert_eq!(p.by_category["strong-copyleft"], 1);
        assert_eq!(p.by_category["weak-copyleft"], 1);
        let mit = p.licenses.iter().find(|l| l.license == "MIT").unwrap();
        assert_eq!((mit.components, mit.category.as_str()), (2, "permissive"));
        assert_eq!(p.exceptions.len(), 2);
        assert_eq!(p.exceptions[0].status, "expiring");
        assert_eq!(p.exceptions[0].applies_to, vec!["c 1.0.0"]);
        assert_eq!(p.exceptions[1].status, "expired");
        assert!(p.exceptions[1].applies_to.is_empty(), "b 1.0.0 is not >=2");
    }

    #[test]
    fn changes_list_added_removed_upgraded_and_relicensed_components() {
        let before = report(&[
            ("a", "1.0.0", "MIT", &["permissive"]),
            ("b", "1.0.0", "MIT", &["permissive"]),
            ("gone", "0.1.0", "ISC", &["permissive"]),
        ]);
        let after = report(&[
            ("a", "1.1.0", "MIT", &["permissive"]),
            ("b", "1.0.0", "BUSL-1.1", &["proprietary"]),
            ("new", "2.0.0", "Apache-2.0", &["permissive"]),
        ]);
        let c = changes(&before, &after);
        assert_eq!(c.added.len(), 1);
        assert_eq!(c.added[0].name, "new");
        assert_eq!(c.removed[0].name, "gone");
        assert_eq!(
            c.upgraded,
            vec![VersionChange {
                name: "a".into(),
                from: "1.0.0".into(),
                to: "1.1.0".into()
            }]
        );
        assert_eq!(
            c.relicensed,
            vec![LicenseChange {
                name: "b".into(),
                version: "1.0.0".into(),
                from: "MIT".into(),
                to: "BUSL-1.1".into()
            }]
        );
        assert!(changes(&after, &after).added.is_empty());
    }
}
