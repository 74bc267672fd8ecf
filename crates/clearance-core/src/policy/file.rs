//! Policy files: clearance's own TOML format and cargo-deny's `deny.toml`, parsed with spans
//! and validated in one pass that gathers every problem (file, line, column, the line itself,
//! and a suggested fix) before failing once.
//!
//! The shape of the file decides how it is read: a `deny.toml` has cargo-deny's sections
//! (`[advisories]`, `[bans]`, `[sources]`, `[graph]`, `[output]`) or its license keys
//! (`confidence-threshold`, `private`, `exceptions`/`clarify` inside `[licenses]`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use spdx::Licensee;
use toml::de::{DeTable, DeValue};

use super::categories::Category;
use crate::diag::{Diagnostic, Location};

/// A value of the policy with the line it was written on (0 for built-in defaults).
#[derive(Debug, Clone)]
pub struct Entry<T> {
    /// The value.
    pub value: T,
    /// 1-based line in the policy file.
    pub line: usize,
}

/// What to do with components whose license is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownMode {
    /// An error finding (the default).
    Deny,
    /// A warning finding.
    Warn,
}

/// Which format the policy file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyFormat {
    /// clearance's own format.
    Clearance,
    /// cargo-deny's `deny.toml`, read for its `[licenses]` section.
    CargoDeny,
}

/// Which packages an exception or clarification is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageSpec {
    /// A package name (any ecosystem).
    Name(String),
    /// A package URL; its version, if any, must match too.
    Purl(String),
}

/// A per-package exception: more licenses allowed for these packages.
#[derive(Debug, Clone)]
pub struct Exception {
    /// The package.
    pub package: PackageSpec,
    /// Which versions (all when `None`).
    pub versions: Option<semver::VersionReq>,
    /// The licenses additionally allowed.
    pub allow: Vec<Licensee>,
    /// Why (an auditor's reference).
    pub reason: Option<String>,
    /// The last day the exception holds.
    pub expires: Option<time::Date>,
    /// Where it was written.
    pub line: usize,
}

/// How a clarified file is pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileDigest {
    /// SHA-256 of the file's bytes, lowercase hex (clearance's format).
    Sha256(String),
    /// cargo-deny's pin: XxHash32 (seed 0) of the text with line endings normalised to `\n`.
    XxHash32(u32),
}

/// A file a clarification depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClarifiedFile {
    /// The path relative to the package root.
    pub path: String,
    /// What its content must hash to.
    pub digest: FileDigest,
}

/// A clarification: the license of a package, stated by the policy, valid while the named
/// files are unchanged.
#[derive(Debug, Clone)]
pub struct Clarification {
    /// The package.
    pub package: PackageSpec,
    /// Which versions (all when `None`).
    pub versions: Option<semver::VersionReq>,
    /// The license to use instead of what the package declares.
    pub expression: String,
    /// The files whose content the clarification relies on.
    pub files: Vec<ClarifiedFile>,
    /// Where it was written.
    pub line: usize,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The file, as named on the command line (or the built-in default's name).
    pub path: PathBuf,
    /// Its format.
    pub format: PolicyFormat,
    /// Licenses allowed everywhere.
    pub allow: Vec<Entry<Licensee>>,
    /// Categories allowed everywhere.
    pub allow_categories: Vec<Entry<Category>>,
    /// Licenses denied loudly, even if an allow entry covers them.
    pub deny: Vec<Entry<Licensee>>,
    /// Categories denied loudly, even if an allow entry covers them.
    pub deny_categories: Vec<Entry<Category>>,
    /// What an unknown license is.
    pub unknown: Entry<UnknownMode>,
    /// The lowest confidence at which a license detected from text counts.
    pub min_confidence: f32,
    /// Per-package exceptions.
    pub exceptions: Vec<Exception>,
    /// Per-package clarifications.
    pub clarifications: Vec<Clarification>,
    /// Skip workspace packages that are not published (`publish = false`); cargo-deny's
    /// `private.ignore`.
    pub ignore_private: bool,
    /// The line of the `allow` list (or `[licenses]`): the rule behind "not allowed".
    pub allow_line: usize,
    /// Settings of a `deny.toml` that are read without effect, because clearance's policy has
    /// no equivalent (cargo-deny's graph options, removed keys, lint levels), as dotted keys
    /// such as `licenses.unlicensed` or `graph.targets`, with their lines.
    pub untranslated: Vec<Entry<String>>,
}

/// What can go wrong loading a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read the policy {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file has problems; every one is listed.
    #[error("{}\nerror: the policy {} has {} problem{}; fix them and run again", render(.diagnostics), .path, .diagnostics.len(), if .diagnostics.len() == 1 { "" } else { "s" })]
    Invalid {
        /// The file.
        path: String,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The built-in policy, used when none is given.
pub const DEFAULT_POLICY: &str = include_str!("../../../../policies/default.toml");

/// The name the built-in policy goes by in findings.
pub const DEFAULT_POLICY_NAME: &str = "policies/default.toml (built in)";

/// Reads and validates the policy at `path`.
pub fn load_policy(path: &Path) -> Result<Policy, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_policy(path, &text)
}

/// The built-in default policy.
pub fn default_policy() -> Policy {
    parse_policy(Path::new(DEFAULT_POLICY_NAME), DEFAULT_POLICY)
        .expect("the built-in policy is valid (a unit test checks)")
}

/// Reads and validates `path` as cargo-deny's `deny.toml`, whatever its shape.
pub fn load_cargo_deny(path: &Path) -> Result<Policy, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_as(path, &text, Some(PolicyFormat::CargoDeny))
}

/// Validates `text` (the content of `path`) as a policy, in the format its shape says.
pub fn parse_policy(path: &Path, text: &str) -> Result<Policy, PolicyError> {
    parse_as(path, text, None)
}

/// Validates `text` as a policy in `format`, or in the format its shape says.
fn parse_as(path: &Path, text: &str, format: Option<PolicyFormat>) -> Result<Policy, PolicyError> {
    let mut check = Check {
        path,
        text,
        diagnostics: Vec::new(),
    };
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            check.error(
                "policy-syntax",
                offset..offset,
                e.message().trim(),
                None,
                Some("fix the TOML syntax here".into()),
            );
            return Err(check.into_error());
        }
    };
    let table = root.get_ref();
    let format = format.unwrap_or(if is_cargo_deny(table) {
        PolicyFormat::CargoDeny
    } else {
        PolicyFormat::Clearance
    });
    let policy = if format == PolicyFormat::CargoDeny {
        check.cargo_deny(table)
    } else {
        check.clearance(table)
    };
    if check.diagnostics.is_empty() {
        Ok(policy)
    } else {
        check
            .diagnostics
            .sort_by_key(|d| d.location.as_ref().map(|l| (l.line, l.column)));
        Err(check.into_error())
    }
}

const DENY_SECTIONS: &[&str] = &["advisories", "bans", "sources", "graph", "output"];
/// Options that choose cargo-deny's dependency graph (at the root in older files, under
/// `[graph]` since 0.15); clearance takes them on the command line instead.
const DENY_GRAPH_KEYS: &[&str] = &[
    "targets",
    "all-features",
    "no-default-features",
    "features",
    "exclude",
    "exclude-dev",
    "exclude-unpublished",
];
const DENY_LICENSE_KEYS: &[&str] = &[
    "confidence-threshold",
    "private",
    "exceptions",
    "clarify",
    "unused-allowed-license",
    "version",
    "include-dev",
    "unlicensed",
    "copyleft",
    "allow-osi-fsf-free",
    "default",
];

fn is_cargo_deny(table: &DeTable<'_>) -> bool {
    table.keys().any(|k| DENY_SECTIONS.contains(&k.get_ref().as_ref()))
        || table.iter().any(|(k, v)| {
            k.get_ref() == "licenses"
                && matches!(v.get_ref(), DeValue::Table(t) if t.keys().any(|k| DENY_LICENSE_KEYS.contains(&k.get_ref().as_ref())))
        })
}

/// The validation pass: gathers diagnostics while building the policy.
struct Check<'a> {
    path: &'a Path,
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

type Value<'i> = toml::Spanned<DeValue<'i>>;

impl Check<'_> {
    fn into_error(self) -> PolicyError {
        PolicyError::Invalid {
            path: self.path.display().to_string(),
            diagnostics: self.diagnostics,
        }
    }

    fn line(&self, offset: usize) -> usize {
        Location::from_offset(self.path, self.text, offset).line
    }

    fn error(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: &str,
        label: Option<String>,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::error(code, message)
            .at(Location::from_offset(self.path, self.text, span.start));
        if let Some(l) = label {
            d = d.with_label(l);
        }
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.diagnostics.push(d);
    }

    fn unknown_keys(&mut self, table: &DeTable<'_>, known: &[&str], context: &str) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if !known.contains(&name) {
                let suggestion = closest(name, known.iter().copied());
                let label = suggestion.map(|s| format!("did you mean `{s}`?"));
                let help = match &label {
                    Some(l) => format!("{l} {context} takes: {}", known.join(", ")),
                    None => format!("{context} takes: {}", known.join(", ")),
                };
                self.error(
                    "policy-unknown-key",
                    key.span(),
                    &format!("unknown key `{name}` in {context}"),
                    label,
                    Some(help),
                );
            }
        }
    }

    fn type_error(&mut self, key: &str, value: &Value<'_>, expected: &str) {
        self.error(
            "policy-invalid-value",
            value.span(),
            &format!("`{key}` must be {expected}"),
            None,
            None,
        );
    }

    fn table<'v, 'i>(&mut self, key: &str, value: &'v Value<'i>) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.type_error(key, value, "a table");
                None
            }
        }
    }

    fn string<'v>(&mut self, key: &str, value: &'v Value<'_>) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            _ => {
                self.type_error(key, value, "a string");
                None
            }
        }
    }

    fn strings<'v>(&mut self, key: &str, value: &'v Value<'_>) -> Vec<(&'v str, Range<usize>)> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(key, value, "an array of strings");
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::String(s) => Some((s.as_ref(), item.span())),
                _ => {
                    self.type_error(key, item, "an array of strings");
                    None
                }
            })
            .collect()
    }

    fn tables<'v, 'i>(
        &mut self,
        key: &str,
        value: &'v Value<'i>,
    ) -> Vec<(&'v DeTable<'i>, Range<usize>)> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(key, value, "an array of tables");
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(t) => Some((t, item.span())),
                _ => {
                    self.type_error(key, item, "an array of tables");
                    None
                }
            })
            .collect()
    }

    /// A license (`MIT`, `Apache-2.0 WITH LLVM-exception`, `LicenseRef-X`) as an allow or deny
    /// entry, with the caret inside the string and the closest valid id suggested. In a
    /// `deny.toml`, a bare GNU id (`LGPL-3.0`) means both its `-only` and `-or-later` forms, as
    /// older cargo-deny read it.
    fn licensee(&mut self, s: &str, span: Range<usize>, format: PolicyFormat) -> Vec<Licensee> {
        if let Ok(l) = Licensee::parse(s) {
            return vec![l];
        }
        let gnu = bare_gnu_forms(s);
        if format == PolicyFormat::CargoDeny && !gnu.is_empty() {
            return gnu.iter().filter_map(|g| Licensee::parse(g).ok()).collect();
        }
        let err = Licensee::parse(s).expect_err("checked above");
        let inner = span.start + 1 + err.span.start;
        if [" AND ", " OR "].iter().any(|op| s.contains(op))
            || s.trim_end().ends_with(" AND")
            || s.trim_end().ends_with(" OR")
        {
            self.error(
                "policy-unknown-license",
                inner..inner,
                &format!("`{s}` is an expression, but allow and deny lists take single licenses"),
                None,
                Some("list each license as its own entry, e.g. [\"MIT\", \"Apache-2.0\"]".into()),
            );
            return Vec::new();
        }
        let suggestion = if gnu.is_empty() {
            suggest_license(s)
        } else {
            Some(gnu.join("` or `"))
        };
        let label = suggestion.as_ref().map(|s| format!("did you mean `{s}`?"));
        let help = match &suggestion {
            Some(s) => format!("use the SPDX identifier `{s}` (https://spdx.org/licenses/)"),
            None => "use an SPDX license identifier (https://spdx.org/licenses/) or a LicenseRef-"
                .to_owned(),
        };
        self.error(
            "policy-unknown-license",
            inner..inner,
            &format!("`{s}` is not an SPDX license identifier: {}", err.reason),
            label,
            Some(help),
        );
        Vec::new()
    }

    fn licensees(
        &mut self,
        key: &str,
        value: &Value<'_>,
        format: PolicyFormat,
    ) -> Vec<Entry<Licensee>> {
        self.strings(key, value)
            .into_iter()
            .flat_map(|(s, span)| {
                let line = self.line(span.start);
                self.licensee(s, span, format)
                    .into_iter()
                    .map(move |value| Entry { value, line })
            })
            .collect()
    }

    fn categories(&mut self, key: &str, value: &Value<'_>) -> Vec<Entry<Category>> {
        self.strings(key, value)
            .into_iter()
            .filter_map(|(s, span)| match s.parse::<Category>() {
                Ok(c) => Some(Entry {
                    value: c,
                    line: self.line(span.start),
                }),
                Err(()) => {
                    let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
                    let label =
                        closest(s, names.iter().copied()).map(|c| format!("did you mean `{c}`?"));
                    self.error(
                        "policy-unknown-category",
                        span.start + 1..span.end,
                        &format!("unknown license category `{s}`"),
                        label,
                        Some(format!("categories are: {}", names.join(", "))),
                    );
                    None
                }
            })
            .collect()
    }

    fn expression(&mut self, s: &str, span: Range<usize>) -> Option<String> {
        match spdx::Expression::parse(s) {
            Ok(_) => Some(s.to_owned()),
            Err(e) => {
                let inner = span.start + 1 + e.span.start;
                let help = match crate::license::normalise_declared(s) {
                    crate::license::NormalisedLicense::Expression(fixed) => {
                        format!("write it as `{fixed}`")
                    }
                    crate::license::NormalisedLicense::Invalid { .. } => {
                        "write a valid SPDX expression, e.g. `MIT OR Apache-2.0`".to_owned()
                    }
                };
                self.error(
                    "policy-invalid-expression",
                    inner..inner,
                    &format!("`{s}` is not a valid SPDX expression: {}", e.reason),
                    None,
                    Some(help),
                );
                None
            }
        }
    }

    fn version_req(&mut self, value: &Value<'_>) -> Option<semver::VersionReq> {
        let s = self.string("versions", value)?;
        match semver::VersionReq::parse(s) {
            Ok(r) => Some(r),
            Err(e) => {
                self.error(
                    "policy-invalid-version-req",
                    value.span().start + 1..value.span().end,
                    &format!("`{s}` is not a semver requirement: {e}"),
                    None,
                    Some("write a requirement such as \">=0.17, <0.18\" or \"=1.2.3\"".into()),
                );
                None
            }
        }
    }

    fn date(&mut self, value: &Value<'_>) -> Option<time::Date> {
        let (text, start) = match value.get_ref() {
            DeValue::String(s) => (s.to_string(), value.span().start + 1),
            DeValue::Datetime(d) => (d.to_string(), value.span().start),
            _ => {
                self.type_error("expires", value, "a date (YYYY-MM-DD)");
                return None;
            }
        };
        let format = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(&text, &format) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(
                    "policy-invalid-date",
                    start..start,
                    &format!("`{text}` is not a date: {e}"),
                    None,
                    Some(
                        "write the last day the exception holds as YYYY-MM-DD, e.g. \"2027-03-31\""
                            .into(),
                    ),
                );
                None
            }
        }
    }

    fn package_spec(&mut self, key: &str, value: &Value<'_>) -> Option<PackageSpec> {
        let s = self.string(key, value)?;
        if s.starts_with("pkg:") {
            if crate::inventory::purl::Purl::parse(s).is_none() {
                self.error(
                    "policy-invalid-value",
                    value.span(),
                    &format!("`{s}` is not a valid package URL"),
                    None,
                    Some(
                        "write a package name, or a purl such as \"pkg:cargo/ring@0.17.8\"".into(),
                    ),
                );
                return None;
            }
            return Some(PackageSpec::Purl(s.to_owned()));
        }
        if s.trim().is_empty() {
            self.type_error(key, value, "a package name or purl");
            return None;
        }
        Some(PackageSpec::Name(s.to_owned()))
    }

    fn missing(&mut self, span: Range<usize>, what: &str, key: &str, example: &str) {
        self.error(
            "policy-missing-key",
            span,
            &format!("{what} has no `{key}`"),
            None,
            Some(format!("add `{key} = {example}`")),
        );
    }

    // -----------------------------------------------------------------------------------
    // clearance's format

    fn clearance(&mut self, root: &DeTable<'_>) -> Policy {
        self.unknown_keys(root, &["licenses", "exceptions", "clarify"], "the policy");
        let mut policy = empty_policy(self.path, PolicyFormat::Clearance);
        for (key, value) in root.iter() {
            match key.get_ref().as_ref() {
                "licenses" => {
                    policy.allow_line = self.line(key.span().start);
                    if let Some(t) = self.table("licenses", value) {
                        self.licenses_table(t, &mut policy);
                    }
                }
                "exceptions" => {
                    for (t, span) in self.tables("exceptions", value) {
                        if let Some(e) = self.exception(t, span) {
                            policy.exceptions.push(e);
                        }
                    }
                }
                "clarify" => {
                    for (t, span) in self.tables("clarify", value) {
                        if let Some(c) = self.clarification(t, span) {
                            policy.clarifications.push(c);
                        }
                    }
                }
                _ => {}
            }
        }
        self.contradictions(&policy);
        policy
    }

    fn licenses_table(&mut self, t: &DeTable<'_>, policy: &mut Policy) {
        self.unknown_keys(
            t,
            &[
                "allow",
                "allow-categories",
                "deny",
                "deny-categories",
                "unknown",
                "min-confidence",
            ],
            "[licenses]",
        );
        for (key, value) in t.iter() {
            let line = self.line(key.span().start);
            match key.get_ref().as_ref() {
                "allow" => {
                    policy.allow_line = line;
                    policy.allow = self.licensees("allow", value, PolicyFormat::Clearance);
                }
                "allow-categories" => {
                    policy.allow_categories = self.categories("allow-categories", value)
                }
                "deny" => policy.deny = self.licensees("deny", value, PolicyFormat::Clearance),
                "deny-categories" => {
                    policy.deny_categories = self.categories("deny-categories", value)
                }
                "unknown" => {
                    if let Some(s) = self.string("unknown", value) {
                        match s {
                            "deny" => {
                                policy.unknown = Entry {
                                    value: UnknownMode::Deny,
                                    line,
                                }
                            }
                            "warn" => {
                                policy.unknown = Entry {
                                    value: UnknownMode::Warn,
                                    line,
                                }
                            }
                            other => self.error(
                                "policy-invalid-value",
                                value.span(),
                                &format!("`unknown` must be \"deny\" or \"warn\", not {other:?}"),
                                None,
                                None,
                            ),
                        }
                    }
                }
                "min-confidence" => {
                    if let Some(c) = self.confidence("min-confidence", value) {
                        policy.min_confidence = c;
                    }
                }
                _ => {}
            }
        }
    }

    fn confidence(&mut self, key: &str, value: &Value<'_>) -> Option<f32> {
        let v = match value.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f32>().ok(),
            DeValue::Integer(i) => i.as_str().parse::<f32>().ok(),
            _ => None,
        };
        match v {
            Some(v) if (0.0..=1.0).contains(&v) => Some(v),
            _ => {
                self.type_error(key, value, "a number from 0.0 to 1.0");
                None
            }
        }
    }

    fn exception(&mut self, t: &DeTable<'_>, span: Range<usize>) -> Option<Exception> {
        self.unknown_keys(
            t,
            &["package", "versions", "allow", "reason", "expires"],
            "an [[exceptions]] entry",
        );
        let (mut package, mut versions, mut allow, mut reason, mut expires) =
            (None, None, None, None, None);
        for (key, value) in t.iter() {
            match key.get_ref().as_ref() {
                "package" => package = self.package_spec("package", value),
                "versions" => versions = self.version_req(value),
                "allow" => {
                    allow = Some(
                        self.licensees("allow", value, PolicyFormat::Clearance)
                            .into_iter()
                            .map(|e| e.value)
                            .collect::<Vec<_>>(),
                    )
                }
                "reason" => reason = self.string("reason", value).map(str::to_owned),
                "expires" => expires = self.date(value),
                _ => {}
            }
        }
        if !t.contains_key("package") {
            self.missing(span.clone(), "this exception", "package", "\"crate-name\"");
        }
        if !t.contains_key("allow") {
            self.missing(span.clone(), "this exception", "allow", "[\"License-Id\"]");
        }
        Some(Exception {
            package: package?,
            versions,
            allow: allow?,
            reason,
            expires,
            line: self.line(span.start),
        })
    }

    fn clarification(&mut self, t: &DeTable<'_>, span: Range<usize>) -> Option<Clarification> {
        self.unknown_keys(
            t,
            &["package", "versions", "expression", "files"],
            "a [[clarify]] entry",
        );
        let (mut package, mut versions, mut expression, mut files) = (None, None, None, Vec::new());
        for (key, value) in t.iter() {
            match key.get_ref().as_ref() {
                "package" => package = self.package_spec("package", value),
                "versions" => versions = self.version_req(value),
                "expression" => {
                    expression = self
                        .string("expression", value)
                        .and_then(|s| self.expression(s, value.span()))
                }
                "files" => {
                    for (f, fspan) in self.tables("files", value) {
                        files.extend(self.clarified_file(f, fspan));
                    }
                }
                _ => {}
            }
        }
        for (key, example) in [
            ("package", "\"crate-name\""),
            ("expression", "\"MIT AND ISC\""),
            ("files", "[{ path = \"LICENSE\", sha256 = \"…\" }]"),
        ] {
            if !t.contains_key(key) {
                self.missing(span.clone(), "this clarification", key, example);
            }
        }
        Some(Clarification {
            package: package?,
            versions,
            expression: expression?,
            files,
            line: self.line(span.start),
        })
    }

    fn clarified_file(&mut self, t: &DeTable<'_>, span: Range<usize>) -> Option<ClarifiedFile> {
        self.unknown_keys(t, &["path", "sha256"], "a clarified file");
        let path = t
            .get("path")
            .and_then(|v| self.string("path", v))
            .map(str::to_owned);
        let digest = match t.get("sha256") {
            Some(v) => {
                let s = self.string("sha256", v)?;
                if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Some(FileDigest::Sha256(s.to_ascii_lowercase()))
                } else {
                    self.error("policy-invalid-sha256", v.span().start + 1..v.span().end, &format!("`{s}` is not a SHA-256 digest (64 hexadecimal digits)"), None, Some("`clearance check` prints a ready-to-paste [[clarify]] block with the current digest; or run `sha256sum FILE`".into()));
                    None
                }
            }
            None => {
                self.missing(
                    span.clone(),
                    "this clarified file",
                    "sha256",
                    "\"<64 hex digits>\"",
                );
                None
            }
        };
        if path.is_none() && !t.contains_key("path") {
            self.missing(span, "this clarified file", "path", "\"LICENSE\"");
        }
        Some(ClarifiedFile {
            path: path?,
            digest: digest?,
        })
    }

    fn contradictions(&mut self, policy: &Policy) {
        for d in &policy.deny {
            if let Some(a) = policy.allow.iter().find(|a| a.value == d.value) {
                let offset = line_offset(self.text, d.line);
                self.error(
                    "policy-contradiction",
                    offset..offset,
                    &format!("`{}` is both allowed (line {}) and denied", d.value, a.line),
                    None,
                    Some("remove it from one of the two lists".into()),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // cargo-deny's deny.toml

    fn cargo_deny(&mut self, root: &DeTable<'_>) -> Policy {
        let mut known: Vec<&str> = DENY_SECTIONS.to_vec();
        known.extend(["licenses", "feature-depth"]);
        known.extend(DENY_GRAPH_KEYS);
        self.unknown_keys(root, &known, "deny.toml");
        let mut policy = empty_policy(self.path, PolicyFormat::CargoDeny);
        for (key, value) in root.iter() {
            let name = key.get_ref().as_ref();
            if DENY_GRAPH_KEYS.contains(&name) {
                self.untranslated(&mut policy, name.to_owned(), key.span());
            } else if name == "graph"
                && let DeValue::Table(graph) = value.get_ref()
            {
                for k in graph.keys() {
                    self.untranslated(&mut policy, format!("graph.{}", k.get_ref()), k.span());
                }
            }
        }
        let Some((key, value)) = root.iter().find(|(k, _)| k.get_ref() == "licenses") else {
            return policy;
        };
        policy.allow_line = self.line(key.span().start);
        let Some(t) = self.table("licenses", value) else {
            return policy;
        };
        let mut keys = vec![
            "allow",
            "deny",
            "confidence-threshold",
            "exceptions",
            "clarify",
            "private",
        ];
        keys.extend(DENY_LICENSE_KEYS);
        self.unknown_keys(t, &keys, "[licenses] of deny.toml");
        for (key, value) in t.iter() {
            match key.get_ref().as_ref() {
                "allow" => {
                    policy.allow_line = self.line(key.span().start);
                    policy.allow = self.licensees("allow", value, PolicyFormat::CargoDeny);
                }
                "deny" => policy.deny = self.licensees("deny", value, PolicyFormat::CargoDeny),
                "confidence-threshold" => {
                    if let Some(c) = self.confidence("confidence-threshold", value) {
                        policy.min_confidence = c;
                    }
                }
                "exceptions" => {
                    for (e, span) in self.tables("exceptions", value) {
                        policy.exceptions.extend(self.deny_exception(e, span));
                    }
                }
                "clarify" => {
                    for (c, span) in self.tables("clarify", value) {
                        policy
                            .clarifications
                            .extend(self.deny_clarification(c, span));
                    }
                }
                "private" => {
                    if let Some(p) = self.table("private", value) {
                        policy.ignore_private = matches!(
                            p.get("ignore").map(|v| v.get_ref()),
                            Some(DeValue::Boolean(true))
                        );
                        for k in p.keys().filter(|k| k.get_ref() != "ignore") {
                            let name = format!("licenses.private.{}", k.get_ref());
                            self.untranslated(&mut policy, name, k.span());
                        }
                    }
                }
                // A format marker (`version = 2`): nothing to translate.
                "version" => {}
                other => {
                    self.untranslated(&mut policy, format!("licenses.{other}"), key.span());
                }
            }
        }
        policy
    }

    fn untranslated(&self, policy: &mut Policy, key: String, span: Range<usize>) {
        policy.untranslated.push(Entry {
            value: key,
            line: self.line(span.start),
        });
    }

    fn deny_crate(
        &mut self,
        t: &DeTable<'_>,
        span: Range<usize>,
    ) -> Option<(PackageSpec, Option<semver::VersionReq>)> {
        let Some(value) = t.get("crate").or_else(|| t.get("name")) else {
            self.missing(span, "this entry", "crate", "\"crate-name\"");
            return None;
        };
        let spec = self.string("crate", value)?;
        // cargo-deny accepts `name@version` and `name:version` in `crate`.
        let (name, inline_version) = match spec.split_once(['@', ':']) {
            Some((n, v)) => (n, Some(v)),
            None => (spec, None),
        };
        let version = match (t.get("version"), inline_version) {
            (Some(v), _) => self.version_req(v),
            (None, Some(v)) => semver::VersionReq::parse(&format!("={v}")).ok(),
            (None, None) => None,
        };
        Some((PackageSpec::Name(name.to_owned()), version))
    }

    fn deny_exception(&mut self, t: &DeTable<'_>, span: Range<usize>) -> Option<Exception> {
        self.unknown_keys(
            t,
            &["allow", "crate", "name", "version", "reason"],
            "an exception of deny.toml",
        );
        let (package, versions) = self.deny_crate(t, span.clone())?;
        let allow = match t.get("allow") {
            Some(v) => self
                .licensees("allow", v, PolicyFormat::CargoDeny)
                .into_iter()
                .map(|e| e.value)
                .collect(),
            None => {
                self.missing(span.clone(), "this exception", "allow", "[\"License-Id\"]");
                return None;
            }
        };
        let reason = t
            .get("reason")
            .and_then(|v| self.string("reason", v))
            .map(str::to_owned);
        Some(Exception {
            package,
            versions,
            allow,
            reason,
            expires: None,
            line: self.line(span.start),
        })
    }

    fn deny_clarification(&mut self, t: &DeTable<'_>, span: Range<usize>) -> Option<Clarification> {
        self.unknown_keys(
            t,
            &["crate", "name", "version", "expression", "license-files"],
            "a clarification of deny.toml",
        );
        let (package, versions) = self.deny_crate(t, span.clone())?;
        let expression = match t.get("expression") {
            Some(v) => self
                .string("expression", v)
                .and_then(|s| self.expression(s, v.span()))?,
            None => {
                self.missing(span, "this clarification", "expression", "\"MIT AND ISC\"");
                return None;
            }
        };
        let mut files = Vec::new();
        if let Some(v) = t.get("license-files") {
            for (f, _) in self.tables("license-files", v) {
                let path = f
                    .get("path")
                    .and_then(|p| self.string("path", p))
                    .map(str::to_owned);
                let hash = f.get("hash").and_then(|h| match h.get_ref() {
                    DeValue::Integer(i) => i64::from_str_radix(
                        i.as_str()
                            .trim_start_matches("0x")
                            .replace('_', "")
                            .as_str(),
                        i.radix(),
                    )
                    .ok()
                    .and_then(|n| u32::try_from(n).ok()),
                    _ => None,
                });
                match (path, hash) {
                    (Some(path), Some(h)) => files.push(ClarifiedFile {
                        path,
                        digest: FileDigest::XxHash32(h),
                    }),
                    _ => self.error(
                        "policy-invalid-value",
                        span_of(f),
                        "a license file needs `path` and a 32-bit `hash`",
                        None,
                        Some("write { path = \"LICENSE\", hash = 0x001c7e6c }".into()),
                    ),
                }
            }
        }
        Some(Clarification {
            package,
            versions,
            expression,
            files,
            line: self.line(span.start),
        })
    }
}

fn span_of(t: &DeTable<'_>) -> Range<usize> {
    t.keys().next().map_or(0..0, |k| k.span())
}

fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

fn empty_policy(path: &Path, format: PolicyFormat) -> Policy {
    Policy {
        path: path.to_owned(),
        format,
        allow: Vec::new(),
        allow_categories: Vec::new(),
        deny: Vec::new(),
        deny_categories: Vec::new(),
        unknown: Entry {
            value: UnknownMode::Deny,
            line: 0,
        },
        min_confidence: 0.9,
        exceptions: Vec::new(),
        clarifications: Vec::new(),
        ignore_private: false,
        allow_line: 0,
        untranslated: Vec::new(),
    }
}

/// `LGPL-3.0` → `LGPL-3.0-only`, `LGPL-3.0-or-later`; nothing for anything else.
fn bare_gnu_forms(s: &str) -> Vec<String> {
    match spdx::license_id(s) {
        Some(id)
            if id.is_gnu()
                && id.name == s
                && !s.ends_with("-only")
                && !s.ends_with("-or-later") =>
        {
            [format!("{s}-only"), format!("{s}-or-later")]
                .into_iter()
                .filter(|f| spdx::license_id(f).is_some())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The closest valid form of an unknown license name: lenient parsing first (`Apache 2` →
/// `Apache-2.0`), then the nearest SPDX identifier by edit distance.
fn suggest_license(s: &str) -> Option<String> {
    if let Ok(l) = Licensee::parse_mode(s, spdx::ParseMode::LAX) {
        let fixed = l.to_string();
        if fixed != s {
            return Some(fixed);
        }
    }
    closest(
        s,
        spdx::identifiers::LICENSES
            .iter()
            .map(|l| l.name)
            .filter(|n| spdx::license_id(n).is_some_and(|id| !id.is_deprecated())),
    )
    .map(str::to_owned)
}

/// The candidate nearest to `word` by edit distance (case-insensitive), if it is near enough
/// to be a plausible typo.
fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<Diagnostic> {
        match parse_policy(Path::new("p.toml"), text) {
            Ok(_) => Vec::new(),
            Err(PolicyError::Invalid { diagnostics, .. }) => diagnostics,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_built_in_policy_is_valid() {
        let p = default_policy();
        assert_eq!(p.format, PolicyFormat::Clearance);
        assert!(!p.allow_categories.is_empty());
    }

    #[test]
    fn an_unknown_license_points_inside_the_string_and_suggests_the_id() {
        let e = errors("[licenses]\nallow = [\n    \"Apache2\",\n]\n");
        assert_eq!(e.len(), 1);
        let loc = e[0].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (3, 6));
        assert_eq!(e[0].code, "policy-unknown-license");
        assert_eq!(e[0].label.as_deref(), Some("did you mean `Apache-2.0`?"));
    }

    #[test]
    fn an_unknown_key_suggests_the_closest() {
        let e = errors("[licenses]\nalow = [\"MIT\"]\n");
        assert_eq!(e[0].code, "policy-unknown-key");
        assert_eq!(e[0].label.as_deref(), Some("did you mean `allow`?"));
        assert_eq!(e[0].location.as_ref().unwrap().line, 2);
    }

    #[test]
    fn every_problem_is_reported() {
        let e = errors(
            "[licenses]\nallow = [\"MTI\"]\nunknown = \"maybe\"\n[[exceptions]]\npackage = \"x\"\nallow = [\"MIT\"]\nexpires = \"2027-13-45\"\nversions = \">=1.x.0\"\n",
        );
        let codes: Vec<&str> = e.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                "policy-unknown-license",
                "policy-invalid-value",
                "policy-invalid-date",
                "policy-invalid-version-req"
            ]
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = errors("[licenses]\nallow = [\"MIT\"\n");
        assert_eq!(e[0].code, "policy-syntax");
        assert!(e[0].location.as_ref().unwrap().line >= 2);
    }

    #[test]
    fn a_deny_toml_is_recognised_and_translated() {
        let text = "[graph]\nall-features = true\n[licenses]\nallow = [\"MIT\", \"Apache-2.0\"]\nconfidence-threshold = 0.8\nexceptions = [{ allow = [\"Zlib\"], crate = \"adler32\" }]\nclarify = [{ crate = \"ring\", expression = \"MIT AND ISC AND OpenSSL\", license-files = [{ path = \"LICENSE\", hash = 0xbd0eed23 }] }]\nprivate = { ignore = true }\n[bans]\nmultiple-versions = \"warn\"\n";
        let p = parse_policy(Path::new("deny.toml"), text).unwrap();
        assert_eq!(p.format, PolicyFormat::CargoDeny);
        assert_eq!(p.allow.len(), 2);
        assert!((p.min_confidence - 0.8).abs() < 1e-6);
        assert_eq!(p.exceptions[0].package, PackageSpec::Name("adler32".into()));
        assert_eq!(
            p.clarifications[0].files[0].digest,
            FileDigest::XxHash32(0xbd0e_ed23)
        );
        assert!(p.ignore_private);
        let untranslated: Vec<(&str, usize)> = p
            .untranslated
            .iter()
            .map(|e| (e.value.as_str(), e.line))
            .collect();
        assert_eq!(untranslated, [("graph.all-features", 2)]);
    }

    #[test]
    fn settings_of_a_deny_toml_without_an_equivalent_are_recorded_with_their_lines() {
        let text = "targets = []\n[licenses]\nversion = 2\nunlicensed = \"deny\"\nallow = [\"MIT\"]\nprivate = { ignore = true, registries = [\"corp\"] }\n";
        let p = parse_policy(Path::new("deny.toml"), text).unwrap();
        let mut untranslated: Vec<(&str, usize)> = p
            .untranslated
            .iter()
            .map(|e| (e.value.as_str(), e.line))
            .collect();
        untranslated.sort_unstable();
        assert_eq!(
            untranslated,
            [
                ("licenses.private.registries", 6),
                ("licenses.unlicensed", 4),
                ("targets", 1)
            ]
        );
    }

    #[test]
    fn a_file_named_as_cargo_denys_is_read_as_one_whatever_its_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deny.toml");
        std::fs::write(&path, "[licenses]\nallow = [\"LGPL-3.0\"]\n").unwrap();
        assert!(
            load_policy(&path).is_err(),
            "a bare GNU id is an error in clearance's format"
        );
        let p = load_cargo_deny(&path).unwrap();
        assert_eq!(p.format, PolicyFormat::CargoDeny);
        assert_eq!(p.allow.len(), 2, "LGPL-3.0-only and LGPL-3.0-or-later");
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            closest("alow", ["allow", "deny"].into_iter()),
            Some("allow")
        );
        assert_eq!(closest("zzzzzz", ["allow", "deny"].into_iter()), None);
    }
}
