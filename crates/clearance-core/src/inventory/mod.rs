//! The inventory: the packages a product is made of, where each comes from, what license it
//! declares, and how they depend on each other.
//!
//! Everything downstream (SBOM writers, policy, notices, attestations) works on this model,
//! never on cargo's JSON or a foreign SBOM. Collectors fill it: [`cargo`] from
//! `cargo metadata`, and the SBOM readers in `crate::sbom`. The model makes no license or
//! policy judgement and knows nothing of output formats.

pub mod cargo;
mod lockfile;
pub mod purl;

/// A source of an inventory: a workspace's package manager ([`cargo`] today; npm, PyPI and
/// Go lockfiles are further implementations), or another tool's SBOM
/// (`crate::sbom::SbomFile`). Everything downstream works on the [`Inventory`] it returns,
/// never on the source's own format: adding an ecosystem is adding one implementation.
pub trait Collector {
    /// Why collecting failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Collects the packages, their licenses, hashes and edges into the model.
    fn collect(&self) -> Result<Inventory, Self::Error>;
}

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

/// A stable identifier of a component within one inventory: its package URL where it has one
/// (e.g. `pkg:cargo/serde@1.0.210`), else a reference unique in the document it came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ComponentId(pub String);

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The package ecosystem a component belongs to (the purl type).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Ecosystem {
    /// Rust crates (`pkg:cargo`).
    Cargo,
    /// Any other purl type, e.g. `pypi`, `npm`, `golang`.
    Other(String),
    /// No purl, so no known ecosystem.
    Unknown,
}

/// Where a component's source comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A package registry; `url` is the index URL (crates.io's is [`CRATES_IO_INDEX`]).
    Registry {
        /// The registry index, e.g. `https://github.com/rust-lang/crates.io-index`.
        url: String,
    },
    /// A git repository at a resolved commit.
    Git {
        /// The repository URL, without the `git+` prefix or query.
        url: String,
        /// The full commit the lockfile pins.
        rev: String,
    },
    /// A local directory: a workspace member or a path dependency.
    Path {
        /// The directory relative to the workspace root, with `/` separators (`.` for the root).
        path: String,
    },
    /// Nothing says where it came from (common in foreign SBOMs).
    Unknown,
}

/// The crates.io index URL as cargo reports it in lockfiles and metadata.
pub const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

impl Source {
    /// True for the crates.io registry, in its git or sparse form.
    pub fn is_crates_io(&self) -> bool {
        matches!(self, Source::Registry { url } if is_crates_io_url(url))
    }
}

/// True when `url` names the crates.io index, git or sparse.
pub fn is_crates_io_url(url: &str) -> bool {
    let url = url.trim_end_matches('/');
    url == CRATES_IO_INDEX || url == "https://index.crates.io"
}

/// How one component depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepKind {
    /// Linked into the product.
    Normal,
    /// Used by a build script or proc-macro build.
    Build,
    /// Used by tests, examples and benchmarks only.
    Dev,
}

impl DepKind {
    /// The lowercase name used on the command line and in SBOM properties.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Build => "build",
            DepKind::Dev => "dev",
        }
    }
}

/// A dependency edge: `from` depends on `to` as `kind`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Edge {
    /// The dependent.
    pub from: ComponentId,
    /// The dependency.
    pub to: ComponentId,
    /// How it is used.
    pub kind: DepKind,
}

/// A person or organisation named by a package (an author, a supplier).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Party {
    /// The name as written.
    pub name: String,
    /// An e-mail address, when one was given (`Name <mail>` in Cargo.toml).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Party {
    /// Parses a Cargo-style author string: `Jane Doe <jane@example.com>`, or a bare name.
    /// What stands in angle brackets counts as an e-mail only if it looks like one (authors
    /// also write `Project <https://…>`); otherwise the string is kept whole as the name.
    pub fn parse(author: &str) -> Self {
        let author = author.trim();
        if let (Some(open), true) = (author.rfind('<'), author.ends_with('>')) {
            let name = author[..open].trim();
            let email = author[open + 1..author.len() - 1].trim();
            if looks_like_email(email) {
                return Self {
                    name: if name.is_empty() { email } else { name }.to_owned(),
                    email: Some(email.to_owned()),
                };
            }
        }
        Self {
            name: author.to_owned(),
            email: None,
        }
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !s.contains("://")
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// One package of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Its identifier in this inventory.
    pub id: ComponentId,
    /// The package name.
    pub name: String,
    /// The package version, as the ecosystem writes it.
    pub version: String,
    /// The ecosystem (purl type).
    pub ecosystem: Ecosystem,
    /// The package URL, e.g. `pkg:cargo/itoa@1.0.11`.
    pub purl: Option<String>,
    /// Where the source comes from.
    pub source: Source,
    /// SHA-256 of the distributed archive (for crates: the Cargo.lock checksum), lowercase hex.
    pub sha256: Option<String>,
    /// The declared license as a valid SPDX expression (legacy forms normalised; a
    /// `LicenseRef-` where the package only points at a file or declares something that is
    /// not SPDX), or `None` when the package declares nothing at all.
    pub license: Option<String>,
    /// The license string exactly as the package declared it, when it differs from `license`.
    pub license_declared_raw: Option<String>,
    /// The `license-file` the package names, relative to its root.
    pub license_file: Option<String>,
    /// The authors.
    pub authors: Vec<Party>,
    /// The supplier (the distributor, e.g. a registry), when known.
    pub supplier: Option<Party>,
    /// One-line description.
    pub description: Option<String>,
    /// Project homepage.
    pub homepage: Option<String>,
    /// Source repository.
    pub repository: Option<String>,
    /// Documentation site.
    pub documentation: Option<String>,
    /// True for the members of the workspace being described.
    pub workspace_member: bool,
    /// True for packages that are never published (`publish = false`).
    pub private: bool,
    /// The package's source directory on this machine, when collected from a workspace (not
    /// written to SBOMs: it is machine-specific).
    #[serde(skip)]
    pub source_dir: Option<std::path::PathBuf>,
}

impl Component {
    /// A component with the given identity and everything else empty.
    pub fn new(id: ComponentId, name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            version: version.into(),
            ecosystem: Ecosystem::Unknown,
            purl: None,
            source: Source::Unknown,
            sha256: None,
            license: None,
            license_declared_raw: None,
            license_file: None,
            authors: Vec::new(),
            supplier: None,
            description: None,
            homepage: None,
            repository: None,
            documentation: None,
            workspace_member: false,
            private: false,
            source_dir: None,
        }
    }
}

/// The text behind a `LicenseRef-` used in the inventory (SPDX calls it extracted licensing
/// info): what a `license-file` holds, or a non-SPDX name some SBOM used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseRefText {
    /// A human-readable name.
    pub name: String,
    /// The full text, or a sentence saying where the text is.
    pub text: String,
}

/// The whole model: roots, components by id, and the dependency edges between them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// A name for what is described (the root package, or the workspace directory).
    pub name: String,
    /// The components the inventory is about (workspace members, or an SBOM's subject).
    pub roots: Vec<ComponentId>,
    /// Every component, sorted by id.
    pub components: BTreeMap<ComponentId, Component>,
    /// Dependency edges, sorted and without duplicates.
    pub edges: Vec<Edge>,
    /// The texts behind the `LicenseRef-`s that components use, by id.
    pub license_refs: BTreeMap<String, LicenseRefText>,
    /// The file the inventory was read from: `Cargo.lock` of a workspace, or an SBOM. Reports
    /// point at lines in it.
    #[serde(skip)]
    pub origin: Option<std::path::PathBuf>,
}

impl Inventory {
    /// The single root that no other root depends on, if there is exactly one: the product
    /// an SBOM describes. With several independent roots (a virtual workspace of unrelated
    /// members) there is none and writers describe the workspace as a whole.
    pub fn primary_root(&self) -> Option<&Component> {
        let roots: BTreeSet<&ComponentId> = self.roots.iter().collect();
        let depended_on: BTreeSet<&ComponentId> = self
            .edges
            .iter()
            .filter(|e| roots.contains(&e.from) && e.from != e.to)
            .map(|e| &e.to)
            .collect();
        let mut top = self
            .roots
            .iter()
            .filter(|r| !depended_on.contains(r))
            .filter_map(|r| self.components.get(r));
        match (top.next(), top.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// The direct dependencies of `id`, with the kinds of each edge, sorted.
    pub fn dependencies_of<'a>(
        &'a self,
        id: &'a ComponentId,
    ) -> impl Iterator<Item = &'a Edge> + 'a {
        let start = self.edges.partition_point(|e| &e.from < id);
        self.edges[start..]
            .iter()
            .take_while(move |e| &e.from == id)
    }

    /// Sorts and deduplicates the edges and roots; collectors call this once when done.
    /// An inventory that names no roots (an SBOM without a subject) gets as roots the
    /// components nothing depends on.
    pub fn normalise(&mut self) {
        self.edges.sort();
        self.edges.dedup();
        if self.roots.is_empty() {
            let depended_on: BTreeSet<&ComponentId> = self.edges.iter().map(|e| &e.to).collect();
            self.roots = self
                .components
                .keys()
                .filter(|id| !depended_on.contains(id))
                .cloned()
                .collect();
        }
        self.roots.sort();
        self.roots.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargo_author_strings() {
        assert_eq!(
            Party::parse("Jane Doe <jane@example.com>"),
            Party {
                name: "Jane Doe".into(),
                email: Some("jane@example.com".into())
            }
        );
        assert_eq!(
            Party::parse("The Rust Project Developers"),
            Party {
                name: "The Rust Project Developers".into(),
                email: None
            }
        );
        assert_eq!(
            Party::parse("<only@mail.example>").name,
            "only@mail.example",
            "a bare address is also the name"
        );
        assert_eq!(
            Party::parse("PyO3 Project <https://github.com/PyO3>"),
            Party {
                name: "PyO3 Project <https://github.com/PyO3>".into(),
                email: None
            },
            "a URL is not an e-mail"
        );
    }

    fn id(s: &str) -> ComponentId {
        ComponentId(s.to_owned())
    }

    #[test]
    fn primary_root_is_the_member_nobody_depends_on() {
        let mut inv = Inventory::default();
        for n in ["app", "util", "itoa"] {
            inv.components
                .insert(id(n), Component::new(id(n), n, "1.0.0"));
        }
        inv.roots = vec![id("app"), id("util")];
        inv.edges = vec![
            Edge {
                from: id("app"),
                to: id("util"),
                kind: DepKind::Normal,
            },
            Edge {
                from: id("util"),
                to: id("itoa"),
                kind: DepKind::Normal,
            },
        ];
        inv.normalise();
        assert_eq!(inv.primary_root().map(|c| c.name.as_str()), Some("app"));
        assert_eq!(inv.dependencies_of(&id("app")).count(), 1);
        inv.edges.remove(0);
        assert!(inv.primary_root().is_none(), "two independent roots");
    }
}
