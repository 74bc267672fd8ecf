//! `clearance init`: a starter policy, `clearance.toml`, for a workspace.
//!
//! When cargo-deny is configured for the workspace (`deny.toml`, `.deny.toml` or
//! `.cargo/deny.toml` in the manifest's directory or above it, found the way cargo-deny finds
//! it), its `[licenses]` section is translated, and comments say what could not be. Otherwise
//! the policy allows exactly the licenses the workspace's packages use, each on its own line
//! with its category and how many packages use it, so that the workspace passes.
//!
//! Reading policies stays in `policy`: a `deny.toml` is read by its parser, and the text made
//! here is checked by the same parser, then evaluated against the workspace, before anything
//! is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component as PathPart, Path, PathBuf};

use spdx::{LicenseItem, LicenseReq, Licensee};

use crate::cli::common::{CommandError, workspace_policy_path};
use clearance_core::inventory::cargo::{CargoOptions, collect_cargo_inventory};
use clearance_core::inventory::{Component, DepKind, Inventory};
use clearance_core::license::cache::Cache;
use clearance_core::license::scan::{Evidence, gather_evidence};
use clearance_core::output::{Destination, Existing, write_through_temporary};
use clearance_core::policy::eval::{matches_package, satisfies, sha256_pins};
use clearance_core::policy::file::{
    Clarification, ClarifiedFile, Exception, FileDigest, PackageSpec, load_cargo_deny,
};
use clearance_core::policy::toml_string;
use clearance_core::policy::{
    Category, Policy, Status, category_of, default_policy, evaluate, parse_policy,
};

/// The names cargo-deny looks for in each directory, in its order.
const DENY_FILES: [&str; 3] = ["deny.toml", ".deny.toml", ".cargo/deny.toml"];

/// Packages named in a comment, at most.
const NAMES_SHOWN: usize = 5;

/// The width comments are wrapped to.
const WIDTH: usize = 92;

/// Whether an existing policy file may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Fail, naming the file, and write nothing (the default).
    Refuse,
    /// Replace it (`--force`).
    Replace,
}

/// What `clearance init` needs.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// The workspace.
    pub cargo: CargoOptions,
    /// Where to write (`-o`); `clearance.toml` beside the manifest when `None`.
    pub output: Option<PathBuf>,
    /// Whether an existing file may be replaced.
    pub overwrite: Overwrite,
    /// Where license detection results are cached.
    pub cache: Cache,
    /// The day exceptions are checked against when the policy is tried.
    pub today: time::Date,
}

/// Where the policy's rules came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Translated from this cargo-deny configuration.
    CargoDeny(PathBuf),
    /// Made from the licenses the workspace uses.
    Workspace,
}

/// The policy made, not yet written.
#[derive(Debug)]
pub struct InitOutput {
    /// Where it goes.
    pub destination: Destination,
    /// Whether an existing file there may be replaced.
    pub overwrite: Overwrite,
    /// Where its rules came from.
    pub origin: Origin,
    /// The policy file's text.
    pub policy: String,
    /// How many of the workspace's packages have each status under it.
    pub tally: BTreeMap<Status, usize>,
}

impl InitOutput {
    /// Writes the policy atomically (or to standard output); an existing file is replaced
    /// only with [`Overwrite::Replace`].
    pub fn write(&self) -> Result<(), CommandError> {
        let Destination::File(path) = &self.destination else {
            return Destination::Stdout
                .write(self.policy.as_bytes())
                .map_err(|source| CommandError::Write {
                    path: PathBuf::from("standard output"),
                    source,
                });
        };
        let existing = match self.overwrite {
            Overwrite::Refuse => Existing::Keep,
            Overwrite::Replace => Existing::Replace,
        };
        write_through_temporary(path, self.policy.as_bytes(), existing).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                CommandError::PolicyExists(path.clone())
            } else {
                CommandError::Write {
                    path: path.clone(),
                    source,
                }
            }
        })
    }

    /// One line for people: what was written, from what, and how the workspace fares.
    pub fn summary(&self) -> String {
        let what = match &self.destination {
            Destination::File(p) => format!("wrote {}", p.display()),
            Destination::Stdout => "printed the policy".to_owned(),
        };
        let from = match &self.origin {
            Origin::CargoDeny(p) => format!("translated from {}", p.display()),
            Origin::Workspace => "from the licenses the workspace uses".to_owned(),
        };
        let count = |s: Status| self.tally.get(&s).copied().unwrap_or(0);
        let total: usize = self.tally.values().sum();
        let failed = count(Status::Failed);
        let verdict = if failed == 0 && total == 1 {
            "its 1 package passes under it".to_owned()
        } else if failed == 0 {
            format!("all {total} packages pass under it")
        } else {
            format!("{failed} of {total} packages fail under it (`clearance check` says why)")
        };
        format!("{what} ({from}): {verdict}")
    }
}

/// Makes the starter policy for the workspace of `request` and tries it on the workspace.
/// Refuses early, before any work, when the file exists and may not be replaced.
pub fn init(request: &InitRequest) -> Result<InitOutput, CommandError> {
    let destination = match &request.output {
        Some(path) => Destination::from_arg(Some(path)),
        None => Destination::File(workspace_policy_path(&request.cargo)),
    };
    if let Destination::File(path) = &destination
        && request.overwrite == Overwrite::Refuse
        && path.exists()
    {
        return Err(CommandError::PolicyExists(path.clone()));
    }
    let deny = find_deny_toml(&workspace_policy_path(&request.cargo));
    let deny_policy = deny.as_deref().map(load_cargo_deny).transpose()?;
    let inventory = collect_cargo_inventory(&request.cargo)?;
    let evidence = gather_evidence(&inventory, &request.cache);
    let min_confidence = deny_policy
        .as_ref()
        .map_or(default_policy().min_confidence, |p| p.min_confidence);
    let usage = Usage::of(&inventory, &evidence, min_confidence);
    let (draft, origin) = match (deny, deny_policy) {
        (Some(path), Some(policy)) => {
            let shown = relative_to(&path, &destination_dir(&destination, &request.cargo));
            let draft = translate(&policy, &shown, &inventory, &request.cargo);
            (draft, Origin::CargoDeny(shown))
        }
        _ => (from_usage(&usage, &request.cargo), Origin::Workspace),
    };
    let text = draft.render(&usage);
    let name = match &destination {
        Destination::File(p) => p.clone(),
        Destination::Stdout => PathBuf::from(crate::cli::common::POLICY_FILE),
    };
    let policy = parse_policy(&name, &text)?;
    let evaluation = evaluate(&policy, &inventory, Some(&evidence), request.today);
    let mut tally = BTreeMap::new();
    for verdict in evaluation.verdicts.values() {
        *tally.entry(verdict.status).or_insert(0) += 1;
    }
    Ok(InitOutput {
        destination,
        overwrite: request.overwrite,
        origin,
        policy: text,
        tally,
    })
}

/// cargo-deny's configuration for a workspace whose policy lives at `policy_path`: the first
/// of `deny.toml`, `.deny.toml`, `.cargo/deny.toml` in that directory or the nearest
/// ancestor that has one (cargo-deny's `default_config_path`).
fn find_deny_toml(policy_path: &Path) -> Option<PathBuf> {
    let start = directory_of(policy_path).canonicalize().ok()?;
    start
        .ancestors()
        .flat_map(|dir| DENY_FILES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The directory of a file path: its parent, or `.` for a bare file name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The directory relative paths in the policy are shown from, resolved: the policy's, or,
/// when it is printed, the one it would be written to.
fn destination_dir(destination: &Destination, cargo: &CargoOptions) -> PathBuf {
    let default = workspace_policy_path(cargo);
    let dir = match destination {
        Destination::File(p) => directory_of(p),
        Destination::Stdout => directory_of(&default),
    };
    dir.canonicalize().unwrap_or_else(|_| dir.to_owned())
}

/// `path` (absolute) as seen from the directory `from` (absolute): `deny.toml`,
/// `.cargo/deny.toml`, `../deny.toml`; `path` itself when the two share no directory.
fn relative_to(path: &Path, from: &Path) -> PathBuf {
    let path: Vec<PathPart<'_>> = path.components().collect();
    let from: Vec<PathPart<'_>> = from.components().collect();
    let common = path.iter().zip(&from).take_while(|(a, b)| a == b).count();
    if path[..common]
        .iter()
        .all(|p| matches!(p, PathPart::RootDir | PathPart::Prefix(_)))
    {
        return path.iter().collect();
    }
    std::iter::repeat_n(PathPart::ParentDir, from.len() - common)
        .chain(path[common..].iter().copied())
        .collect()
}

/// What the workspace's packages use: the license terms of each (its license as the policy
/// evaluates it, and what its license files were detected as), and the packages whose
/// license cannot be allowed by name (none declared, or not an SPDX expression).
struct Usage<'a> {
    terms: Vec<(&'a Component, BTreeSet<LicenseReq>)>,
    unknown: Vec<&'a Component>,
}

impl<'a> Usage<'a> {
    fn of(inventory: &'a Inventory, evidence: &Evidence, min_confidence: f32) -> Self {
        let mut usage = Usage {
            terms: Vec::new(),
            unknown: Vec::new(),
        };
        for c in inventory.components.values() {
            let files = evidence.packages.get(&c.id);
            let expression = match files {
                Some(f) => f.effective_license(c, min_confidence),
                None => c.license.clone(),
            };
            let Some(expr) = expression.and_then(|e| spdx::Expression::parse(&e).ok()) else {
                usage.unknown.push(c);
                continue;
            };
            let mut terms: BTreeSet<LicenseReq> =
                expr.requirements().map(|r| r.req.clone()).collect();
            let detected = files.map(|f| f.detected_ids(min_confidence));
            terms.extend(
                detected
                    .iter()
                    .flatten()
                    .filter_map(|id| Licensee::parse(id).ok())
                    .map(Licensee::into_req),
            );
            if terms.iter().all(|t| licensee_for(t).is_some()) {
                usage.terms.push((c, terms));
            } else {
                usage.unknown.push(c);
            }
        }
        usage
    }

    /// The packages with a term that `licensee` covers, by name.
    fn users(&self, licensee: &Licensee) -> Vec<&'a str> {
        self.terms
            .iter()
            .filter(|(_, terms)| terms.iter().any(|t| satisfies(licensee, t)))
            .map(|(c, _)| c.name.as_str())
            .collect()
    }
}

/// The allow entry that covers `term`: its license without any exception (an entry `ID`
/// covers `ID WITH anything`) and without `+` (a version allows later versions' terms).
fn licensee_for(term: &LicenseReq) -> Option<Licensee> {
    let text = match &term.license {
        LicenseItem::Spdx { id, .. } => id.name.to_owned(),
        LicenseItem::Other(r) => r.to_string(),
    };
    Licensee::parse(&text).ok()
}

fn category_of_licensee(licensee: &Licensee) -> Category {
    match &licensee.clone().into_req().license {
        LicenseItem::Spdx { id, .. } => category_of(id.name),
        LicenseItem::Other(_) => Category::Unknown,
    }
}

/// The policy to write, before it is rendered. Comments are paragraphs, wrapped when
/// rendered.
struct Draft {
    /// Comment paragraphs at the top.
    header: Vec<String>,
    /// Licenses allowed everywhere.
    allow: BTreeSet<String>,
    /// Licenses denied.
    deny: BTreeSet<String>,
    /// `unknown = "warn"` with why, or `"deny"` when `None`.
    unknown_warn: Option<Vec<String>>,
    /// `min-confidence`.
    min_confidence: f32,
    /// `[[exceptions]]`.
    exceptions: Vec<Block>,
    /// `[[clarify]]`.
    clarifications: Vec<Block>,
    /// Comment paragraphs at the end.
    notes: Vec<Vec<String>>,
}

/// An `[[exceptions]]` or `[[clarify]]` table: its comment and its `key = value` lines.
struct Block {
    comment: Vec<String>,
    lines: Vec<(&'static str, String)>,
}

impl Draft {
    fn render(&self, usage: &Usage<'_>) -> String {
        let mut out = String::new();
        for line in &self.header {
            push_comment(&mut out, line);
        }
        out.push_str("\n[licenses]\n");
        let allow: Vec<(String, String)> = self
            .allow
            .iter()
            .map(|entry| (toml_string(entry), allow_comment(entry, usage)))
            .collect();
        let width = allow.iter().map(|(q, _)| q.len() + 1).max().unwrap_or(0);
        out.push_str("allow = [\n");
        for (quoted, comment) in &allow {
            let _ = writeln!(out, "    {:<width$} # {comment}", format!("{quoted},"));
        }
        out.push_str("]\n");
        if !self.deny.is_empty() {
            let list: Vec<String> = self.deny.iter().map(|d| toml_string(d)).collect();
            let _ = writeln!(out, "deny = [{}]", list.join(", "));
        }
        match &self.unknown_warn {
            Some(why) => {
                for line in why {
                    push_comment(&mut out, line);
                }
                out.push_str("unknown = \"warn\"\n");
            }
            None => out.push_str("unknown = \"deny\"\n"),
        }
        let _ = writeln!(out, "min-confidence = {:?}", self.min_confidence);
        for (table, blocks) in [
            ("exceptions", &self.exceptions),
            ("clarify", &self.clarifications),
        ] {
            for block in blocks {
                out.push('\n');
                for line in &block.comment {
                    push_comment(&mut out, line);
                }
                let _ = writeln!(out, "[[{table}]]");
                for (key, value) in &block.lines {
                    let _ = writeln!(out, "{key} = {value}");
                }
            }
        }
        for note in &self.notes {
            out.push('\n');
            for line in note {
                push_comment(&mut out, line);
            }
        }
        out
    }
}

/// Writes `paragraph` as comment lines of at most [`WIDTH`] columns where its words allow;
/// a list item (`- …`) continues indented.
fn push_comment(out: &mut String, paragraph: &str) {
    let indent = if paragraph.starts_with("- ") {
        "  "
    } else {
        ""
    };
    let mut line = String::new();
    for word in paragraph.split_whitespace() {
        if !line.is_empty() && 2 + line.len() + 1 + word.len() > WIDTH {
            let _ = writeln!(out, "# {line}");
            line = indent.to_owned();
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.is_empty() {
        out.push_str("#\n");
    } else {
        let _ = writeln!(out, "# {line}");
    }
}

/// `category, N packages` for an allow entry, with the packages named when the category
/// asks for a review.
fn allow_comment(entry: &str, usage: &Usage<'_>) -> String {
    let Ok(licensee) = Licensee::parse(entry) else {
        return "not an SPDX license".to_owned();
    };
    let category = category_of_licensee(&licensee);
    let users = usage.users(&licensee);
    let count = match users.len() {
        0 => "no package uses it".to_owned(),
        1 => "1 package".to_owned(),
        n => format!("{n} packages"),
    };
    let reviewed = matches!(category, Category::Permissive | Category::PublicDomain);
    if reviewed || users.is_empty() {
        format!("{category}, {count}")
    } else {
        format!("{category}, {count}: {}", names(&users))
    }
}

/// Up to [`NAMES_SHOWN`] names, then how many more.
fn names(list: &[&str]) -> String {
    let shown = list
        .iter()
        .take(NAMES_SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    match list.len().saturating_sub(NAMES_SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn quoted_list<'s>(items: impl Iterator<Item = &'s str>) -> String {
    format!(
        "[{}]",
        items.map(toml_string).collect::<Vec<_>>().join(", ")
    )
}

/// Which dependency kinds the inventory followed, for the header.
fn graph_description(cargo: &CargoOptions) -> String {
    let mut kinds = vec!["normal"];
    kinds.extend(cargo.include.iter().map(|k| match k {
        DepKind::Build => "build",
        DepKind::Dev => "dev",
        DepKind::Normal => "normal",
    }));
    kinds.dedup();
    format!("{} dependencies", kinds.join(", "))
}

const FORMAT_LINE: &str =
    "Format: https://github.com/clearance-rs/clearance/blob/main/docs/policy.md";

/// A policy that allows exactly what the workspace uses.
fn from_usage(usage: &Usage<'_>, cargo: &CargoOptions) -> Draft {
    let allow: BTreeSet<String> = usage
        .terms
        .iter()
        .flat_map(|(_, terms)| terms.iter().filter_map(licensee_for))
        .map(|l| l.to_string())
        .collect();
    let header = vec![
        format!(
            "clearance's license policy for this workspace, made by `clearance init` from the \
             licenses its packages use ({}, {} packages): each is allowed by name, with its \
             category and how many packages use it. Review the list before committing it; to \
             allow whole categories instead, see allow-categories and deny-categories.",
            graph_description(cargo),
            usage.terms.len() + usage.unknown.len()
        ),
        FORMAT_LINE.to_owned(),
    ];
    let unknown_warn = (!usage.unknown.is_empty()).then(|| {
        let list: Vec<&str> = usage.unknown.iter().map(|c| c.name.as_str()).collect();
        vec![format!(
            "\"warn\", not \"deny\": no license can be read for {}. State it with a \
             [[clarify]] entry (`clearance check` prints one), then deny.",
            names(&list)
        )]
    });
    Draft {
        header,
        allow,
        deny: BTreeSet::new(),
        unknown_warn,
        min_confidence: default_policy().min_confidence,
        exceptions: Vec::new(),
        clarifications: Vec::new(),
        notes: Vec::new(),
    }
}

/// cargo-deny's `[licenses]` in clearance's format, with notes on what has no equivalent.
fn translate(policy: &Policy, shown: &Path, inventory: &Inventory, cargo: &CargoOptions) -> Draft {
    let deny_file = shown.display().to_string();
    let allow: BTreeSet<String> = policy.allow.iter().map(|a| a.value.to_string()).collect();
    let mut notes = Vec::new();
    let mut deny = BTreeSet::new();
    for d in &policy.deny {
        let text = d.value.to_string();
        if allow.contains(&text) {
            notes.push(vec![format!(
                "Not translated: `{text}` is both allowed and denied ({deny_file} line {}); \
                 clearance's format refuses that, so it is only allowed here.",
                d.line
            )]);
        } else {
            deny.insert(text);
        }
    }
    let mut untranslated = untranslated_settings(policy);
    if policy.ignore_private {
        let private: Vec<&str> = inventory
            .components
            .values()
            .filter(|c| c.private)
            .map(|c| c.name.as_str())
            .collect();
        let which = if private.is_empty() {
            "none is in this workspace's graph".to_owned()
        } else {
            format!("here: {}", names(&private))
        };
        untranslated.push(format!(
            "- `licenses.private.ignore = true`: clearance's format cannot skip packages; \
             unpublished packages are checked like any other ({which})."
        ));
    }
    if !untranslated.is_empty() {
        let mut note = vec![format!("Not translated from {deny_file}:")];
        note.extend(untranslated);
        notes.insert(0, note);
    }
    let mut clarifications = Vec::new();
    for cl in &policy.clarifications {
        let (blocks, note) = translate_clarification(cl, inventory, &deny_file);
        clarifications.extend(blocks);
        notes.extend(note);
    }
    Draft {
        header: vec![
            format!(
                "clearance's license policy, translated by `clearance init` from {deny_file} \
                 (cargo-deny's configuration). Only [licenses] is translated: cargo-deny's \
                 advisories, bans and sources checks have no counterpart in clearance. \
                 cargo-deny checks the build- and dev-dependencies of workspace members too: \
                 `clearance check --include build,dev` checks the same graph. The counts \
                 below are of {}.",
                graph_description(cargo)
            ),
            FORMAT_LINE.to_owned(),
        ],
        allow,
        deny,
        unknown_warn: None,
        min_confidence: policy.min_confidence,
        exceptions: policy
            .exceptions
            .iter()
            .map(|e| exception_block(e, &deny_file))
            .collect(),
        clarifications,
        notes,
    }
}

/// The settings without an equivalent, in file order, one list item per reason.
fn untranslated_settings(policy: &Policy) -> Vec<String> {
    let mut settings: Vec<(usize, &str)> = policy
        .untranslated
        .iter()
        .map(|e| (e.line, e.value.as_str()))
        .collect();
    settings.sort_unstable();
    let mut reasons: Vec<(&str, Vec<String>)> = Vec::new();
    for (line, key) in settings {
        let why = why_untranslated(key);
        let setting = format!("`{key}` (line {line})");
        match reasons.iter_mut().find(|(w, _)| *w == why) {
            Some((_, keys)) => keys.push(setting),
            None => reasons.push((why, vec![setting])),
        }
    }
    reasons
        .into_iter()
        .map(|(why, keys)| format!("- {}: {why}", keys.join(", ")))
        .collect()
}

/// Why a cargo-deny setting has no place in clearance's policy.
fn why_untranslated(key: &str) -> &'static str {
    let name = key.rsplit('.').next().unwrap_or(key);
    match name {
        "unlicensed" | "copyleft" | "allow-osi-fsf-free" | "default" => {
            "removed in cargo-deny 0.15; what is not allowed fails, as in cargo-deny since"
        }
        "unused-allowed-license" => {
            "clearance does not report allowed licenses that no package uses"
        }
        "include-dev" => "dependency kinds are chosen on the command line: --include dev",
        "registries" | "ignore-sources" => "clearance's format cannot skip packages",
        "targets"
        | "all-features"
        | "no-default-features"
        | "features"
        | "exclude"
        | "exclude-dev"
        | "exclude-unpublished" => {
            "the graph is chosen on the command line (--target, --features, --include, ...)"
        }
        _ => "clearance's format has no equivalent",
    }
}

fn package_name(spec: &PackageSpec) -> &str {
    match spec {
        PackageSpec::Name(n) | PackageSpec::Purl(n) => n,
    }
}

fn exception_block(e: &Exception, deny_file: &str) -> Block {
    let mut lines = vec![("package", toml_string(package_name(&e.package)))];
    if let Some(v) = &e.versions {
        lines.push(("versions", toml_string(&v.to_string())));
    }
    let allow: Vec<String> = e.allow.iter().map(ToString::to_string).collect();
    lines.push(("allow", quoted_list(allow.iter().map(String::as_str))));
    if let Some(r) = &e.reason {
        lines.push(("reason", toml_string(r)));
    }
    Block {
        comment: vec![format!("{deny_file} line {}", e.line)],
        lines,
    }
}

/// A cargo-deny clarification as `[[clarify]]` tables: its files' hashes are restated as
/// SHA-256 of the files the workspace's packages have, where those still match. What cannot
/// be restated (no package matches, or a file changed) is a note.
fn translate_clarification(
    cl: &Clarification,
    inventory: &Inventory,
    deny_file: &str,
) -> (Vec<Block>, Option<Vec<String>>) {
    let name = package_name(&cl.package);
    let origin = format!("{deny_file} line {}", cl.line);
    let block = |versions: Option<String>, files: &[ClarifiedFile], comment: String| {
        let mut lines = vec![("package", toml_string(name))];
        if let Some(v) = versions {
            lines.push(("versions", toml_string(&v)));
        }
        lines.push(("expression", toml_string(&cl.expression)));
        let files: Vec<String> = files
            .iter()
            .filter_map(|f| match &f.digest {
                FileDigest::Sha256(h) => Some(format!(
                    "{{ path = {}, sha256 = {} }}",
                    toml_string(&f.path),
                    toml_string(h)
                )),
                FileDigest::XxHash32(_) => None,
            })
            .collect();
        lines.push(("files", format!("[{}]", files.join(", "))));
        Block {
            comment: vec![comment],
            lines,
        }
    };
    let pinned_by_hash = cl
        .files
        .iter()
        .any(|f| matches!(f.digest, FileDigest::XxHash32(_)));
    if !pinned_by_hash {
        let versions = cl.versions.as_ref().map(ToString::to_string);
        return (vec![block(versions, &cl.files, origin)], None);
    }
    let matched: Vec<&Component> = inventory
        .components
        .values()
        .filter(|c| matches_package(&cl.package, cl.versions.as_ref(), c))
        .collect();
    if matched.is_empty() {
        let note = vec![format!(
            "Not translated: the clarification for {name} ({origin}) matches no package of \
             this workspace, so its files' hashes could not be restated as SHA-256. Write it \
             again when the package is added (`clearance check` prints the block)."
        )];
        return (Vec::new(), Some(note));
    }
    let mut pinned: Vec<(&Component, Vec<ClarifiedFile>)> = Vec::new();
    let mut stale: Vec<String> = Vec::new();
    for c in matched {
        match sha256_pins(cl, c) {
            Ok(files) => pinned.push((c, files)),
            Err(why) => stale.push(format!("- {} {}: {why}", c.name, c.version)),
        }
    }
    let comment = format!(
        "{origin}; files pinned by SHA-256 instead of cargo-deny's {}",
        hashes(cl)
    );
    if stale.is_empty() && pinned.windows(2).all(|w| w[0].1 == w[1].1) {
        let versions = cl.versions.as_ref().map(ToString::to_string);
        return (vec![block(versions, &pinned[0].1, comment)], None);
    }
    // One table per version that still matches; the others are a note.
    let blocks = pinned
        .iter()
        .map(|(c, files)| block(Some(format!("={}", c.version)), files, comment.clone()))
        .collect();
    let note = (!stale.is_empty()).then(|| {
        let mut note = vec![format!(
            "Not translated: the clarification for {name} ({origin}) no longer matches:"
        )];
        note.extend(stale);
        note.push(
            "Review the file, then state its license with a [[clarify]] entry (`clearance \
             check` prints one)."
                .to_owned(),
        );
        note
    });
    (blocks, note)
}

/// cargo-deny's hashes of a clarification's files, for a comment.
fn hashes(cl: &Clarification) -> String {
    let list: Vec<String> = cl
        .files
        .iter()
        .filter_map(|f| match f.digest {
            FileDigest::XxHash32(h) => Some(format!("{} hash {h:#010x}", f.path)),
            FileDigest::Sha256(_) => None,
        })
        .collect();
    list.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_and_descend() {
        assert_eq!(
            relative_to(Path::new("/w/ws/deny.toml"), Path::new("/w/ws")),
            PathBuf::from("deny.toml")
        );
        assert_eq!(
            relative_to(Path::new("/w/.cargo/deny.toml"), Path::new("/w/ws/app")),
            PathBuf::from("../../.cargo/deny.toml")
        );
        assert_eq!(
            relative_to(Path::new("/a/deny.toml"), Path::new("/b")),
            PathBuf::from("/a/deny.toml")
        );
    }

    #[test]
    fn strings_are_quoted_for_toml() {
        assert_eq!(toml_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(toml_string("x\u{7}"), "\"x\\u0007\"");
    }

    #[test]
    fn a_deny_toml_is_found_above_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let ws = root.join("ws/app");
        std::fs::create_dir_all(&ws).unwrap();
        assert_eq!(find_deny_toml(&ws.join("clearance.toml")), None);
        std::fs::create_dir_all(root.join("ws/.cargo")).unwrap();
        std::fs::write(root.join("ws/.cargo/deny.toml"), "").unwrap();
        assert_eq!(
            find_deny_toml(&ws.join("clearance.toml")),
            Some(root.join("ws/.cargo/deny.toml"))
        );
        std::fs::write(ws.join("deny.toml"), "").unwrap();
        assert_eq!(
            find_deny_toml(&ws.join("clearance.toml")),
            Some(ws.join("deny.toml"))
        );
    }

    #[test]
    fn settings_without_an_equivalent_are_explained() {
        assert!(why_untranslated("licenses.unlicensed").contains("removed"));
        assert!(why_untranslated("graph.targets").contains("--target"));
        assert!(why_untranslated("licenses.private.registries").contains("skip"));
    }
}
