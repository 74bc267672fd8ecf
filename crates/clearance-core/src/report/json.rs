//! JSON reports with a versioned schema (`schema: "clearance-check/1"` or
//! `"clearance-diff/1"`, documented in docs/json-schema.md). Additive changes keep the
//! version; anything else bumps it.

use serde::Serialize;

use super::{Context, Summary};
use crate::policy::diff::{Changes, Diff};
use crate::policy::{Evaluation, Finding, Status};

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct ComponentOut<'a> {
    id: &'a str,
    name: &'a str,
    version: &'a str,
    purl: Option<&'a str>,
    license: Option<&'a str>,
    status: Status,
    categories: Vec<&'static str>,
}

#[derive(Serialize)]
struct CheckOut<'a> {
    schema: &'static str,
    tool: Tool<'a>,
    policy: &'a str,
    summary: Summary,
    components: Vec<ComponentOut<'a>>,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct DiffOut<'a> {
    schema: &'static str,
    tool: Tool<'a>,
    policy: &'a str,
    summary: Summary,
    changes: &'a Changes,
    new: &'a [Finding],
    existing: &'a [Finding],
    resolved: &'a [Finding],
}

fn components<'a>(ctx: &'a Context<'_>, eval: &'a Evaluation) -> Vec<ComponentOut<'a>> {
    eval.verdicts
        .iter()
        .filter_map(|(id, v)| {
            let c = ctx.inventory.components.get(id)?;
            Some(ComponentOut {
                id: &id.0,
                name: &c.name,
                version: &c.version,
                purl: c.purl.as_deref(),
                license: v.expression.as_deref(),
                status: v.status,
                categories: v.categories.iter().map(|c| c.as_str()).collect(),
            })
        })
        .collect()
}

fn pretty(value: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("reports serialise");
    out.push(b'\n');
    out
}

/// The `check` report.
pub(super) fn check(ctx: &Context<'_>, eval: &Evaluation) -> Vec<u8> {
    pretty(&CheckOut {
        schema: "clearance-check/1",
        tool: Tool {
            name: "clearance",
            version: ctx.tool_version,
        },
        policy: &ctx.policy,
        summary: Summary::of(eval),
        components: components(ctx, eval),
        findings: &eval.findings,
    })
}

/// The `diff` report.
pub(super) fn diff(ctx: &Context<'_>, d: &Diff, head: &Evaluation) -> Vec<u8> {
    pretty(&DiffOut {
        schema: "clearance-diff/1",
        tool: Tool {
            name: "clearance",
            version: ctx.tool_version,
        },
        policy: &ctx.policy,
        summary: Summary::of(head),
        changes: &d.changes,
        new: &d.new,
        existing: &d.existing,
        resolved: &d.resolved,
    })
}
