//! Markdown for pull-request comments and `$GITHUB_STEP_SUMMARY`: one line when all is well,
//! a table of findings otherwise, and for `diff` the component changes.

use std::fmt::Write;

use super::{Context, Summary};
use crate::diag::Severity;
use crate::policy::diff::Diff;
use crate::policy::{Evaluation, Finding};

/// Escapes text for a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
}

fn table(out: &mut String, list: &[Finding]) {
    out.push_str(
        "| | Package | Version | License | Finding | Policy rule |\n|---|---|---|---|---|---|\n",
    );
    for f in list {
        let icon = if f.severity == Severity::Error {
            "❌"
        } else {
            "⚠️"
        };
        let rule = f
            .rule
            .as_ref()
            .map(|r| format!("`{}:{}` {}", r.file, r.line, cell(&r.rule)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {icon} | {} | {} | `{}` | `{}` {} | {} |",
            cell(&f.name),
            cell(&f.version),
            cell(f.expression.as_deref().unwrap_or("none")),
            f.code.as_str(),
            cell(&f.message),
            rule
        );
    }
}

fn counts(s: &Summary) -> String {
    format!(
        "{} components, {} allowed, {} failed, {} with warnings",
        s.components, s.allowed, s.failed, s.warned
    )
}

/// The `check` report.
pub(super) fn check(ctx: &Context<'_>, eval: &Evaluation) -> String {
    let s = Summary::of(eval);
    let mut out = String::from("### clearance: license check\n\n");
    if eval.findings.is_empty() {
        let _ = writeln!(
            out,
            "✅ All {} components are allowed by `{}`.",
            s.components, ctx.policy
        );
        return out;
    }
    let head = if s.errors > 0 { "❌" } else { "⚠️" };
    let _ = writeln!(
        out,
        "{head} {} error(s), {} warning(s): {} (policy `{}`).\n",
        s.errors,
        s.warnings,
        counts(&s),
        ctx.policy
    );
    table(&mut out, &eval.findings);
    out
}

/// The `diff` report.
pub(super) fn diff(ctx: &Context<'_>, d: &Diff, head: &Evaluation) -> String {
    let mut out = String::from("### clearance: license diff\n\n");
    let c = &d.changes;
    let s = Summary::of(head);
    if d.new.is_empty() {
        let _ = writeln!(
            out,
            "✅ No new license findings (policy `{}`; {} already in base).",
            ctx.policy,
            d.existing.len()
        );
    } else {
        let errors = d
            .new
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let _ = writeln!(
            out,
            "{} This change brings in {} new finding(s), {errors} of them errors (policy `{}`).\n",
            if errors > 0 { "❌" } else { "⚠️" },
            d.new.len(),
            ctx.policy
        );
        table(&mut out, &d.new);
    }
    if !c.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Dependency changes: {} added, {} removed, {} upgraded, {} downgraded, {} relicensed</summary>\n",
            c.added.len(),
            c.removed.len(),
            c.upgraded.len(),
            c.downgraded.len(),
            c.relicensed.len()
        );
        out.push_str("| Change | Package | Version | License |\n|---|---|---|---|\n");
        for p in &c.added {
            let _ = writeln!(
                out,
                "| added | {} | {} | `{}` |",
                cell(&p.name),
                cell(&p.version),
                cell(p.license.as_deref().unwrap_or("none"))
            );
        }
        for p in &c.removed {
            let _ = writeln!(
                out,
                "| removed | {} | {} | `{}` |",
                cell(&p.name),
                cell(&p.version),
                cell(p.license.as_deref().unwrap_or("none"))
            );
        }
        for u in &c.upgraded {
            let _ = writeln!(
                out,
                "| upgraded | {} | {} → {} | |",
                cell(&u.name),
                cell(&u.from),
                cell(&u.to)
            );
        }
        for u in &c.downgraded {
            let _ = writeln!(
                out,
                "| downgraded | {} | {} → {} | |",
                cell(&u.name),
                cell(&u.from),
                cell(&u.to)
            );
        }
        for r in &c.relicensed {
            let _ = writeln!(
                out,
                "| relicensed | {} | {} | `{}` → `{}` |",
                cell(&r.name),
                cell(&r.version),
                cell(r.from.as_deref().unwrap_or("none")),
                cell(r.to.as_deref().unwrap_or("none"))
            );
        }
        out.push_str("\n</details>\n");
    }
    let _ = writeln!(out, "\nHead: {}.", counts(&s));
    out
}
