//! SPDX 2.3 JSON: writing, and reading 2.2 and 2.3.
//!
//! Packages carry the purl as an external reference, the Cargo.lock SHA-256, the declared
//! license (concluded is `NOASSERTION`: nothing was concluded by analysis), the supplier
//! (the registry that distributes the crate, as SPDX 2.3 §7.5 defines it) and the first
//! author as originator. Edges map to `DEPENDS_ON`, `BUILD_DEPENDENCY_OF` and
//! `DEV_DEPENDENCY_OF`; the document `DESCRIBES` its root(s). `LicenseRef-`s come with their
//! text in `hasExtractedLicensingInfos`. Files are not listed (`filesAnalyzed: false`).
//!
//! Departure: SPDX 2.3 Annex D allows `+` after any license id, but spdx-tools (the reference
//! validator) accepts it only where the license list has an `ID+` alias (the old GNU ids), so
//! `MPL-2.0+` would make the document invalid for it. Such a term is written as
//! `LicenseRef-MPL-2.0-or-later`, whose extracted info names the expression (`MPL-2.0+`), and
//! read back as `MPL-2.0+`: the inventory never changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::json::{locate_key, parse, to_pretty};
use super::{UUID_PLACEHOLDER, WriteOptions, stamp_uuid};
use crate::diag::Diagnostic;
use crate::inventory::purl::Purl;
use crate::inventory::{
    Component, ComponentId, DepKind, Ecosystem, Edge, Inventory, LicenseRefText, Party, Source,
};
use crate::license::{NormalisedLicense, license_ref_id, normalise_declared};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo<'a>,
    packages: Vec<Package<'a>>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<Extracted<'a>>,
}

#[derive(Serialize)]
struct CreationInfo<'a> {
    created: &'a str,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: &'a str,
    version_info: &'a str,
    supplier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    originator: Option<String>,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<&'a str>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum<'a> {
    algorithm: &'static str,
    checksum_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef<'a> {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extracted<'a> {
    license_id: std::borrow::Cow<'a, str>,
    extracted_text: std::borrow::Cow<'a, str>,
    name: std::borrow::Cow<'a, str>,
}

/// `ID+` terms on ids without an `-or-later` form, as `LicenseRef-ID-or-later` (see the module
/// documentation); everything else unchanged.
fn rewrite_or_later(expr: &str) -> String {
    or_later_terms(expr).fold(expr.to_owned(), |acc, term| {
        acc.replace(term, &or_later_ref(term))
    })
}

fn or_later_terms(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| {
            t.len() > 1 && t.ends_with('+') && spdx::license_id(&t[..t.len() - 1]).is_some()
        })
}

fn or_later_ref(term: &str) -> String {
    format!("LicenseRef-{}-or-later", &term[..term.len() - 1])
}

/// SPDX ids for every component: `SPDXRef-Package-NAME-VERSION`, with a digest suffix where
/// two components would otherwise share one.
pub(super) fn spdx_ids(inventory: &Inventory) -> BTreeMap<&ComponentId, String> {
    let mut count: HashMap<String, usize> = HashMap::new();
    let base = |c: &Component| sanitize(&format!("SPDXRef-Package-{}-{}", c.name, c.version));
    for c in inventory.components.values() {
        *count.entry(base(c)).or_default() += 1;
    }
    inventory
        .components
        .values()
        .map(|c| {
            let b = base(c);
            let id = if count[&b] > 1 {
                format!(
                    "{b}-{}",
                    &crate::license::sha256_hex(c.id.0.as_bytes())[..8]
                )
            } else {
                b
            };
            (&c.id, id)
        })
        .collect()
}

/// `s` with every character outside `[A-Za-z0-9.-]` as `-`, as SPDX identifiers require.
pub(super) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Where the package can be downloaded, as SPDX expects it.
pub(super) fn download_location(c: &Component) -> String {
    match &c.source {
        s if s.is_crates_io() => format!(
            "https://crates.io/api/v1/crates/{}/{}/download",
            c.name, c.version
        ),
        Source::Git { url, rev } => format!("git+{url}@{rev}"),
        _ => "NOASSERTION".to_owned(),
    }
}

fn supplier_text(c: &Component) -> String {
    match (&c.supplier, c.authors.first()) {
        (Some(s), _) => agent("Organization", s),
        (None, Some(a)) => agent("Person", a),
        (None, None) => "NOASSERTION".to_owned(),
    }
}

fn agent(kind: &str, p: &Party) -> String {
    match &p.email {
        Some(e) => format!("{kind}: {} ({e})", p.name),
        None => format!("{kind}: {}", p.name),
    }
}

/// The document name: the product and its version.
pub(super) fn document_name(inventory: &Inventory) -> String {
    match inventory.primary_root() {
        Some(root) => format!("{}-{}", root.name, root.version),
        None => inventory.name.clone(),
    }
}

/// Writes the inventory as SPDX 2.3 JSON.
pub(super) fn write(inventory: &Inventory, created: &str, options: &WriteOptions) -> Vec<u8> {
    let ids = spdx_ids(inventory);
    let roots: BTreeSet<&ComponentId> = inventory.roots.iter().collect();
    let packages = inventory
        .components
        .values()
        .map(|c| Package {
            spdx_id: ids[&c.id].clone(),
            name: &c.name,
            version_info: &c.version,
            supplier: supplier_text(c),
            originator: c
                .supplier
                .as_ref()
                .and(c.authors.first())
                .map(|a| agent("Person", a)),
            download_location: download_location(c),
            files_analyzed: false,
            checksums: c
                .sha256
                .as_deref()
                .map(|h| Checksum {
                    algorithm: "SHA256",
                    checksum_value: h,
                })
                .into_iter()
                .collect(),
            homepage: c.homepage.as_deref().or(c.repository.as_deref()),
            license_concluded: "NOASSERTION",
            license_declared: c
                .license
                .as_deref()
                .map_or_else(|| "NOASSERTION".to_owned(), rewrite_or_later),
            copyright_text: "NOASSERTION",
            description: c.description.as_deref(),
            external_refs: c
                .purl
                .as_deref()
                .map(|p| ExternalRef {
                    reference_category: "PACKAGE-MANAGER",
                    reference_type: "purl",
                    reference_locator: p,
                })
                .into_iter()
                .collect(),
            primary_package_purpose: Some(if roots.contains(&c.id) {
                "APPLICATION"
            } else {
                "LIBRARY"
            }),
        })
        .collect();
    let mut relationships: Vec<Relationship> = inventory
        .roots
        .iter()
        .map(|r| Relationship {
            spdx_element_id: "SPDXRef-DOCUMENT".to_owned(),
            relationship_type: "DESCRIBES",
            related_spdx_element: ids[r].clone(),
        })
        .collect();
    for e in &inventory.edges {
        let (from, to) = (ids[&e.from].clone(), ids[&e.to].clone());
        relationships.push(match e.kind {
            DepKind::Normal => Relationship {
                spdx_element_id: from,
                relationship_type: "DEPENDS_ON",
                related_spdx_element: to,
            },
            DepKind::Build => Relationship {
                spdx_element_id: to,
                relationship_type: "BUILD_DEPENDENCY_OF",
                related_spdx_element: from,
            },
            DepKind::Dev => Relationship {
                spdx_element_id: to,
                relationship_type: "DEV_DEPENDENCY_OF",
                related_spdx_element: from,
            },
        });
    }
    let used_refs = used_license_refs(inventory);
    let mut has_extracted_licensing_infos: Vec<Extracted> = inventory
        .license_refs
        .iter()
        .filter(|(id, _)| used_refs.contains(id.as_str()))
        .map(|(id, t)| Extracted {
            license_id: id.into(),
            extracted_text: t.text.as_str().into(),
            name: t.name.as_str().into(),
        })
        .collect();
    let or_later: BTreeSet<&str> = inventory
        .components
        .values()
        .filter_map(|c| c.license.as_deref())
        .flat_map(or_later_terms)
        .collect();
    has_extracted_licensing_infos.extend(or_later.into_iter().map(|term| {
        Extracted {
        license_id: or_later_ref(term).into(),
        extracted_text: format!(
            "{} or, at the licensee's option, any later version (the SPDX expression `{term}`).",
            &term[..term.len() - 1]
        )
        .into(),
        name: term.into(),
    }
    }));
    let name = document_name(inventory);
    let doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        document_namespace: format!(
            "https://spdx.org/spdxdocs/{}-{UUID_PLACEHOLDER}",
            sanitize(&name)
        ),
        name,
        creation_info: CreationInfo {
            created,
            creators: vec![format!(
                "Tool: {}-{}",
                options.tool_name, options.tool_version
            )],
        },
        packages,
        relationships,
        has_extracted_licensing_infos,
    };
    stamp_uuid(to_pretty(&doc), UUID_PLACEHOLDER)
}

/// The `LicenseRef-` ids that components' licenses use.
pub(super) fn used_license_refs(inventory: &Inventory) -> BTreeSet<&str> {
    inventory
        .components
        .values()
        .filter_map(|c| c.license.as_deref())
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || c == '(' || c == ')'))
        .filter(|t| t.starts_with("LicenseRef-"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Reading

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InDocument {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    document_describes: Vec<String>,
    #[serde(default)]
    packages: Vec<InPackage>,
    #[serde(default)]
    relationships: Vec<InRelationship>,
    #[serde(default)]
    has_extracted_licensing_infos: Vec<InExtracted>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(default)]
    version_info: Option<String>,
    #[serde(default)]
    supplier: Option<String>,
    #[serde(default)]
    originator: Option<String>,
    #[serde(default)]
    download_location: Option<String>,
    #[serde(default)]
    checksums: Vec<InChecksum>,
    #[serde(default)]
    homepage: Option<String>,
    #[serde(default)]
    license_declared: Option<String>,
    #[serde(default)]
    license_concluded: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    external_refs: Vec<InExternalRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InChecksum {
    algorithm: String,
    checksum_value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InExternalRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InRelationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InExtracted {
    license_id: String,
    #[serde(default)]
    extracted_text: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Reads an SPDX 2.2 or 2.3 JSON document into an inventory.
pub(super) fn read(path: &Path, text: &str) -> Result<Inventory, Diagnostic> {
    let doc: InDocument = parse(path, text, "not a readable SPDX 2 document")?;
    if doc.packages.is_empty() {
        return Err(
            Diagnostic::error("sbom-empty", "the SPDX document lists no packages")
                .at(locate_key(path, text, "spdxVersion"))
                .with_help("an SBOM must list at least the package it describes"),
        );
    }
    let mut inventory = Inventory {
        name: doc.name.clone().unwrap_or_default(),
        ..Inventory::default()
    };
    let mut or_later: HashMap<String, String> = HashMap::new();
    for x in &doc.has_extracted_licensing_infos {
        if let Some(term) = x
            .name
            .as_deref()
            .filter(|n| or_later_terms(n).next() == Some(*n))
        {
            or_later.insert(x.license_id.clone(), term.to_owned());
            continue;
        }
        inventory.license_refs.insert(
            x.license_id.clone(),
            LicenseRefText {
                name: x
                    .name
                    .clone()
                    .filter(|n| n != "NOASSERTION")
                    .unwrap_or_else(|| x.license_id.clone()),
                text: x.extracted_text.clone().unwrap_or_default(),
            },
        );
    }
    let mut by_spdx_id: HashMap<String, ComponentId> = HashMap::new();
    for mut p in doc.packages {
        for field in [&mut p.license_declared, &mut p.license_concluded] {
            if let Some(l) = field.as_mut() {
                for (id, term) in &or_later {
                    *l = l.replace(id.as_str(), term);
                }
            }
        }
        let (spdx_id, c) = package_component(p, &mut inventory.license_refs);
        by_spdx_id.insert(spdx_id, c.id.clone());
        inventory.components.insert(c.id.clone(), c);
    }
    let mut roots: Vec<String> = doc.document_describes.clone();
    for r in &doc.relationships {
        let a = by_spdx_id.get(&r.spdx_element_id);
        let b = by_spdx_id.get(&r.related_spdx_element);
        let edge = |from: &ComponentId, to: &ComponentId, kind| Edge {
            from: from.clone(),
            to: to.clone(),
            kind,
        };
        match (r.relationship_type.as_str(), a, b) {
            ("DESCRIBES", _, Some(_)) if r.spdx_element_id == "SPDXRef-DOCUMENT" => {
                roots.push(r.related_spdx_element.clone())
            }
            ("DESCRIBED_BY", Some(_), _) if r.related_spdx_element == "SPDXRef-DOCUMENT" => {
                roots.push(r.spdx_element_id.clone())
            }
            ("DEPENDS_ON" | "CONTAINS" | "STATIC_LINK" | "DYNAMIC_LINK", Some(a), Some(b)) => {
                inventory.edges.push(edge(a, b, DepKind::Normal))
            }
            ("DEPENDENCY_OF" | "CONTAINED_BY", Some(a), Some(b)) => {
                inventory.edges.push(edge(b, a, DepKind::Normal))
            }
            ("BUILD_DEPENDENCY_OF", Some(a), Some(b)) => {
                inventory.edges.push(edge(b, a, DepKind::Build))
            }
            ("DEV_DEPENDENCY_OF" | "TEST_DEPENDENCY_OF", Some(a), Some(b)) => {
                inventory.edges.push(edge(b, a, DepKind::Dev))
            }
            _ => {}
        }
    }
    inventory.roots = roots
        .iter()
        .filter_map(|r| by_spdx_id.get(r).cloned())
        .collect();
    inventory.normalise();
    if let Some(root) = inventory.primary_root() {
        inventory.name = root.name.clone();
    }
    Ok(inventory)
}

fn package_component(
    p: InPackage,
    refs: &mut BTreeMap<String, LicenseRefText>,
) -> (String, Component) {
    let purl_text = p
        .external_refs
        .iter()
        .find(|r| r.reference_type == "purl")
        .map(|r| r.reference_locator.clone());
    let purl = purl_text.as_deref().and_then(Purl::parse);
    let version = p.version_info.clone().unwrap_or_default();
    let id = ComponentId(purl_text.clone().unwrap_or_else(|| p.spdx_id.clone()));
    let mut c = Component::new(id, p.name, version);
    c.purl = purl_text;
    if let Some(purl) = &purl {
        c.ecosystem = if purl.ty == "cargo" {
            Ecosystem::Cargo
        } else {
            Ecosystem::Other(purl.ty.clone())
        };
        if purl.ty == "cargo" {
            c.source = purl.cargo_source();
        }
    }
    c.sha256 = p
        .checksums
        .iter()
        .find(|s| s.algorithm == "SHA256")
        .map(|s| s.checksum_value.to_ascii_lowercase());
    c.homepage = p.homepage.filter(|h| h != "NOASSERTION" && h != "NONE");
    c.description = p.description;
    let supplier = p.supplier.as_deref().and_then(parse_agent);
    let originator = p.originator.as_deref().and_then(parse_agent);
    match (supplier, originator) {
        (Some(s), Some(o)) => {
            c.supplier = Some(s);
            c.authors = vec![o];
        }
        (Some(s), None)
            if p.supplier
                .as_deref()
                .is_some_and(|t| t.starts_with("Person:")) =>
        {
            c.authors = vec![s]
        }
        (s, o) => {
            c.supplier = s;
            c.authors = o.into_iter().collect();
        }
    }
    if c.source == Source::Unknown
        && matches!(c.ecosystem, Ecosystem::Cargo)
        && let Some(dl) = p
            .download_location
            .as_deref()
            .and_then(|d| d.strip_prefix("git+"))
        && let Some((url, rev)) = dl.rsplit_once('@')
    {
        c.source = Source::Git {
            url: url.to_owned(),
            rev: rev.to_owned(),
        };
    }
    let declared = [
        p.license_declared.as_deref(),
        p.license_concluded.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find(|l| !matches!(*l, "NOASSERTION" | "NONE" | ""));
    c.license = declared.map(|raw| match normalise_declared(raw) {
        NormalisedLicense::Expression(e) => e,
        NormalisedLicense::Invalid { .. } => {
            let id = license_ref_id(&[raw]);
            refs.entry(id.clone()).or_insert(LicenseRefText {
                name: raw.to_owned(),
                text: format!(
                    "The license `{raw}`, as {}'s SPDX entry declares it.",
                    c.name
                ),
            });
            c.license_declared_raw = Some(raw.to_owned());
            id
        }
    });
    (p.spdx_id, c)
}

/// Parses `Person: Name (mail)` / `Organization: Name (mail)`; `None` for NOASSERTION.
fn parse_agent(s: &str) -> Option<Party> {
    let rest = s.split_once(':').map(|(_, r)| r.trim())?;
    if rest.is_empty() || rest == "NOASSERTION" {
        return None;
    }
    if let (Some(open), true) = (rest.rfind('('), rest.ends_with(')')) {
        let email = rest[open + 1..rest.len() - 1].trim();
        let name = rest[..open].trim();
        return Some(Party {
            name: if name.is_empty() { email } else { name }.to_owned(),
            email: (!email.is_empty()).then(|| email.to_owned()),
        });
    }
    Some(Party {
        name: rest.to_owned(),
        email: None,
    })
}
