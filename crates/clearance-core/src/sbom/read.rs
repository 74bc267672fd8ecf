//! Recognising an SBOM's format and version before handing it to its reader.

use std::path::Path;

use serde::Deserialize;

use super::json::{locate_key, parse};
use super::{SbomError, cyclonedx, spdx2, spdx3};
use crate::diag::Diagnostic;
use crate::inventory::Inventory;

/// The CycloneDX versions read.
const CYCLONEDX_READ: &[&str] = &["1.4", "1.5", "1.6", "1.7"];
/// The SPDX 2 versions read.
const SPDX2_READ: &[&str] = &["SPDX-2.2", "SPDX-2.3"];

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "bomFormat")]
    bom_format: Option<serde_json::Value>,
    #[serde(rename = "specVersion")]
    spec_version: Option<serde_json::Value>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<serde_json::Value>,
    #[serde(rename = "@context")]
    context: Option<serde_json::Value>,
}

/// Reads an SBOM from `text` (the content of `path`): CycloneDX JSON 1.4–1.7, SPDX JSON
/// 2.2/2.3 or SPDX 3.0 JSON-LD, recognised by content, not by file name.
pub fn read_sbom(path: &Path, text: &str) -> Result<Inventory, SbomError> {
    let probe: Probe = parse(path, text, "not a readable SBOM")?;
    if probe.bom_format.as_ref().and_then(|v| v.as_str()) == Some("CycloneDX") {
        let version = probe
            .spec_version
            .as_ref()
            .and_then(|v| v.as_str())
            .unwrap_or("");
        check_version(
            path,
            text,
            "specVersion",
            version,
            CYCLONEDX_READ,
            "CycloneDX",
        )?;
        return Ok(cyclonedx::read(path, text)?);
    }
    if let Some(v) = &probe.spdx_version {
        let version = v.as_str().unwrap_or("");
        check_version(path, text, "spdxVersion", version, SPDX2_READ, "SPDX")?;
        return Ok(spdx2::read(path, text)?);
    }
    if let Some(ctx) = &probe.context {
        let ctx = ctx.to_string();
        if ctx.contains("spdx.org/rdf/3.0") {
            return Ok(spdx3::read(path, text)?);
        }
        return Err(Diagnostic::error(
            "sbom-unsupported-version",
            format!("unsupported JSON-LD context {ctx}"),
        )
        .at(locate_key(path, text, "@context"))
        .with_help("clearance reads SPDX 3.0 JSON-LD (context https://spdx.org/rdf/3.0.1/spdx-context.jsonld)")
        .into());
    }
    Err(Diagnostic::error(
        "sbom-unknown-format",
        "the file is JSON but neither CycloneDX (no \"bomFormat\": \"CycloneDX\") nor SPDX (no \"spdxVersion\" or SPDX 3 \"@context\")",
    )
    .at(crate::diag::Location::from_offset(path, text, 0))
    .with_help("pass a CycloneDX JSON (1.4–1.7) or SPDX JSON (2.2, 2.3, 3.0) document")
    .into())
}

fn check_version(
    path: &Path,
    text: &str,
    key: &str,
    version: &str,
    supported: &[&str],
    format: &str,
) -> Result<(), Diagnostic> {
    if supported.contains(&version) {
        return Ok(());
    }
    let loc = locate_key(path, text, key);
    Err(Diagnostic::error(
        "sbom-unsupported-version",
        format!("{format} version {version:?} is not supported"),
    )
    .at(loc)
    .with_label("this version")
    .with_help(format!("clearance reads {format} {}; convert the document or regenerate it with a supported version", supported.join(", "))))
}
