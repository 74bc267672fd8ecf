//! The difference between a base and a head: which components were added, removed,
//! upgraded, downgraded or relicensed, and which findings the head brings in (new) as
//! opposed to those the base already had (existing) or that went away (resolved).
//!
//! A finding is the same finding in base and head when its code, package name and blamed
//! license terms agree: upgrading a package whose license was already denied does not make
//! the denial new.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::eval::{Evaluation, Finding};
use crate::inventory::{Component, Inventory};

/// A component as the diff reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Package {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// License expression, if any.
    pub license: Option<String>,
}

/// A version change of one package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VersionChange {
    /// Name.
    pub name: String,
    /// The base version.
    pub from: String,
    /// The head version.
    pub to: String,
}

/// A license change of one package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LicenseChange {
    /// Name.
    pub name: String,
    /// The head version.
    pub version: String,
    /// The base license.
    pub from: Option<String>,
    /// The head license.
    pub to: Option<String>,
}

/// Component changes between base and head.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// In head only.
    pub added: Vec<Package>,
    /// In base only.
    pub removed: Vec<Package>,
    /// A newer version in head.
    pub upgraded: Vec<VersionChange>,
    /// An older version in head.
    pub downgraded: Vec<VersionChange>,
    /// The license differs.
    pub relicensed: Vec<LicenseChange>,
}

impl Changes {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.upgraded.is_empty()
            && self.downgraded.is_empty()
            && self.relicensed.is_empty()
    }
}

/// The whole comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    /// Component changes.
    pub changes: Changes,
    /// Findings of head that base did not have.
    pub new: Vec<Finding>,
    /// Findings of head that base had too.
    pub existing: Vec<Finding>,
    /// Findings of base that head no longer has.
    pub resolved: Vec<Finding>,
}

type Key = (String, String, Vec<String>);

fn key(f: &Finding) -> Key {
    (
        f.code.as_str().to_owned(),
        f.name.clone(),
        f.licenses.clone(),
    )
}

/// Compares base and head inventories and their evaluations.
pub fn diff(
    base: &Inventory,
    base_eval: &Evaluation,
    head: &Inventory,
    head_eval: &Evaluation,
) -> Diff {
    let base_keys: BTreeSet<Key> = base_eval.findings.iter().map(key).collect();
    let head_keys: BTreeSet<Key> = head_eval.findings.iter().map(key).collect();
    let (existing, new) = head_eval
        .findings
        .iter()
        .cloned()
        .partition(|f| base_keys.contains(&key(f)));
    let resolved = base_eval
        .findings
        .iter()
        .filter(|f| !head_keys.contains(&key(f)))
        .cloned()
        .collect();
    Diff {
        changes: changes(base, head),
        new,
        existing,
        resolved,
    }
}

/// Packages grouped by (ecosystem, name), each with its versions.
fn by_name(inv: &Inventory) -> BTreeMap<(String, String), Vec<&Component>> {
    let mut map: BTreeMap<(String, String), Vec<&Component>> = BTreeMap::new();
    for c in inv.components.values() {
        map.entry((format!("{:?}", c.ecosystem), c.name.clone()))
            .or_default()
            .push(c);
    }
    for v in map.values_mut() {
        v.sort_by(|a, b| compare_versions(&a.version, &b.version));
    }
    map
}

fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

fn package(c: &Component) -> Package {
    Package {
        name: c.name.clone(),
        version: c.version.clone(),
        license: c.license.clone(),
    }
}

fn changes(base: &Inventory, head: &Inventory) -> Changes {
    let (b, h) = (by_name(base), by_name(head));
    let mut out = Changes::default();
    for (k, hv) in &h {
        let Some(bv) = b.get(k) else {
            out.added.extend(hv.iter().map(|c| package(c)));
            continue;
        };
        // Versions in both are unchanged; pair the rest in order, the surplus is added/removed.
        let bset: BTreeSet<&str> = bv.iter().map(|c| c.version.as_str()).collect();
        let hset: BTreeSet<&str> = hv.iter().map(|c| c.version.as_str()).collect();
        for c in hv.iter().filter(|c| bset.contains(c.version.as_str())) {
            let before = bv.iter().find(|x| x.version == c.version).expect("in both");
            if before.license != c.license {
                out.relicensed.push(LicenseChange {
                    name: c.name.clone(),
                    version: c.version.clone(),
                    from: before.license.clone(),
                    to: c.license.clone(),
                });
            }
        }
        let gone: Vec<&&Component> = bv
            .iter()
            .filter(|c| !hset.contains(c.version.as_str()))
            .collect();
        let came: Vec<&&Component> = hv
            .iter()
            .filter(|c| !bset.contains(c.version.as_str()))
            .collect();
        for (old, new) in gone.iter().zip(&came) {
            let change = VersionChange {
                name: new.name.clone(),
                from: old.version.clone(),
                to: new.version.clone(),
            };
            if compare_versions(&new.version, &old.version).is_gt() {
                out.upgraded.push(change);
            } else {
                out.downgraded.push(change);
            }
            if old.license != new.license {
                out.relicensed.push(LicenseChange {
                    name: new.name.clone(),
                    version: new.version.clone(),
                    from: old.license.clone(),
                    to: new.license.clone(),
                });
            }
        }
        out.removed
            .extend(gone.iter().skip(came.len()).map(|c| package(c)));
        out.added
            .extend(came.iter().skip(gone.len()).map(|c| package(c)));
    }
    for (k, bv) in &b {
        if !h.contains_key(k) {
            out.removed.extend(bv.iter().map(|c| package(c)));
        }
    }
    out.added.sort();
    out.removed.sort();
    out.upgraded.sort();
    out.downgraded.sort();
    out.relicensed.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ComponentId;

    fn inv(items: &[(&str, &str, &str)]) -> Inventory {
        let mut inv = Inventory::default();
        for (n, v, l) in items {
            let id = ComponentId(format!("pkg:cargo/{n}@{v}"));
            let mut c = Component::new(id.clone(), *n, *v);
            c.license = Some((*l).to_owned());
            inv.components.insert(id, c);
        }
        inv
    }

    #[test]
    fn classifies_component_changes() {
        let base = inv(&[
            ("a", "1.0.0", "MIT"),
            ("b", "2.0.0", "MIT"),
            ("c", "1.0.0", "MIT"),
            ("d", "1.0.0", "MIT"),
            ("e", "0.9.0", "MIT"),
        ]);
        let head = inv(&[
            ("a", "1.1.0", "MIT"),
            ("b", "1.9.0", "MIT"),
            ("c", "1.0.0", "GPL-3.0-only"),
            ("f", "1.0.0", "ISC"),
            ("e", "0.10.0", "Apache-2.0"),
        ]);
        let c = changes(&base, &head);
        assert_eq!(
            c.added,
            [Package {
                name: "f".into(),
                version: "1.0.0".into(),
                license: Some("ISC".into())
            }]
        );
        assert_eq!(
            c.removed
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["d"]
        );
        assert_eq!(
            c.upgraded
                .iter()
                .map(|u| (u.name.as_str(), u.to.as_str()))
                .collect::<Vec<_>>(),
            [("a", "1.1.0"), ("e", "0.10.0")],
            "semver order, not text order"
        );
        assert_eq!(
            c.downgraded
                .iter()
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(
            c.relicensed
                .iter()
                .map(|r| (r.name.as_str(), r.to.as_deref()))
                .collect::<Vec<_>>(),
            [("c", Some("GPL-3.0-only")), ("e", Some("Apache-2.0"))]
        );
    }
}
