//! Reports of `check` and `diff` for people and machines: human (grouped, coloured on a
//! terminal), JSON (versioned schema, `docs/json-schema.md`), SARIF 2.1.0 (GitHub code
//! scanning), JUnit XML (GitLab and other CI test views) and Markdown (pull-request comments,
//! `$GITHUB_STEP_SUMMARY`). Reports format what `policy` decided; they decide nothing.
//! `verify` formats the outcome of `clearance verify` (human or JSON).

mod human;
mod json;
mod junit;
mod locate;
mod markdown;
mod sarif;

use std::path::PathBuf;

use crate::inventory::Inventory;
use crate::policy::diff::Diff;
use crate::policy::{Evaluation, Status};

pub use locate::Locator;

/// An output format of `check` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// Text for a terminal or log.
    Human,
    /// JSON, schema `clearance-check/1` or `clearance-diff/1`.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML, one test case per component.
    Junit,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// Whether human output uses ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// Plain text.
    Never,
    /// ANSI colours.
    Always,
}

/// What every report needs besides the results.
#[derive(Debug)]
pub struct Context<'a> {
    /// The policy file, as findings name it.
    pub policy: String,
    /// The (head) inventory.
    pub inventory: &'a Inventory,
    /// Where components are written, for locations.
    pub locator: Locator,
    /// clearance's version.
    pub tool_version: &'a str,
    /// Colours in human output.
    pub color: Color,
}

impl<'a> Context<'a> {
    /// A context for `inventory`, locating components in the file it came from.
    pub fn new(
        policy: String,
        inventory: &'a Inventory,
        tool_version: &'a str,
        color: Color,
    ) -> Self {
        let locator = Locator::for_inventory(inventory);
        Self {
            policy,
            inventory,
            locator,
            tool_version,
            color,
        }
    }
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Components evaluated.
    pub components: usize,
    /// Allowed.
    pub allowed: usize,
    /// With an error.
    pub failed: usize,
    /// With warnings only.
    pub warned: usize,
    /// Skipped by the policy.
    pub skipped: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
}

impl Summary {
    /// Counts of an evaluation.
    pub fn of(eval: &Evaluation) -> Self {
        let mut s = Summary {
            components: eval.verdicts.len(),
            ..Summary::default()
        };
        for v in eval.verdicts.values() {
            match v.status {
                Status::Allowed => s.allowed += 1,
                Status::Failed => s.failed += 1,
                Status::Warned => s.warned += 1,
                Status::Skipped => s.skipped += 1,
            }
        }
        for f in &eval.findings {
            match f.severity {
                crate::diag::Severity::Error => s.errors += 1,
                crate::diag::Severity::Warning => s.warnings += 1,
            }
        }
        s
    }
}

/// Renders the result of `check`.
pub fn render_check(format: ReportFormat, ctx: &Context<'_>, eval: &Evaluation) -> Vec<u8> {
    match format {
        ReportFormat::Human => human::check(ctx, eval).into_bytes(),
        ReportFormat::Json => json::check(ctx, eval),
        ReportFormat::Sarif => sarif::report(ctx, &eval.findings),
        ReportFormat::Junit => junit::check(ctx, eval).into_bytes(),
        ReportFormat::Markdown => markdown::check(ctx, eval).into_bytes(),
    }
}

/// Renders the result of `diff`; `head` is the head's evaluation.
pub fn render_diff(
    format: ReportFormat,
    ctx: &Context<'_>,
    diff: &Diff,
    head: &Evaluation,
) -> Vec<u8> {
    match format {
        ReportFormat::Human => human::diff(ctx, diff, head).into_bytes(),
        ReportFormat::Json => json::diff(ctx, diff, head),
        ReportFormat::Sarif => sarif::report(ctx, &diff.new),
        ReportFormat::Junit => junit::diff(ctx, diff, head).into_bytes(),
        ReportFormat::Markdown => markdown::diff(ctx, diff, head).into_bytes(),
    }
}

/// A location in a file, relative to the current directory where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
}
