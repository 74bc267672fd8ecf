//! Evaluating an inventory against a policy: one verdict per component and a list of
//! findings, each with a stable code, a severity, the component, the expression, and the
//! policy rule (file:line) that decided it.
//!
//! For each component, in order:
//! 1. a clarification for it applies if every file it pins still has the pinned digest; a
//!    changed or missing file makes it stale (a finding) and the declared license is used;
//! 2. no license at all is `license-unknown`;
//! 3. the expression is evaluated exactly (`AND`, `OR`, `WITH`, `+`) with the `spdx` crate: a
//!    term is allowed by a live exception for the package, else refused by `deny` or
//!    `deny-categories` (which catch an allow list that is too broad), else allowed by
//!    `allow` or `allow-categories`, else not allowed. A term `X WITH E` is allowed when `X`
//!    is, since an exception only adds permissions; `X-or-later` (or `X+`) is allowed when
//!    any version from `X` on is;
//! 4. a failure is `license-denied` if a refused term is to blame, `license-unknown` if only
//!    terms of unknown category (`LicenseRef-`s, unlisted ids) are, else
//!    `license-not-allowed`.
//!
//! Expired exceptions are findings of their own and grant nothing; exceptions that matched
//! no component are warnings.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use spdx::{LicenseItem, LicenseReq, Licensee};

use super::categories::{Category, category_of};
use super::file::{
    Clarification, ClarifiedFile, Exception, FileDigest, PackageSpec, Policy, UnknownMode,
};
use crate::diag::Severity;
use crate::inventory::{Component, ComponentId, Inventory};
use crate::license::files::{ReadError, read_inside, read_package_file};
use crate::license::scan::Evidence;
use crate::license::scan::PackageEvidence;

/// The stable codes of findings. Each is documented in `docs/findings.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// A license term is refused by `deny` or `deny-categories`.
    LicenseDenied,
    /// A license term is in no allow list (and not refused explicitly).
    LicenseNotAllowed,
    /// The license is unknown: none declared, `NOASSERTION`, or a `LicenseRef-`/unclassified id
    /// not allowed.
    LicenseUnknown,
    /// An exception's `expires` date has passed.
    ExceptionExpired,
    /// An exception matched no component, or allowed nothing that needed it.
    ExceptionUnused,
    /// A clarification's pinned file changed or is missing.
    ClarificationStale,
    /// The package's license files name a license its declaration does not.
    LicenseMismatch,
    /// The package's `license-file` points outside the package and was not read.
    LicenseFileOutside,
    /// A license or NOTICE file of the package was found but not read: it is not a regular
    /// file, or it is larger than the cap.
    LicenseFileSkipped,
}

impl Code {
    /// Every code.
    pub const ALL: [Code; 9] = [
        Code::LicenseDenied,
        Code::LicenseNotAllowed,
        Code::LicenseUnknown,
        Code::ExceptionExpired,
        Code::ExceptionUnused,
        Code::ClarificationStale,
        Code::LicenseMismatch,
        Code::LicenseFileOutside,
        Code::LicenseFileSkipped,
    ];

    /// The kebab-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::LicenseDenied => "license-denied",
            Code::LicenseNotAllowed => "license-not-allowed",
            Code::LicenseUnknown => "license-unknown",
            Code::ExceptionExpired => "exception-expired",
            Code::ExceptionUnused => "exception-unused",
            Code::ClarificationStale => "clarification-stale",
            Code::LicenseMismatch => "license-mismatch",
            Code::LicenseFileOutside => "license-file-outside",
            Code::LicenseFileSkipped => "license-file-skipped",
        }
    }

    /// One line saying what the code means (SARIF rule text, reports).
    pub fn description(self) -> &'static str {
        match self {
            Code::LicenseDenied => {
                "A license is denied by the policy's deny list or denied categories."
            }
            Code::LicenseNotAllowed => {
                "A license is not in the policy's allow list or allowed categories."
            }
            Code::LicenseUnknown => {
                "The license is unknown: none declared, NOASSERTION, or a LicenseRef or unclassified id the policy does not allow."
            }
            Code::ExceptionExpired => {
                "A policy exception has passed its expiry date and no longer applies."
            }
            Code::ExceptionUnused => {
                "A policy exception matches no component, or allows nothing that needed an exception."
            }
            Code::ClarificationStale => {
                "A clarified license file changed since the clarification was written, so the clarification no longer applies."
            }
            Code::LicenseMismatch => {
                "The package's license files name a license that its declared license does not."
            }
            Code::LicenseFileOutside => {
                "The package's license-file points outside the package and was not read."
            }
            Code::LicenseFileSkipped => {
                "A license or NOTICE file of the package was not read: it is not a regular file, it is larger than 8 MiB, or it could not be opened."
            }
        }
    }

    /// What to do about it (SARIF help text).
    pub fn help(self) -> &'static str {
        match self {
            Code::LicenseDenied => {
                "Remove or replace the dependency, or, after legal review, add an [[exceptions]] entry with a reason and an expiry date."
            }
            Code::LicenseNotAllowed => {
                "If the license is acceptable, add it to [licenses] allow (or its category to allow-categories); otherwise replace the dependency or add a reviewed [[exceptions]] entry."
            }
            Code::LicenseUnknown => {
                "Find the package's real license and state it with a [[clarify]] entry pinned to its license file, or allow the LicenseRef explicitly after review."
            }
            Code::ExceptionExpired => {
                "Review the exception again: renew its expires date, or remove the exception and the dependency."
            }
            Code::ExceptionUnused => {
                "Remove the exception, or correct its package name or versions."
            }
            Code::ClarificationStale => {
                "Read the changed license file, then update the clarification's expression and digest (clearance check prints a ready-to-paste block)."
            }
            Code::LicenseMismatch => {
                "Read the license files: if the declaration is wrong, state the real license with a [[clarify]] entry pinned to the file; if the file covers bundled third-party code, review that license too."
            }
            Code::LicenseFileOutside => {
                "Report it to the package's maintainers, and state the license with a [[clarify]] entry after reviewing the package."
            }
            Code::LicenseFileSkipped => {
                "Look at the file in the package's source: a license text is a small regular file. Report it to the package's maintainers; its license and notices are not in clearance's evidence or NOTICE output until then."
            }
        }
    }
}

/// Where in a policy a decision came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RuleRef {
    /// The policy file.
    pub file: String,
    /// 1-based line (0 for a built-in default).
    pub line: usize,
    /// What the rule is, e.g. `deny-categories = strong-copyleft`.
    pub rule: String,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// Error (fails the check) or warning.
    #[serde(serialize_with = "severity_name")]
    pub severity: Severity,
    /// The component, by id.
    pub component: ComponentId,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The license expression evaluated, if any.
    pub expression: Option<String>,
    /// The license terms to blame (empty when the finding is not about a term).
    pub licenses: Vec<String>,
    /// One sentence for people.
    pub message: String,
    /// The policy rule that decided it.
    pub rule: Option<RuleRef>,
    /// A ready-to-paste fix, when there is one (e.g. a `[[clarify]]` block).
    pub suggestion: Option<String>,
}

fn severity_name<S: serde::Serializer>(s: &Severity, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(&s.to_string())
}

/// How a component fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Its license is allowed.
    Allowed,
    /// It has an error finding.
    Failed,
    /// It has only warnings.
    Warned,
    /// The policy skips it (`private.ignore`).
    Skipped,
}

/// The outcome for one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Allowed, failed, warned or skipped.
    pub status: Status,
    /// The expression evaluated (the clarified one when a clarification applied).
    pub expression: Option<String>,
    /// The categories of its license terms.
    pub categories: BTreeSet<Category>,
    /// The line of the clarification used, if one was.
    pub clarified_by: Option<usize>,
    /// The lines of the exceptions that allowed a term.
    pub exceptions_used: Vec<usize>,
}

/// Everything an evaluation produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// Per component.
    pub verdicts: BTreeMap<ComponentId, Verdict>,
    /// Every finding, sorted by component, then code.
    pub findings: Vec<Finding>,
}

impl Evaluation {
    /// True when some finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Evaluates every component of `inventory` against `policy` on `today` (for expiries), with
/// the license `evidence` of their sources when there is some.
pub fn evaluate(
    policy: &Policy,
    inventory: &Inventory,
    evidence: Option<&Evidence>,
    today: time::Date,
) -> Evaluation {
    let mut eval = Evaluation::default();
    let mut used: BTreeSet<usize> = BTreeSet::new();
    let mut matched: BTreeSet<usize> = BTreeSet::new();
    let (live, expired): (Vec<&Exception>, Vec<&Exception>) = policy
        .exceptions
        .iter()
        .partition(|e| e.expires.is_none_or(|d| d >= today));
    for c in inventory.components.values() {
        if policy.ignore_private && c.private {
            eval.verdicts.insert(
                c.id.clone(),
                Verdict {
                    status: Status::Skipped,
                    expression: c.license.clone(),
                    categories: BTreeSet::new(),
                    clarified_by: None,
                    exceptions_used: Vec::new(),
                },
            );
            continue;
        }
        let exceptions: Vec<&Exception> = live
            .iter()
            .copied()
            .filter(|e| matches_package(&e.package, e.versions.as_ref(), c))
            .collect();
        matched.extend(exceptions.iter().map(|e| e.line));
        let mut findings = Vec::new();
        let files = evidence.and_then(|e| e.packages.get(&c.id));
        let (expression, clarified_by) = clarified_expression(policy, c, files, &mut findings);
        if let Some(files) = files {
            skipped_file_findings(c, files, &mut findings);
        }
        if clarified_by.is_none()
            && let Some(files) = files
        {
            file_findings(policy, c, files, &exceptions, &mut findings);
        }
        let mut verdict = judge(policy, c, expression.as_deref(), &exceptions, &mut findings);
        verdict.clarified_by = clarified_by;
        used.extend(verdict.exceptions_used.iter().copied());
        for e in &expired {
            if matches_package(&e.package, e.versions.as_ref(), c) {
                findings.push(finding(
                    Code::ExceptionExpired,
                    Severity::Error,
                    c,
                    expression.as_deref(),
                    Vec::new(),
                    format!(
                        "the exception for {} expired on {}",
                        spec_name(&e.package),
                        e.expires.map(|d| d.to_string()).unwrap_or_default()
                    ),
                    rule(
                        policy,
                        e.line,
                        format!(
                            "[[exceptions]] {}{}",
                            spec_name(&e.package),
                            e.reason
                                .as_deref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        ),
                    ),
                    None,
                ));
                used.insert(e.line);
            }
        }
        verdict.status = if findings.iter().any(|f| f.severity == Severity::Error) {
            Status::Failed
        } else if findings.is_empty() {
            Status::Allowed
        } else {
            Status::Warned
        };
        eval.verdicts.insert(c.id.clone(), verdict);
        eval.findings.extend(findings);
    }
    for e in policy.exceptions.iter().filter(|e| !used.contains(&e.line)) {
        let name = spec_name(&e.package);
        let anchor = Component::new(ComponentId(format!("policy:{name}")), name, "");
        let message = if matched.contains(&e.line) {
            format!(
                "the exception for {name} was not needed: no license it allows had to be excepted"
            )
        } else {
            format!("the exception for {name} matches no component")
        };
        eval.findings.push(finding(
            Code::ExceptionUnused,
            Severity::Warning,
            &anchor,
            None,
            Vec::new(),
            message,
            rule(policy, e.line, format!("[[exceptions]] {name}")),
            None,
        ));
    }
    eval.findings.sort_by(|a, b| {
        (&a.component, a.code, &a.licenses).cmp(&(&b.component, b.code, &b.licenses))
    });
    eval
}

fn spec_name(spec: &PackageSpec) -> &str {
    match spec {
        PackageSpec::Name(n) | PackageSpec::Purl(n) => n,
    }
}

/// True when `spec` (and `versions`) name component `c`.
pub fn matches_package(
    spec: &PackageSpec,
    versions: Option<&semver::VersionReq>,
    c: &Component,
) -> bool {
    let named = match spec {
        PackageSpec::Name(n) => n == &c.name,
        PackageSpec::Purl(p) => match (
            crate::inventory::purl::Purl::parse(p),
            c.purl
                .as_deref()
                .and_then(crate::inventory::purl::Purl::parse),
        ) {
            (Some(want), Some(have)) => {
                want.ty == have.ty
                    && want.namespace == have.namespace
                    && want.name == have.name
                    && want
                        .version
                        .as_ref()
                        .is_none_or(|v| have.version.as_ref() == Some(v))
            }
            _ => false,
        },
    };
    named
        && versions
            .is_none_or(|req| semver::Version::parse(&c.version).is_ok_and(|v| req.matches(&v)))
}

fn rule(policy: &Policy, line: usize, rule: String) -> Option<RuleRef> {
    Some(RuleRef {
        file: policy.path.display().to_string(),
        line,
        rule,
    })
}

#[allow(clippy::too_many_arguments)]
fn finding(
    code: Code,
    severity: Severity,
    c: &Component,
    expression: Option<&str>,
    licenses: Vec<String>,
    message: String,
    rule: Option<RuleRef>,
    suggestion: Option<String>,
) -> Finding {
    Finding {
        code,
        severity,
        component: c.id.clone(),
        name: c.name.clone(),
        version: c.version.clone(),
        expression: expression.map(str::to_owned),
        licenses,
        message,
        rule,
        suggestion,
    }
}

/// The expression to evaluate: a live clarification's, else the declared one (for a crate
/// that only names a license file, what its text was detected as).
fn clarified_expression(
    policy: &Policy,
    c: &Component,
    files: Option<&PackageEvidence>,
    findings: &mut Vec<Finding>,
) -> (Option<String>, Option<usize>) {
    for cl in policy
        .clarifications
        .iter()
        .filter(|cl| matches_package(&cl.package, cl.versions.as_ref(), c))
    {
        match stale_file(cl, c) {
            None => return (Some(cl.expression.clone()), Some(cl.line)),
            Some((path, why)) => findings.push(finding(
                Code::ClarificationStale,
                Severity::Error,
                c,
                c.license.as_deref(),
                Vec::new(),
                format!(
                    "the clarification for {} no longer applies: {path} {why}",
                    c.name
                ),
                rule(
                    policy,
                    cl.line,
                    format!("[[clarify]] {} = {}", c.name, cl.expression),
                ),
                clarify_block(c, Some(&cl.expression), &path),
            )),
        }
    }
    match files {
        Some(f) => (f.effective_license(c, policy.min_confidence), None),
        None => (c.license.clone(), None),
    }
}

/// What the package's files say against what it declares: a refused `license-file`, and
/// detected licenses the declaration does not name (an error when the policy would refuse
/// such a license, else a warning).
fn file_findings(
    policy: &Policy,
    c: &Component,
    files: &PackageEvidence,
    exceptions: &[&Exception],
    findings: &mut Vec<Finding>,
) {
    if let Some(reason) = &files.refused {
        findings.push(finding(
            Code::LicenseFileOutside,
            Severity::Error,
            c,
            c.license.as_deref(),
            Vec::new(),
            format!("{} {}: {reason}", c.name, c.version),
            None,
            None,
        ));
    }
    let Some(declared) = c
        .license
        .as_deref()
        .filter(|l| !l.starts_with("LicenseRef-"))
    else {
        return;
    };
    let declared_ids: Vec<String> = spdx::Expression::parse(declared)
        .map(|e| {
            e.requirements()
                .filter_map(|r| r.req.license.id().map(|id| id.name.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let unexplained: Vec<String> = files
        .detected_ids(policy.min_confidence)
        .into_iter()
        .filter(|d| !declared_ids.iter().any(|id| same_license(id, d)))
        .collect();
    if unexplained.is_empty() {
        return;
    }
    let refused = unexplained.iter().any(|id| {
        let Ok(l) = Licensee::parse(id) else {
            return true;
        };
        let req = l.into_req();
        !exceptions
            .iter()
            .any(|e| e.allow.iter().any(|a| satisfies(a, &req)))
            && decide(policy, &req).is_err()
    });
    let paths: Vec<&str> = files
        .files
        .iter()
        .filter(|f| {
            f.detection
                .as_ref()
                .is_some_and(|d| d.ids.iter().any(|i| unexplained.contains(i)))
        })
        .map(|f| f.path.as_str())
        .collect();
    findings.push(finding(
        Code::LicenseMismatch,
        if refused {
            Severity::Error
        } else {
            Severity::Warning
        },
        c,
        Some(declared),
        unexplained.clone(),
        format!(
            "{} {} declares `{declared}` but {} say{} {}",
            c.name,
            c.version,
            paths.join(", "),
            if paths.len() == 1 { "s" } else { "" },
            unexplained
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        if refused {
            rule(
                policy,
                policy.allow_line,
                "allow / allow-categories".to_owned(),
            )
        } else {
            None
        },
        paths
            .first()
            .and_then(|p| clarify_block(c, Some(declared), p)),
    ));
}

/// A warning for each license or NOTICE file of the package that was found but not read.
fn skipped_file_findings(c: &Component, files: &PackageEvidence, findings: &mut Vec<Finding>) {
    for skipped in &files.skipped {
        findings.push(finding(
            Code::LicenseFileSkipped,
            Severity::Warning,
            c,
            c.license.as_deref(),
            Vec::new(),
            format!(
                "{} {}: {} was not read: {}",
                c.name, c.version, skipped.path, skipped.reason
            ),
            None,
            None,
        ));
    }
}

/// Two ids name the same license text: equal, or the `-only` and `-or-later` forms of one
/// GNU license (their texts are the same document).
fn same_license(a: &str, b: &str) -> bool {
    let base = |s: &str| {
        s.trim_end_matches("-only")
            .trim_end_matches("-or-later")
            .to_owned()
    };
    a == b || (spdx::license_id(a).is_some_and(|l| l.is_gnu()) && base(a) == base(b))
}

/// The first pinned file whose content no longer matches, and how.
fn stale_file(cl: &Clarification, c: &Component) -> Option<(String, String)> {
    for f in &cl.files {
        let Some(dir) = &c.source_dir else {
            return Some((f.path.clone(), "cannot be checked: the package's source is not available (the inventory came from an SBOM)".to_owned()));
        };
        let bytes = match read_package_file(dir, &f.path) {
            Ok(bytes) => bytes,
            Err(ReadError::Absent) => {
                return Some((f.path.clone(), "is missing from the package".to_owned()));
            }
            Err(ReadError::Skipped(why)) => {
                return Some((f.path.clone(), format!("was not read: {why}")));
            }
        };
        let matches = match &f.digest {
            FileDigest::Sha256(want) => crate::license::sha256_hex(&bytes) == *want,
            FileDigest::XxHash32(want) => cargo_deny_hash(&bytes) == *want,
        };
        if !matches {
            let want = match &f.digest {
                FileDigest::Sha256(w) => format!("sha256 {w}"),
                FileDigest::XxHash32(w) => format!("hash {w:#010x}"),
            };
            return Some((
                f.path.clone(),
                format!(
                    "changed: the clarification pins {want}, the file now has sha256 {}",
                    crate::license::sha256_hex(&bytes)
                ),
            ));
        }
    }
    None
}

/// cargo-deny's license-file hash: XxHash32 (seed 0) of the text with `\r\n` as `\n` and a
/// final newline.
fn cargo_deny_hash(bytes: &[u8]) -> u32 {
    let text = String::from_utf8_lossy(bytes);
    let mut normalised = String::with_capacity(text.len() + 1);
    for line in text.split_terminator('\n') {
        normalised.push_str(line.trim_end_matches('\r'));
        normalised.push('\n');
    }
    twox_hash::XxHash32::oneshot(0, normalised.as_bytes())
}

/// The files of clarification `cl` pinned by SHA-256 as component `c` has them, when every
/// file still matches its pin (so a cargo-deny pin can be restated in clearance's format);
/// else which file no longer matches, and why.
pub fn sha256_pins(cl: &Clarification, c: &Component) -> Result<Vec<ClarifiedFile>, String> {
    if let Some((path, why)) = stale_file(cl, c) {
        return Err(format!("{path} {why}"));
    }
    cl.files
        .iter()
        .map(|f| {
            c.source_dir
                .as_deref()
                .and_then(|dir| read_inside(dir, &f.path))
                .map(|bytes| ClarifiedFile {
                    path: f.path.clone(),
                    digest: FileDigest::Sha256(crate::license::sha256_hex(&bytes)),
                })
                .ok_or_else(|| format!("{} is missing from the package", f.path))
        })
        .collect()
}

/// A `[[clarify]]` block for `c` pinned to the current content of `file`.
fn clarify_block(c: &Component, expression: Option<&str>, file: &str) -> Option<String> {
    let bytes = read_inside(c.source_dir.as_deref()?, file)?;
    Some(format!(
        "[[clarify]]\npackage = {}\nversions = {}\nexpression = {}  # the license the file grants\nfiles = [{{ path = {}, sha256 = \"{}\" }}]",
        super::toml_string(&c.name),
        super::toml_string(&format!("={}", c.version)),
        super::toml_string(expression.unwrap_or("LicenseRef-...")),
        super::toml_string(file),
        crate::license::sha256_hex(&bytes)
    ))
}

/// Why a term was refused.
#[derive(Debug, Clone)]
enum Refusal {
    Denied(usize, String),
    NotAllowed,
    Unknown,
}

fn judge(
    policy: &Policy,
    c: &Component,
    expression: Option<&str>,
    exceptions: &[&Exception],
    findings: &mut Vec<Finding>,
) -> Verdict {
    let mut verdict = Verdict {
        status: Status::Allowed,
        expression: expression.map(str::to_owned),
        categories: BTreeSet::new(),
        clarified_by: None,
        exceptions_used: Vec::new(),
    };
    let unknown_severity = match policy.unknown.value {
        UnknownMode::Deny => Severity::Error,
        UnknownMode::Warn => Severity::Warning,
    };
    let unknown_rule = || {
        rule(
            policy,
            policy.unknown.line,
            format!(
                "unknown = \"{}\"",
                if unknown_severity == Severity::Error {
                    "deny"
                } else {
                    "warn"
                }
            ),
        )
    };
    let Some(text) = expression else {
        verdict.categories.insert(Category::Unknown);
        let suggestion = c
            .license_file
            .as_deref()
            .and_then(|f| clarify_block(c, None, f));
        findings.push(finding(
            Code::LicenseUnknown,
            unknown_severity,
            c,
            None,
            Vec::new(),
            format!("{} {} declares no license", c.name, c.version),
            unknown_rule(),
            suggestion,
        ));
        return verdict;
    };
    let expr = match spdx::Expression::parse(text) {
        Ok(e) => e,
        Err(e) => {
            verdict.categories.insert(Category::Unknown);
            findings.push(finding(
                Code::LicenseUnknown,
                unknown_severity,
                c,
                Some(text),
                vec![text.to_owned()],
                format!("`{text}` is not an SPDX expression ({})", e.reason),
                unknown_rule(),
                None,
            ));
            return verdict;
        }
    };
    let mut refusals: BTreeMap<String, Refusal> = BTreeMap::new();
    let mut used: BTreeSet<usize> = BTreeSet::new();
    for req in expr.requirements() {
        verdict.categories.insert(req_category(&req.req));
    }
    let result = expr.evaluate_with_failures(|req| {
        if let Some(e) = exceptions
            .iter()
            .find(|e| e.allow.iter().any(|l| satisfies(l, req)))
        {
            used.insert(e.line);
            return true;
        }
        match decide(policy, req) {
            Ok(()) => true,
            Err(r) => {
                refusals.insert(req.to_string(), r);
                false
            }
        }
    });
    verdict.exceptions_used = used.into_iter().collect();
    let Err(failed) = result else {
        return verdict;
    };
    let blamed: Vec<(String, Refusal)> = failed
        .iter()
        .filter_map(|f| {
            refusals
                .get(&f.req.to_string())
                .map(|r| (f.req.to_string(), r.clone()))
        })
        .collect();
    let terms: Vec<String> = blamed
        .iter()
        .map(|(t, _)| t.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if let Some((term, Refusal::Denied(line, why))) = blamed
        .iter()
        .find(|(_, r)| matches!(r, Refusal::Denied(..)))
    {
        findings.push(finding(
            Code::LicenseDenied,
            Severity::Error,
            c,
            Some(text),
            terms.clone(),
            format!(
                "{} {} is licensed `{text}`: `{term}` is denied",
                c.name, c.version
            ),
            rule(policy, *line, why.clone()),
            None,
        ));
    } else if blamed.iter().all(|(_, r)| matches!(r, Refusal::Unknown)) {
        let suggestion = c
            .license_file
            .as_deref()
            .and_then(|f| clarify_block(c, Some(text), f));
        findings.push(finding(
            Code::LicenseUnknown,
            unknown_severity,
            c,
            Some(text),
            terms.clone(),
            format!(
                "{} {} is licensed `{text}`, which is not a known license the policy allows",
                c.name, c.version
            ),
            unknown_rule(),
            suggestion,
        ));
    } else {
        findings.push(finding(
            Code::LicenseNotAllowed,
            Severity::Error,
            c,
            Some(text),
            terms.clone(),
            format!(
                "{} {} is licensed `{text}`: {} not allowed",
                c.name,
                c.version,
                terms
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if terms.len() == 1 { " is" } else { " are" }
            ),
            rule(
                policy,
                policy.allow_line,
                "allow / allow-categories".to_owned(),
            ),
            None,
        ));
    }
    verdict
}

fn req_category(req: &LicenseReq) -> Category {
    match &req.license {
        LicenseItem::Spdx { id, .. } => category_of(id.name),
        LicenseItem::Other(_) => Category::Unknown,
    }
}

/// The policy's decision on one term, exceptions aside.
fn decide(policy: &Policy, req: &LicenseReq) -> Result<(), Refusal> {
    if let Some(d) = policy.deny.iter().find(|d| satisfies(&d.value, req)) {
        return Err(Refusal::Denied(d.line, format!("deny = {}", d.value)));
    }
    let category = req_category(req);
    if let Some(d) = policy.deny_categories.iter().find(|d| d.value == category) {
        return Err(Refusal::Denied(
            d.line,
            format!("deny-categories = {}", d.value),
        ));
    }
    if policy.allow.iter().any(|a| satisfies(&a.value, req))
        || policy
            .allow_categories
            .iter()
            .any(|a| a.value == category && category != Category::Unknown)
    {
        return Ok(());
    }
    Err(if category == Category::Unknown {
        Refusal::Unknown
    } else {
        Refusal::NotAllowed
    })
}

/// Whether `licensee` (a policy entry) covers the term `req`: the spdx crate's rule, plus an
/// exception term allowed through its base license, plus GNU `-or-later` ids satisfied by
/// the same or a later version.
pub fn satisfies(licensee: &Licensee, req: &LicenseReq) -> bool {
    if licensee.satisfies(req) {
        return true;
    }
    if req.addition.is_some() {
        let base = LicenseReq {
            license: req.license.clone(),
            addition: None,
        };
        if licensee.satisfies(&base) {
            return true;
        }
    }
    let (LicenseItem::Spdx { id: want, .. }, LicenseItem::Spdx { id: have, .. }) =
        (&req.license, &licensee.clone().into_req().license)
    else {
        return false;
    };
    let Some(family) = want.name.strip_suffix("-or-later") else {
        return false;
    };
    let base = |name: &'static str| {
        name.trim_end_matches("-only")
            .trim_end_matches("-or-later")
            .to_owned()
    };
    let (Some((fam_w, ver_w)), Some((fam_h, ver_h))) = (
        family.rsplit_once('-'),
        base(have.name)
            .rsplit_once('-')
            .map(|(a, b)| (a.to_owned(), b.to_owned())),
    ) else {
        return false;
    };
    fam_w == fam_h && version_key(&ver_h) >= version_key(ver_w)
}

fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::policy::parse_policy;

    fn policy(text: &str) -> Policy {
        parse_policy(Path::new("p.toml"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn comp(name: &str, version: &str, license: Option<&str>) -> Component {
        let mut c = Component::new(
            ComponentId(format!("pkg:cargo/{name}@{version}")),
            name,
            version,
        );
        c.license = license.map(str::to_owned);
        c.purl = Some(c.id.0.clone());
        c
    }

    fn run(p: &Policy, comps: Vec<Component>) -> Evaluation {
        let mut inv = Inventory::default();
        for c in comps {
            inv.components.insert(c.id.clone(), c);
        }
        evaluate(p, &inv, None, time::macros::date!(2026 - 11 - 24))
    }

    fn codes(e: &Evaluation) -> Vec<(&str, &str)> {
        e.findings
            .iter()
            .map(|f| (f.name.as_str(), f.code.as_str()))
            .collect()
    }

    const BASE: &str = "[licenses]\nallow = [\"MIT\", \"Unicode-3.0\", \"ISC\"]\nallow-categories = [\"public-domain\"]\ndeny-categories = [\"strong-copyleft\"]\n";

    #[test]
    fn expression_forms_are_evaluated_exactly() {
        let p = policy(BASE);
        let e = run(
            &p,
            vec![
                comp("a", "1.0.0", Some("(MIT OR Apache-2.0) AND Unicode-3.0")),
                comp("b", "1.0.0", Some("MIT AND Apache-2.0")),
                comp("c", "1.0.0", Some("GPL-3.0-only OR LicenseRef-Foo")),
                comp("d", "1.0.0", Some("CC0-1.0")),
                comp("e", "1.0.0", Some("MIT WITH LLVM-exception")),
                comp("h", "1.0.0", Some("Apache-2.0 WITH LLVM-exception OR MIT")),
                comp("i", "1.0.0", Some("Apache-2.0 WITH LLVM-exception")),
                comp("f", "1.0.0", Some("LicenseRef-Foo")),
                comp("g", "1.0.0", None),
            ],
        );
        assert_eq!(
            codes(&e),
            [
                ("b", "license-not-allowed"),
                ("c", "license-denied"),
                ("f", "license-unknown"),
                ("g", "license-unknown"),
                ("i", "license-not-allowed")
            ]
        );
        assert_eq!(e.findings[4].licenses, ["Apache-2.0 WITH LLVM-exception"]);
        let allowed = |n: &str| {
            e.verdicts[&ComponentId(format!("pkg:cargo/{n}@1.0.0"))].status == Status::Allowed
        };
        assert!(
            allowed("e") && allowed("h"),
            "an exception only adds permissions; an OR needs one allowed branch"
        );
        assert_eq!(
            e.verdicts[&ComponentId("pkg:cargo/a@1.0.0".into())].status,
            Status::Allowed
        );
        let denied = &e.findings[1];
        assert_eq!(denied.rule.as_ref().map(|r| r.line), Some(4));
        assert_eq!(denied.licenses, ["GPL-3.0-only", "LicenseRef-Foo"]);
    }

    #[test]
    fn with_terms_follow_their_base_license_or_an_explicit_entry() {
        let p = policy(
            "[licenses]\nallow = [\"Apache-2.0\", \"GPL-2.0-only WITH Classpath-exception-2.0\"]\n",
        );
        let e = run(
            &p,
            vec![
                comp("a", "1.0.0", Some("Apache-2.0 WITH LLVM-exception")),
                comp(
                    "b",
                    "1.0.0",
                    Some("GPL-2.0-only WITH Classpath-exception-2.0"),
                ),
                comp("c", "1.0.0", Some("GPL-2.0-only")),
            ],
        );
        assert_eq!(codes(&e), [("c", "license-not-allowed")]);
    }

    #[test]
    fn or_later_is_satisfied_by_the_same_or_a_later_version() {
        let p = policy("[licenses]\nallow = [\"LGPL-3.0-only\", \"MPL-2.0\"]\n");
        let e = run(
            &p,
            vec![
                comp("a", "1.0.0", Some("LGPL-3.0-or-later")),
                comp("b", "1.0.0", Some("LGPL-2.1-or-later")),
                comp("c", "1.0.0", Some("MPL-2.0+")),
                comp("d", "1.0.0", Some("LGPL-2.1-only")),
            ],
        );
        assert_eq!(codes(&e), [("d", "license-not-allowed")]);
    }

    #[test]
    fn exceptions_by_version_range_and_expiry() {
        let p = policy(&format!(
            "{BASE}[[exceptions]]\npackage = \"ring\"\nversions = \">=0.17, <0.18\"\nallow = [\"OpenSSL\"]\nreason = \"LR-42\"\n[[exceptions]]\npackage = \"pkg:cargo/old\"\nallow = [\"Zlib\"]\nexpires = \"2020-01-01\"\n[[exceptions]]\npackage = \"nobody\"\nallow = [\"Zlib\"]\n"
        ));
        let e = run(
            &p,
            vec![
                comp("ring", "0.17.8", Some("MIT AND OpenSSL")),
                comp("ring", "0.16.20", Some("MIT AND OpenSSL")),
                comp("old", "1.0.0", Some("Zlib")),
            ],
        );
        assert_eq!(
            codes(&e),
            [
                ("old", "license-not-allowed"),
                ("old", "exception-expired"),
                ("ring", "license-not-allowed"),
                ("nobody", "exception-unused")
            ]
        );
        assert_eq!(e.findings[2].version, "0.16.20");
        assert_eq!(
            e.verdicts[&ComponentId("pkg:cargo/ring@0.17.8".into())].exceptions_used,
            [5]
        );
    }

    #[test]
    fn deny_categories_catch_a_too_broad_allow_list() {
        let p = policy(
            "[licenses]\nallow = [\"GPL-3.0-only\", \"MIT\"]\ndeny-categories = [\"strong-copyleft\"]\n",
        );
        let e = run(&p, vec![comp("a", "1.0.0", Some("GPL-3.0-only"))]);
        assert_eq!(codes(&e), [("a", "license-denied")]);
    }

    #[test]
    fn unknown_can_be_a_warning() {
        let p = policy("[licenses]\nallow = [\"MIT\"]\nunknown = \"warn\"\n");
        let e = run(&p, vec![comp("a", "1.0.0", None)]);
        assert_eq!(e.findings[0].severity, Severity::Warning);
        assert!(!e.has_errors());
        assert_eq!(e.verdicts.values().next().unwrap().status, Status::Warned);
    }

    #[test]
    fn codes_are_unique_and_documented() {
        let docs = include_str!("../../../../docs/findings.md");
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(
                docs.contains(&format!("| `{}` |", code.as_str())),
                "{} is not in docs/findings.md",
                code.as_str()
            );
            assert!(!code.description().is_empty() && !code.help().is_empty());
        }
    }

    #[test]
    fn cargo_deny_hash_matches_cargo_deny() {
        // The value cargo-deny's `hash` gives for this file (tests/fixtures/policies/README.md).
        let text =
            include_bytes!("../../../../tests/fixtures/workspace/local/custom-license/LICENSE.txt");
        assert_eq!(cargo_deny_hash(text), 0x16a5_202d);
        assert_eq!(cargo_deny_hash(b"a\r\nb\n"), cargo_deny_hash(b"a\nb"));
    }

    #[cfg(unix)]
    #[test]
    fn a_clarify_block_keeps_a_hostile_file_name_inside_its_string() {
        let dir = tempfile::tempdir().unwrap();
        let name = "LICENSE\n::error::pwned \"\x1b]0;t\x07\u{202e}";
        std::fs::write(dir.path().join(name), "terms").unwrap();
        let mut c = comp("a", "1.0.0", Some("MIT"));
        c.source_dir = Some(dir.path().to_owned());
        let block = clarify_block(&c, Some("MIT"), name).unwrap();
        assert_eq!(block.lines().count(), 5, "{block}");
        assert!(
            block.contains(r#"path = "LICENSE\n::error::pwned \"\u001B]0;t\u0007\u202E""#),
            "{block}"
        );
        let parsed: toml::Table = toml::from_str(&block).unwrap();
        assert_eq!(
            parsed["clarify"][0]["files"][0]["path"].as_str(),
            Some(name)
        );
    }

    #[test]
    fn a_skipped_file_is_a_warning_naming_the_package_the_file_and_why() {
        use crate::license::files::{FileKind, SkipReason, SkippedFile};
        let p = policy(BASE);
        let c = comp("a", "1.0.0", Some("MIT"));
        let mut evidence = Evidence::default();
        evidence.packages.insert(
            c.id.clone(),
            PackageEvidence {
                skipped: vec![SkippedFile {
                    path: "LICENSE".into(),
                    kind: FileKind::License,
                    reason: SkipReason::NotRegular,
                }],
                ..PackageEvidence::default()
            },
        );
        let mut inv = Inventory::default();
        inv.components.insert(c.id.clone(), c);
        let e = evaluate(
            &p,
            &inv,
            Some(&evidence),
            time::macros::date!(2026 - 11 - 24),
        );
        assert_eq!(codes(&e), [("a", "license-file-skipped")]);
        assert_eq!(e.findings[0].severity, Severity::Warning);
        assert_eq!(
            e.findings[0].message,
            "a 1.0.0: LICENSE was not read: it is not a regular file (a FIFO, device, socket or directory)"
        );
        assert_eq!(e.verdicts.values().next().unwrap().status, Status::Warned);
    }
}
