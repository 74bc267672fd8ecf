//! Text for terminals and logs: findings grouped by code, each with the rule that decided it
//! and where the package is written, then one summary line.
//!
//! Every value from outside (package names and versions, policy text such as an exception's
//! reason, file paths, messages that embed them) goes through [`inert`]: it cannot carry
//! escape sequences or line breaks. And every line starts with fixed text (a severity, an
//! indented label or marker), never with such a value, so nothing from outside can become a
//! line of its own, such as a CI runner's `::error::` command.

use std::fmt::Write;

use super::{Color, Context, Summary};
use crate::diag::Severity;
use crate::policy::diff::Diff;
use crate::policy::{Evaluation, Finding};
use crate::term::inert;

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
            inert(&f.message)
        );
        if let Some(at) = ctx.locator.locate(&f.component) {
            let _ = writeln!(
                out,
                "  {} {}:{} ({} {})",
                paint.dim("-->"),
                inert(&at.path.display().to_string()),
                at.line,
                inert(&f.name),
                inert(&f.version)
            );
        }
        if let Some(r) = &f.rule {
            let _ = writeln!(
                out,
                "  {} {}:{}: {}",
                paint.dim("rule"),
                inert(&r.file),
                r.line,
                inert(&r.rule)
            );
        }
        if let Some(s) = &f.suggestion {
            let _ = writeln!(out, "  {} paste into the policy:", paint.dim("fix"));
            // A suggestion is TOML whose values are quoted strings (line breaks escaped), so
            // its line breaks are its own and each line starts with its own key or table.
            for line in s.lines() {
                let _ = writeln!(out, "    {}", inert(line));
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
        s.components,
        s.allowed,
        s.failed,
        s.warned,
        s.skipped,
        s.errors,
        s.warnings,
        inert(&ctx.policy)
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
                inert(&p.name),
                inert(&p.version),
                inert(p.license.as_deref().unwrap_or("no license"))
            );
        }
        for p in &c.removed {
            let _ = writeln!(out, "  - {} {}", inert(&p.name), inert(&p.version));
        }
        for u in &c.upgraded {
            let _ = writeln!(
                out,
                "  ↑ {} {} → {}",
                inert(&u.name),
                inert(&u.from),
                inert(&u.to)
            );
        }
        for u in &c.downgraded {
            let _ = writeln!(
                out,
                "  ↓ {} {} → {}",
                inert(&u.name),
                inert(&u.from),
                inert(&u.to)
            );
        }
        for r in &c.relicensed {
            let _ = writeln!(
                out,
                "  ⚖ {} {}: {} → {}",
                inert(&r.name),
                inert(&r.version),
                inert(r.from.as_deref().unwrap_or("none")),
                inert(r.to.as_deref().unwrap_or("none"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{ComponentId, Inventory};
    use crate::policy::Code;
    use crate::policy::diff::{Changes, LicenseChange, Package, VersionChange};
    use crate::policy::eval::RuleRef;

    const HOSTILE: &str = "x\x1b]0;title\x07\n::error::pwned\r\u{202e}\u{9b}2J";

    fn assert_inert(text: &str) {
        assert!(
            !text.contains(['\x1b', '\x07', '\r', '\u{202e}', '\u{9b}']),
            "{text:?}"
        );
        for line in text.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line:?} in\n{text}");
            assert!(
                line.is_empty() || !line.starts_with('x'),
                "a line starts with outside text: {line:?}"
            );
        }
        assert!(text.contains(r"x\x1b]0;title\x07\n::error::pwned\r\u{202e}\u{9b}2J"));
    }

    fn finding() -> Finding {
        Finding {
            code: Code::ExceptionExpired,
            severity: Severity::Error,
            component: ComponentId(HOSTILE.into()),
            name: HOSTILE.into(),
            version: HOSTILE.into(),
            expression: Some(HOSTILE.into()),
            licenses: vec![HOSTILE.into()],
            message: format!("the exception for {HOSTILE} expired"),
            rule: Some(RuleRef {
                file: HOSTILE.into(),
                line: 3,
                rule: format!("[[exceptions]] {HOSTILE} ({HOSTILE})"),
            }),
            // As producers write suggestions: values are quoted TOML strings, escapes and all.
            suggestion: Some(format!(
                "[[clarify]]\npackage = \"{}\"",
                HOSTILE.replace('\n', "\\n")
            )),
        }
    }

    #[test]
    fn outside_text_is_inert_in_check_and_diff_reports() {
        let inventory = Inventory::default();
        let ctx = Context::new(HOSTILE.into(), &inventory, "0", Color::Never);
        let eval = Evaluation {
            findings: vec![finding()],
            ..Evaluation::default()
        };
        assert_inert(&check(&ctx, &eval));

        let package = Package {
            name: HOSTILE.into(),
            version: HOSTILE.into(),
            license: Some(HOSTILE.into()),
        };
        let change = VersionChange {
            name: HOSTILE.into(),
            from: HOSTILE.into(),
            to: HOSTILE.into(),
        };
        let d = Diff {
            changes: Changes {
                added: vec![package.clone()],
                removed: vec![package],
                upgraded: vec![change.clone()],
                downgraded: vec![change],
                relicensed: vec![LicenseChange {
                    name: HOSTILE.into(),
                    version: HOSTILE.into(),
                    from: Some(HOSTILE.into()),
                    to: Some(HOSTILE.into()),
                }],
            },
            new: vec![finding()],
            ..Diff::default()
        };
        assert_inert(&diff(&ctx, &d, &eval));
    }
}
