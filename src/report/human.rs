//! Text for terminals and logs: findings grouped by code, each with the rule that decided it
//! and where the package is written, then one summary line.

use std::fmt::Write;

use super::{Color, Context, Summary};
use crate::diag::Severity;
use crate::policy::diff::Diff;
use crate::policy::{Evaluation, Finding};

struct Paint(Color);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        match self.0 {
            Color::Always => format!("\x1b[{code}m{s}\x1b[0m"),
            Color::Never => s.to_owned(),
        }
    }
    fn severity(&self, sev: Severity) -> String {
        match sev {
            Severity::Error => self.wrap("1;31", "error"),
            Severity::Warning => self.wrap("1;33", "warning"),
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

fn findings(out: &mut String, ctx: &Context<'_>, list: &[Finding]) {
    let paint = Paint(ctx.color);
    let mut sorted: Vec<&Finding> = list.iter().collect();
    sorted.sort_by(|a, b| {
        (a.severity, a.code, &a.name, &a.version).cmp(&(b.severity, b.code, &b.name, &b.version))
    });
    for f in sorted {
        let _ = writeln!(
            out,
            "{}[{}]: {}",
            paint.severity(f.severity),
            paint.bold(f.code.as_str()),
            f.message
        );
        if let Some(at) = ctx.locator.locate(&f.component) {
            let _ = writeln!(
                out,
                "  {} {}:{} ({} {})",
                paint.dim("-->"),
                at.path.display(),
                at.line,
                f.name,
                f.version
            );
        }
        if let Some(r) = &f.rule {
            let _ = writeln!(
                out,
                "  {} {}:{}: {}",
                paint.dim("rule"),
                r.file,
                r.line,
                r.rule
            );
        }
        if let Some(s) = &f.suggestion {
            let _ = writeln!(out, "  {} paste into the policy:", paint.dim("fix"));
            for line in s.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        out.push('\n');
    }
}

fn summary_line(ctx: &Context<'_>, s: &Summary) -> String {
    let paint = Paint(ctx.color);
    let verdict = if s.errors > 0 {
        paint.wrap("1;31", "FAILED")
    } else {
        paint.wrap("1;32", "ok")
    };
    format!(
        "{verdict}: {} components: {} allowed, {} failed, {} with warnings, {} skipped; {} errors, {} warnings (policy {})\n",
        s.components, s.allowed, s.failed, s.warned, s.skipped, s.errors, s.warnings, ctx.policy
    )
}

/// The `check` report.
pub(super) fn check(ctx: &Context<'_>, eval: &Evaluation) -> String {
    let mut out = String::new();
    findings(&mut out, ctx, &eval.findings);
    out.push_str(&summary_line(ctx, &Summary::of(eval)));
    out
}

/// The `diff` report.
pub(super) fn diff(ctx: &Context<'_>, d: &Diff, head: &Evaluation) -> String {
    let paint = Paint(ctx.color);
    let mut out = String::new();
    let c = &d.changes;
    if c.is_empty() {
        out.push_str("components: no changes\n");
    } else {
        out.push_str(&paint.bold("components\n"));
        for p in &c.added {
            let _ = writeln!(
                out,
                "  + {} {} ({})",
                p.name,
                p.version,
                p.license.as_deref().unwrap_or("no license")
            );
        }
        for p in &c.removed {
            let _ = writeln!(out, "  - {} {}", p.name, p.version);
        }
        for u in &c.upgraded {
            let _ = writeln!(out, "  ↑ {} {} → {}", u.name, u.from, u.to);
        }
        for u in &c.downgraded {
            let _ = writeln!(out, "  ↓ {} {} → {}", u.name, u.from, u.to);
        }
        for r in &c.relicensed {
            let _ = writeln!(
                out,
                "  ⚖ {} {}: {} → {}",
                r.name,
                r.version,
                r.from.as_deref().unwrap_or("none"),
                r.to.as_deref().unwrap_or("none")
            );
        }
    }
    out.push('\n');
    if d.new.is_empty() {
        out.push_str("new findings: none\n\n");
    } else {
        let _ = writeln!(
            out,
            "{}\n",
            paint.bold(&format!("new findings ({})", d.new.len()))
        );
        findings(&mut out, ctx, &d.new);
    }
    let _ = writeln!(
        out,
        "already in base: {} finding(s); resolved by this change: {}",
        d.existing.len(),
        d.resolved.len()
    );
    let new_errors = d
        .new
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let s = Summary::of(head);
    let _ = writeln!(
        out,
        "{} new error(s), {} new warning(s); head: {}",
        new_errors,
        d.new.len() - new_errors,
        summary_line(ctx, &s).trim_end()
    );
    out
}
