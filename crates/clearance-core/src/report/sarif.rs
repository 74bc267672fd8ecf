//! SARIF 2.1.0 as GitHub code scanning reads it: one rule per finding code (with help text),
//! one result per finding, located at the package's line in `Cargo.lock` (or the SBOM it
//! came from, or the policy line for findings about the policy itself), with a stable
//! fingerprint so that alerts follow the package across commits.

use std::path::Path;

use serde_json::{Value, json};

use super::Context;
use crate::diag::Severity;
use crate::policy::{Code, Finding};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn default_level(code: Code) -> &'static str {
    match code {
        Code::ExceptionUnused => "warning",
        _ => "error",
    }
}

fn camel(code: Code) -> String {
    code.as_str()
        .split('-')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

fn uri(path: &Path) -> Value {
    let text = path.to_string_lossy().replace('\\', "/");
    if path.is_absolute() {
        json!({ "uri": format!("file://{text}") })
    } else {
        json!({ "uri": text, "uriBaseId": "%SRCROOT%" })
    }
}

fn location(ctx: &Context<'_>, f: &Finding) -> Value {
    let (path, line) = match (ctx.locator.locate(&f.component), &f.rule) {
        (Some(at), _) => (at.path, at.line),
        (None, Some(rule)) if Path::new(&rule.file).is_file() => {
            (Path::new(&rule.file).to_owned(), rule.line.max(1))
        }
        _ => (Path::new("Cargo.toml").to_owned(), 1),
    };
    json!({ "physicalLocation": { "artifactLocation": uri(&path), "region": { "startLine": line } } })
}

fn fingerprint(f: &Finding) -> String {
    crate::license::sha256_hex(
        format!("{}\0{}\0{}", f.code.as_str(), f.name, f.licenses.join(" ")).as_bytes(),
    )
}

/// A SARIF log of `findings`.
pub(super) fn report(ctx: &Context<'_>, findings: &[Finding]) -> Vec<u8> {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": camel(*c),
                "shortDescription": { "text": c.description() },
                "fullDescription": { "text": c.description() },
                "help": { "text": c.help(), "markdown": format!("**{}**: {}\n\n{}", c.as_str(), c.description(), c.help()) },
                "defaultConfiguration": { "level": default_level(*c) },
                "properties": { "tags": ["license", "supply-chain", "compliance"] },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(r) = &f.rule {
                text.push_str(&format!(" (policy rule {}:{}: {})", r.file, r.line, r.rule));
            }
            json!({
                "ruleId": f.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [location(ctx, f)],
                "partialFingerprints": { "clearanceFinding/v1": fingerprint(f) },
                "properties": { "package": f.name, "version": f.version, "expression": f.expression, "licenses": f.licenses },
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "clearance",
                "version": ctx.tool_version,
                "semanticVersion": ctx.tool_version,
                "informationUri": "https://github.com/clearance-rs/clearance",
                "rules": rules,
            }},
            "automationDetails": { "id": "clearance/licenses/" },
            "results": results,
        }],
    });
    let mut out = serde_json::to_vec_pretty(&log).expect("SARIF serialises");
    out.push(b'\n');
    out
}
