//! The Cargo collector: runs `cargo metadata` (through `cargo_metadata`'s command builder),
//! reads `Cargo.lock` for checksums, and fills an [`Inventory`] with exactly the packages of
//! the resolve graph that the chosen dependency kinds and target reach.
//!
//! `cargo metadata` runs in the directory of the manifest, so the project's own
//! `.cargo/config.toml` (vendored sources, private registries) applies as it does for a build
//! there. Of its JSON only the fields the inventory uses are deserialised ([`Metadata`]);
//! targets, features and dependency declarations are skipped without allocating, which
//! keeps clearance's own time and memory small next to cargo's on large graphs.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};
use serde::Deserialize;

use super::lockfile::{Checksums, read_checksums};
use super::purl::cargo_purl;
use super::{
    Component, ComponentId, DepKind, Ecosystem, Edge, Inventory, LicenseRefText, Party, Source,
};
use crate::license::files::read_inside;
use crate::license::{NormalisedLicense, license_ref_id, normalise_declared};

/// Which features to resolve with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureSelection {
    /// `--all-features`.
    pub all: bool,
    /// `--no-default-features`.
    pub no_default: bool,
    /// `--features A,B`.
    pub features: Vec<String>,
}

/// Whether `Cargo.lock` may change while resolving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMode {
    /// `--locked`: fail if the lockfile is missing or out of date (the default).
    #[default]
    Locked,
    /// Let cargo update the lockfile as it would for a build.
    Unlocked,
}

/// Whether cargo may use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// Cargo may fetch what it lacks.
    #[default]
    Online,
    /// `--offline`.
    Offline,
}

/// The parts of `cargo metadata --format-version 1` the inventory uses.
#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<PackageId>,
    resolve: Option<Resolve>,
    workspace_root: PathBuf,
    /// `[workspace.metadata]`, which cargo reports as the top-level `metadata`.
    #[serde(default, rename = "metadata")]
    workspace_metadata: Option<ManifestMetadata>,
}

/// `[package.metadata]` / `[workspace.metadata]`: only the `clearance` table is read.
#[derive(Deserialize, Default)]
struct ManifestMetadata {
    #[serde(default)]
    clearance: Option<ClearanceMetadata>,
}

/// `[package.metadata.clearance]` / `[workspace.metadata.clearance]`.
#[derive(Deserialize, Default)]
struct ClearanceMetadata {
    /// Who supplies the package, e.g. `"Acme Corp <oss@acme.example>"`.
    supplier: Option<String>,
}

impl ManifestMetadata {
    fn supplier(&self) -> Option<&str> {
        self.clearance.as_ref()?.supplier.as_deref()
    }
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    id: PackageId,
    #[serde(default)]
    authors: Vec<String>,
    source: Option<String>,
    description: Option<String>,
    license: Option<String>,
    license_file: Option<String>,
    manifest_path: PathBuf,
    repository: Option<String>,
    homepage: Option<String>,
    documentation: Option<String>,
    #[serde(default)]
    metadata: Option<ManifestMetadata>,
    /// `null` when publishable anywhere, `[]` for `publish = false`.
    #[serde(default)]
    publish: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
    root: Option<PackageId>,
}

#[derive(Deserialize)]
struct Node {
    id: PackageId,
    #[serde(default)]
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: PackageId,
    #[serde(default)]
    dep_kinds: Vec<DepKindInfo>,
}

#[derive(Deserialize)]
struct DepKindInfo {
    /// `null` for normal dependencies.
    kind: Option<DependencyKind>,
}

/// Everything that decides which packages the inventory holds.
#[derive(Debug, Clone, Default)]
pub struct CargoOptions {
    /// The workspace or package manifest; `Cargo.toml` in the current directory if `None`.
    pub manifest_path: Option<PathBuf>,
    /// `--locked` or not.
    pub lock: LockMode,
    /// `--offline` or not.
    pub network: Network,
    /// Feature selection.
    pub features: FeatureSelection,
    /// `--filter-platform TRIPLE`; all platforms when `None`.
    pub target: Option<String>,
    /// Dependency kinds to follow besides normal ones.
    pub include: BTreeSet<DepKind>,
    /// The supplier of the workspace's own packages (`--supplier`), e.g.
    /// `"Acme Corp <oss@acme.example>"`. A package's `[package.metadata.clearance] supplier`
    /// takes precedence; `[workspace.metadata.clearance] supplier` is the fallback.
    pub supplier: Option<String>,
}

/// What can go wrong while collecting from Cargo.
#[derive(Debug, thiserror::Error)]
pub enum CargoError {
    /// There is no manifest where one was expected.
    #[error("no Cargo.toml at {}", .0.display())]
    NoManifest(PathBuf),
    /// `cargo` could not be started.
    #[error("cannot run `cargo metadata`: {0}")]
    Spawn(std::io::Error),
    /// `cargo metadata` failed; its own message says why (manifest syntax with line and
    /// column, an out-of-date lockfile under `--locked`, an unreachable registry).
    #[error("`cargo metadata` failed for {manifest}:\n{stderr}{hint}")]
    Cargo {
        /// The manifest it ran on.
        manifest: String,
        /// What cargo printed.
        stderr: String,
        /// What to do, when the failure is a known one.
        hint: String,
    },
    /// The JSON cargo printed could not be read.
    #[error("cannot read the output of `cargo metadata`: {0}")]
    Output(serde_json::Error),
    /// `Cargo.lock` is not valid TOML.
    #[error("cannot read the lockfile: {0}")]
    Lockfile(String),
}

/// The cargo collector, configured by its options: `cargo metadata` of the workspace.
impl super::Collector for CargoOptions {
    type Error = CargoError;

    fn collect(&self) -> Result<Inventory, CargoError> {
        collect_cargo_inventory(self)
    }
}

/// Runs `cargo metadata` as `options` say and builds the inventory of the resolve graph.
pub fn collect_cargo_inventory(options: &CargoOptions) -> Result<Inventory, CargoError> {
    let manifest = resolve_manifest(options.manifest_path.as_deref())?;
    let metadata = run_cargo_metadata(&manifest, options)?;
    let lock_path = metadata.workspace_root.join("Cargo.lock");
    let checksums = read_checksums(&lock_path).map_err(CargoError::Lockfile)?;
    let mut inventory = build_inventory(&metadata, &checksums, options);
    inventory.origin = lock_path.is_file().then_some(lock_path);
    Ok(inventory)
}

fn resolve_manifest(given: Option<&Path>) -> Result<PathBuf, CargoError> {
    let path = match given {
        Some(p) if p.is_dir() => p.join("Cargo.toml"),
        Some(p) => p.to_owned(),
        None => PathBuf::from("Cargo.toml"),
    };
    if !path.is_file() {
        return Err(CargoError::NoManifest(path));
    }
    Ok(std::path::absolute(&path).unwrap_or(path))
}

fn run_cargo_metadata(manifest: &Path, options: &CargoOptions) -> Result<Metadata, CargoError> {
    let mut cmd = MetadataCommand::new();
    cmd.manifest_path(manifest);
    if let Some(dir) = manifest.parent() {
        cmd.current_dir(dir);
    }
    let f = &options.features;
    if f.all {
        cmd.features(cargo_metadata::CargoOpt::AllFeatures);
    }
    if f.no_default {
        cmd.features(cargo_metadata::CargoOpt::NoDefaultFeatures);
    }
    if !f.features.is_empty() {
        cmd.features(cargo_metadata::CargoOpt::SomeFeatures(f.features.clone()));
    }
    let mut other = Vec::new();
    if options.lock == LockMode::Locked {
        other.push("--locked".to_owned());
    }
    if options.network == Network::Offline {
        other.push("--offline".to_owned());
    }
    if let Some(t) = &options.target {
        other.extend(["--filter-platform".to_owned(), t.clone()]);
    }
    cmd.other_options(other);

    let mut child = cmd
        .cargo_command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(CargoError::Spawn)?;
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let mut json = Vec::with_capacity(1 << 20);
    let read = child
        .stdout
        .take()
        .expect("stdout is piped")
        .read_to_end(&mut json);
    let status = child.wait().map_err(CargoError::Spawn)?;
    let stderr = stderr_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(cargo_failure(manifest, &stderr));
    }
    read.map_err(CargoError::Spawn)?;
    serde_json::from_slice(&json).map_err(CargoError::Output)
}

fn cargo_failure(manifest: &Path, stderr: &str) -> CargoError {
    let hint = if stderr.contains("--locked") || stderr.contains("lock file") {
        "\nhelp: Cargo.lock is missing or out of date; run `cargo update --workspace` (or \
         `cargo generate-lockfile`) and commit it, or pass --no-locked to let clearance resolve \
         without it"
    } else if stderr.contains("failed to parse manifest")
        || stderr.contains("Cargo.toml:")
        || stderr.contains("TOML parse error")
    {
        "\nhelp: fix the manifest at the line and column cargo names above (relative to the \
         manifest's directory)"
    } else if stderr.contains("--offline") || stderr.contains("attempting to make an HTTP request")
    {
        "\nhelp: some crates are not in the local cache; run `cargo fetch` once with network access"
    } else {
        ""
    };
    CargoError::Cargo {
        manifest: manifest.display().to_string(),
        stderr: stderr.trim_end().to_owned(),
        hint: hint.to_owned(),
    }
}

/// Builds the inventory from parsed metadata: the roots are the resolve root (a package
/// manifest) or every workspace member (a virtual manifest); components are what the roots
/// reach through normal edges and the `include`d kinds. Dev edges are followed from roots
/// only, since cargo resolves dev-dependencies for workspace members alone.
fn build_inventory(
    metadata: &Metadata,
    checksums: &Checksums,
    options: &CargoOptions,
) -> Inventory {
    let include = &options.include;
    let local_supplier = options.supplier.as_deref().or_else(|| {
        metadata
            .workspace_metadata
            .as_ref()
            .and_then(ManifestMetadata::supplier)
    });
    let resolve = metadata.resolve.as_ref();
    let packages: HashMap<&PackageId, &Package> =
        metadata.packages.iter().map(|p| (&p.id, p)).collect();
    let members: HashSet<&PackageId> = metadata.workspace_members.iter().collect();
    let root_ids: Vec<&PackageId> = match resolve.and_then(|r| r.root.as_ref()) {
        Some(root) => vec![root],
        None => metadata.workspace_members.iter().collect(),
    };

    let edges_by_node = resolved_edges(metadata);
    let reached = reachable(&root_ids, &edges_by_node, include);

    let ws_root = metadata.workspace_root.as_path();
    let context = PackageContext {
        ws_root,
        checksums,
        local_supplier,
    };
    let mut inventory = Inventory::default();
    let mut ids: HashMap<&PackageId, ComponentId> = HashMap::with_capacity(reached.len());
    for pkg_id in &reached {
        let Some(pkg) = packages.get(pkg_id) else {
            continue;
        };
        let component = context.component_of(pkg, members.contains(pkg_id), &mut inventory);
        ids.insert(pkg_id, component.id.clone());
        inventory.components.insert(component.id.clone(), component);
    }
    for (from, deps) in &edges_by_node {
        let Some(from_id) = ids.get(from) else {
            continue;
        };
        let from_is_root = root_ids.contains(from);
        for (to, kind) in deps {
            if !follows(*kind, from_is_root, include) {
                continue;
            }
            if let Some(to_id) = ids.get(to) {
                inventory.edges.push(Edge {
                    from: from_id.clone(),
                    to: to_id.clone(),
                    kind: *kind,
                });
            }
        }
    }
    inventory.roots = root_ids
        .iter()
        .filter_map(|r| ids.get(r).cloned())
        .collect();
    inventory.normalise();
    inventory.name = match inventory.primary_root() {
        Some(root) => root.name.clone(),
        None => ws_root.file_name().map_or_else(
            || "workspace".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    inventory
}

type ResolvedEdges<'a> = HashMap<&'a PackageId, Vec<(&'a PackageId, DepKind)>>;

fn resolved_edges(metadata: &Metadata) -> ResolvedEdges<'_> {
    let mut edges = ResolvedEdges::new();
    let Some(resolve) = &metadata.resolve else {
        return edges;
    };
    for node in &resolve.nodes {
        let out = edges.entry(&node.id).or_default();
        for dep in &node.deps {
            for info in &dep.dep_kinds {
                let kind = match info.kind {
                    Some(DependencyKind::Build) => DepKind::Build,
                    Some(DependencyKind::Development) => DepKind::Dev,
                    _ => DepKind::Normal,
                };
                if !out.contains(&(&dep.pkg, kind)) {
                    out.push((&dep.pkg, kind));
                }
            }
        }
    }
    edges
}

fn follows(kind: DepKind, from_is_root: bool, include: &BTreeSet<DepKind>) -> bool {
    match kind {
        DepKind::Normal => true,
        DepKind::Build => include.contains(&DepKind::Build),
        DepKind::Dev => from_is_root && include.contains(&DepKind::Dev),
    }
}

fn reachable<'a>(
    roots: &[&'a PackageId],
    edges: &ResolvedEdges<'a>,
    include: &BTreeSet<DepKind>,
) -> HashSet<&'a PackageId> {
    let mut seen: HashSet<&PackageId> = roots.iter().copied().collect();
    let mut queue: VecDeque<&PackageId> = roots.iter().copied().collect();
    while let Some(node) = queue.pop_front() {
        let from_is_root = roots.contains(&node);
        for (dep, kind) in edges.get(node).map(Vec::as_slice).unwrap_or_default() {
            if follows(*kind, from_is_root, include) && seen.insert(dep) {
                queue.push_back(dep);
            }
        }
    }
    seen
}

/// What turning a package into a component needs besides the package.
struct PackageContext<'a> {
    ws_root: &'a Path,
    checksums: &'a Checksums,
    /// The supplier of workspace-local packages that name none themselves.
    local_supplier: Option<&'a str>,
}

impl PackageContext<'_> {
    fn component_of(&self, pkg: &Package, member: bool, inventory: &mut Inventory) -> Component {
        let source = source_of(pkg, self.ws_root);
        let purl = cargo_purl(&pkg.name, &pkg.version, &source);
        let mut c = Component::new(ComponentId(purl.clone()), &pkg.name, &pkg.version);
        c.ecosystem = Ecosystem::Cargo;
        c.purl = Some(purl);
        c.sha256 = pkg.source.as_ref().and_then(|s| {
            self.checksums
                .get(&(pkg.name.clone(), pkg.version.clone(), s.clone()))
                .cloned()
        });
        c.supplier = self.supplier_of(pkg, &source);
        c.source = source;
        c.authors = pkg.authors.iter().map(|a| Party::parse(a)).collect();
        c.description = non_empty(pkg.description.as_deref());
        c.homepage = non_empty(pkg.homepage.as_deref());
        c.repository = non_empty(pkg.repository.as_deref());
        c.documentation = non_empty(pkg.documentation.as_deref());
        c.workspace_member = member;
        c.private = pkg.publish.as_ref().is_some_and(Vec::is_empty);
        c.source_dir = pkg.manifest_path.parent().map(Path::to_owned);
        set_license(&mut c, pkg, inventory);
        c
    }

    /// The supplier in SPDX's sense, the distribution source: the registry or git host a
    /// package comes from; for local packages whoever the manifest or `--supplier` names.
    fn supplier_of(&self, pkg: &Package, source: &Source) -> Option<Party> {
        let named = pkg.metadata.as_ref().and_then(ManifestMetadata::supplier);
        let organisation = |name: &str| Party {
            name: name.to_owned(),
            email: None,
        };
        match source {
            _ if named.is_some() => named.map(Party::parse),
            s if s.is_crates_io() => Some(organisation("crates.io")),
            Source::Registry { url } | Source::Git { url, .. } => url_host(url).map(organisation),
            Source::Path { .. } | Source::Unknown => self.local_supplier.map(Party::parse),
        }
    }
}

/// The host of a URL such as `https://git.example.com/x.git` or `ssh://git@host:22/x`.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn source_of(pkg: &Package, ws_root: &Path) -> Source {
    let Some(src) = &pkg.source else {
        let dir = pkg.manifest_path.parent().unwrap_or(ws_root);
        return Source::Path {
            path: relative_path(ws_root, dir),
        };
    };
    let repr = src.as_str();
    if let Some(git) = repr.strip_prefix("git+") {
        let (url_part, rev) = git.split_once('#').unwrap_or((git, ""));
        let url = url_part.split_once('?').map_or(url_part, |(u, _)| u);
        return Source::Git {
            url: url.to_owned(),
            rev: rev.to_owned(),
        };
    }
    // `registry+URL` is a git index; a sparse index keeps its `sparse+` prefix, which is part
    // of its identity for cargo. Both forms of crates.io become the one crates.io URL.
    let url = repr.strip_prefix("registry+").unwrap_or(repr);
    let crates_io = super::is_crates_io_url(url.strip_prefix("sparse+").unwrap_or(url));
    Source::Registry {
        url: if crates_io {
            super::CRATES_IO_INDEX.to_owned()
        } else {
            url.to_owned()
        },
    }
}

/// `dir` relative to `base` with `/` separators, climbing with `..` where it lies outside.
fn relative_path(base: &Path, dir: &Path) -> String {
    let base: Vec<_> = base.components().collect();
    let dir: Vec<_> = dir.components().collect();
    let common = base.iter().zip(&dir).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> =
        std::iter::repeat_n("..".to_owned(), base.len() - common).collect();
    parts.extend(
        dir[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Fills the license fields: a normalised SPDX expression; else a `LicenseRef-` naming the
/// `license-file` (its text kept in the inventory); else a `LicenseRef-` holding the
/// declared string that is not SPDX. A package that declares nothing keeps `None`.
fn set_license(c: &mut Component, pkg: &Package, inventory: &mut Inventory) {
    c.license_file = pkg.license_file.as_ref().map(|f| f.replace('\\', "/"));
    if let Some(raw) = pkg.license.as_deref() {
        match normalise_declared(raw) {
            NormalisedLicense::Expression(expr) => {
                if expr != raw {
                    c.license_declared_raw = Some(raw.to_owned());
                }
                c.license = Some(expr);
            }
            NormalisedLicense::Invalid { reason } => {
                let id = license_ref_id(&[&c.name, "declared"]);
                inventory.license_refs.insert(
                    id.clone(),
                    LicenseRefText {
                        name: raw.to_owned(),
                        text: format!(
                            "{} {} declares the license `{raw}` in Cargo.toml, which is not an SPDX expression ({reason}).",
                            c.name, c.version
                        ),
                    },
                );
                c.license_declared_raw = Some(raw.to_owned());
                c.license = Some(id);
            }
        }
        return;
    }
    let Some(file) = c.license_file.clone() else {
        return;
    };
    let id = license_ref_id(&[&c.name, &file]);
    let pkg_root = pkg.manifest_path.parent();
    let text = pkg_root
        .and_then(|root| read_inside(root, &file))
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| {
            format!(
                "The license of {} {} is in the file `{file}` of its source, which could not be read.",
                c.name, c.version
            )
        });
    inventory.license_refs.insert(
        id.clone(),
        LicenseRefText {
            name: format!("{} {}", c.name, file),
            text,
        },
    );
    c.license = Some(id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_workspace() {
        let base = Path::new("/w/ws");
        assert_eq!(relative_path(base, Path::new("/w/ws")), ".");
        assert_eq!(relative_path(base, Path::new("/w/ws/a/b")), "a/b");
        assert_eq!(relative_path(base, Path::new("/w/other")), "../other");
    }

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://git.example.com/x.git"),
            Some("git.example.com")
        );
        assert_eq!(
            url_host("ssh://git@host.example:22/x"),
            Some("host.example")
        );
        assert_eq!(
            url_host("sparse+https://r.example/index/"),
            Some("r.example")
        );
        assert_eq!(url_host(""), None);
    }

    #[test]
    fn missing_manifest_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve_manifest(Some(dir.path())).unwrap_err();
        assert!(matches!(err, CargoError::NoManifest(p) if p.ends_with("Cargo.toml")));
    }
}
