//! JUnit XML: one test case per component (failed for errors, with the findings as the
//! failure text; skipped when the policy skips it), plus one per policy-level finding, so CI
//! test views list every dependency.

use std::fmt::Write;

use super::Context;
use crate::diag::Severity;
use crate::policy::diff::Diff;
use crate::policy::{Evaluation, Finding, Status};

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

fn details(list: &[&Finding]) -> String {
    list.iter()
        .map(|f| match &f.rule {
            Some(r) => format!(
                "{}[{}]: {} (rule {}:{}: {})",
                f.severity,
                f.code.as_str(),
                f.message,
                r.file,
                r.line,
                r.rule
            ),
            None => format!("{}[{}]: {}", f.severity, f.code.as_str(), f.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn suite(name: &str, ctx: &Context<'_>, eval: &Evaluation, counted: &[Finding]) -> String {
    let mut cases = String::new();
    let (mut failures, mut skipped) = (0, 0);
    for (id, v) in &eval.verdicts {
        let Some(c) = ctx.inventory.components.get(id) else {
            continue;
        };
        let mine: Vec<&Finding> = counted.iter().filter(|f| &f.component == id).collect();
        let errors: Vec<&Finding> = mine
            .iter()
            .copied()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        let license = v.expression.as_deref().unwrap_or("no license");
        let _ = write!(
            cases,
            "    <testcase classname=\"clearance.licenses\" name=\"{}\" time=\"0\">",
            escape(&format!("{} {} ({license})", c.name, c.version))
        );
        if v.status == Status::Skipped {
            skipped += 1;
            cases.push_str("<skipped message=\"skipped by the policy (private package)\"/>");
        } else if let Some(first) = errors.first() {
            failures += 1;
            let _ = write!(
                cases,
                "<failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&first.message),
                first.code.as_str(),
                escape(&details(&errors))
            );
        }
        let warnings: Vec<&Finding> = mine
            .iter()
            .copied()
            .filter(|f| f.severity == Severity::Warning)
            .collect();
        if !warnings.is_empty() {
            let _ = write!(
                cases,
                "<system-out>{}</system-out>",
                escape(&details(&warnings))
            );
        }
        cases.push_str("</testcase>\n");
    }
    let mut tests = eval.verdicts.len();
    for f in counted
        .iter()
        .filter(|f| !eval.verdicts.contains_key(&f.component))
    {
        tests += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"clearance.policy\" name=\"{}\" time=\"0\">",
            escape(&format!("{} {}", f.code.as_str(), f.name))
        );
        if f.severity == Severity::Error {
            failures += 1;
            let _ = write!(
                cases,
                "<failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&f.message),
                f.code.as_str(),
                escape(&details(&[f]))
            );
        } else {
            let _ = write!(cases, "<system-out>{}</system-out>", escape(&details(&[f])));
        }
        cases.push_str("</testcase>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"clearance\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\">\n    <properties><property name=\"policy\" value=\"{}\"/></properties>\n{cases}  </testsuite>\n</testsuites>\n",
        escape(name),
        escape(&ctx.policy)
    )
}

/// The `check` report.
pub(super) fn check(ctx: &Context<'_>, eval: &Evaluation) -> String {
    suite("clearance check", ctx, eval, &eval.findings)
}

/// The `diff` report: only new findings fail test cases.
pub(super) fn diff(ctx: &Context<'_>, d: &Diff, head: &Evaluation) -> String {
    suite("clearance diff", ctx, head, &d.new)
}
