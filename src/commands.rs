//! One function per subcommand: each takes ready-made options, runs the pipeline
//! (collect → model → evaluate → render) and returns what to write. Printing and exit codes
//! stay in `main.rs`.

use std::path::PathBuf;

use crate::diag::Diagnostic;
use crate::inventory::Inventory;
use crate::inventory::cargo::{CargoError, CargoOptions, collect_cargo_inventory};
use crate::sbom::{Format, SbomError, WriteOptions, read_sbom_file, write_sbom};

/// Where the inventory comes from.
#[derive(Debug, Clone)]
pub enum InventorySource {
    /// A Cargo workspace, through `cargo metadata`.
    Cargo(CargoOptions),
    /// An existing SBOM file of any supported format.
    Sbom(PathBuf),
}

/// What `clearance sbom` needs.
#[derive(Debug, Clone)]
pub struct SbomRequest {
    /// The input.
    pub source: InventorySource,
    /// The output format.
    pub format: Format,
    /// The spec version, or the format's default.
    pub spec_version: Option<String>,
    /// The creation time to record; see [`creation_time`].
    pub created: Option<String>,
}

/// Errors of the commands, by where they arose.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Collecting from Cargo failed.
    #[error(transparent)]
    Cargo(#[from] CargoError),
    /// Reading or writing an SBOM failed.
    #[error(transparent)]
    Sbom(#[from] SbomError),
    /// `SOURCE_DATE_EPOCH` is set but not a timestamp.
    #[error(
        "SOURCE_DATE_EPOCH={0:?} is not a number of seconds since 1970-01-01 UTC; unset it or set it to e.g. the last commit's time (`git log -1 --format=%ct`)"
    )]
    SourceDateEpoch(String),
}

/// The tool name recorded in documents.
pub const TOOL_NAME: &str = env!("CARGO_PKG_NAME");
/// The tool version recorded in documents.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds the inventory from its source.
pub fn load_inventory(source: &InventorySource) -> Result<Inventory, CommandError> {
    Ok(match source {
        InventorySource::Cargo(options) => collect_cargo_inventory(options)?,
        InventorySource::Sbom(path) => read_sbom_file(path)?,
    })
}

/// What `clearance sbom` produced.
#[derive(Debug)]
pub struct SbomOutput {
    /// The document's bytes.
    pub document: Vec<u8>,
    /// Things worth telling the user that do not stop the command.
    pub warnings: Vec<Diagnostic>,
}

/// Runs `clearance sbom`: the document and any warnings about its completeness.
pub fn sbom(request: &SbomRequest) -> Result<SbomOutput, CommandError> {
    let inventory = load_inventory(&request.source)?;
    let warnings = completeness_warnings(&inventory);
    let options = WriteOptions {
        spec_version: request.spec_version.clone(),
        created: request.created.clone(),
        tool_name: TOOL_NAME.to_owned(),
        tool_version: TOOL_VERSION.to_owned(),
    };
    let document = write_sbom(&inventory, request.format, &options)?;
    Ok(SbomOutput { document, warnings })
}

/// Warnings about what the NTIA minimum elements ask for and the inventory cannot say: the
/// product's supplier, when neither the manifest nor `--supplier` names one.
fn completeness_warnings(inventory: &Inventory) -> Vec<Diagnostic> {
    let mut unsupplied: Vec<&str> = inventory
        .components
        .values()
        .filter(|c| c.supplier.is_none() && c.authors.is_empty())
        .map(|c| c.name.as_str())
        .collect();
    if unsupplied.is_empty() {
        return Vec::new();
    }
    unsupplied.sort_unstable();
    let shown = unsupplied
        .iter()
        .take(5)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = unsupplied.len().saturating_sub(5);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    vec![
        Diagnostic::warning(
            "sbom-no-supplier",
            format!("no supplier is known for {shown}{more}; the SBOM says NOASSERTION, which the NTIA minimum elements do not accept"),
        )
        .with_help(
            "name one with --supplier \"Your Org <contact@example.org>\", or in Cargo.toml under \
             [workspace.metadata.clearance] or [package.metadata.clearance]: supplier = \"...\"",
        ),
    ]
}

/// Whether a document must carry a creation time even when none is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRequirement {
    /// Leave it out unless `SOURCE_DATE_EPOCH` pins it (keeps output reproducible).
    Optional,
    /// The format requires one: `SOURCE_DATE_EPOCH` if set, else now.
    Required,
}

/// The creation time for a document as RFC 3339 UTC: `SOURCE_DATE_EPOCH` (`epoch`) when
/// set, else the current time if the format requires one, else none.
pub fn creation_time(
    epoch: Option<&str>,
    requirement: TimeRequirement,
) -> Result<Option<String>, CommandError> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let when = match epoch.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            let secs: i64 = e
                .parse()
                .map_err(|_| CommandError::SourceDateEpoch(e.to_owned()))?;
            OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| CommandError::SourceDateEpoch(e.to_owned()))?
        }
        None if requirement == TimeRequirement::Required => OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        None => return Ok(None),
    };
    Ok(Some(
        when.format(&Rfc3339)
            .expect("a UTC time formats as RFC 3339"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_pins_the_time() {
        assert_eq!(
            creation_time(Some("1700000000"), TimeRequirement::Optional)
                .unwrap()
                .as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            creation_time(None, TimeRequirement::Optional).unwrap(),
            None
        );
        assert!(
            creation_time(None, TimeRequirement::Required)
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            creation_time(Some("yesterday"), TimeRequirement::Optional),
            Err(CommandError::SourceDateEpoch(_))
        ));
    }
}
