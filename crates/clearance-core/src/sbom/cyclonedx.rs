//! CycloneDX JSON: writing 1.5, 1.6 and 1.7, reading 1.4 to 1.7.
//!
//! Thin serde structures of our own rather than the `cyclonedx-bom` crate, which models
//! CycloneDX only up to 1.5: one set of structures covers every version we write, with the
//! few version differences (`author` string before 1.6, `authors` objects and license
//! `acknowledgement` from 1.6) decided at one place each.
//!
//! CycloneDX's `dependencies` cannot say how a dependency is used. Build and dev edges are
//! kept as component properties (`clearance:cargo:build-dependency` = the dependency's
//! bom-ref, likewise `dev-` and, where a pair has several kinds, `normal-`), and components
//! that only tests or build scripts use get `scope: excluded`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::json::{locate_key, parse, to_pretty};
use super::{UUID_PLACEHOLDER, WriteOptions, stamp_uuid, usage_of_components};
use crate::diag::Diagnostic;
use crate::inventory::purl::Purl;
use crate::inventory::{
    Component, ComponentId, DepKind, Ecosystem, Edge, Inventory, LicenseRefText, Party, Source,
};
use crate::license::{NormalisedLicense, license_ref_id, normalise_declared};

const PROP_MEMBER: &str = "clearance:cargo:workspace-member";
const PROP_SOURCE_PATH: &str = "clearance:cargo:path";
const PROP_LICENSE_FILE: &str = "clearance:license-file";
const PROP_DECLARED: &str = "clearance:license-declared";
const PROP_WORKSPACE: &str = "clearance:workspace";
const PROP_USAGE: &str = "clearance:dependency-kind";
const PROP_ROOT: &str = "clearance:root";

fn edge_property(kind: DepKind) -> &'static str {
    match kind {
        DepKind::Normal => "clearance:cargo:normal-dependency",
        DepKind::Build => "clearance:cargo:build-dependency",
        DepKind::Dev => "clearance:cargo:dev-dependency",
    }
}

// ---------------------------------------------------------------------------------------
// Writing

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom<'a> {
    bom_format: &'static str,
    spec_version: &'a str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Comp<'a>>,
    dependencies: Vec<Dependency<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a str>,
    tools: Tools<'a>,
    component: Comp<'a>,
}

#[derive(Serialize)]
struct Tools<'a> {
    components: Vec<ToolComponent<'a>>,
}

#[derive(Serialize)]
struct ToolComponent<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct Comp<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Supplier<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authors: Option<Vec<Contact<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalRef<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Supplier<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    url: Vec<&'a str>,
}

#[derive(Serialize)]
struct Contact<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

#[derive(Serialize)]
struct Hash<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice<'a> {
    License {
        license: LicenseObj<'a>,
    },
    Expression {
        expression: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledgement: Option<&'static str>,
    },
}

#[derive(Serialize)]
struct LicenseObj<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acknowledgement: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<Text<'a>>,
}

#[derive(Serialize)]
struct Text<'a> {
    #[serde(rename = "contentType")]
    content_type: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct ExternalRef<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Dependency<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<&'a str>,
}

/// Writes the inventory as CycloneDX `version` JSON.
pub(super) fn write(inventory: &Inventory, version: &str, options: &WriteOptions) -> Vec<u8> {
    let modern = version != "1.5";
    let usage = usage_of_components(inventory);
    let primary = inventory.primary_root();
    let workspace_ref = format!("workspace:{}", inventory.name);

    let metadata_component = match primary {
        Some(root) => component(root, true, modern, &usage, inventory),
        None => workspace_component(inventory, &workspace_ref),
    };
    let components = inventory
        .components
        .values()
        .filter(|c| primary.is_none_or(|p| p.id != c.id))
        .map(|c| component(c, false, modern, &usage, inventory))
        .collect();

    let mut dependencies: Vec<Dependency> = Vec::new();
    if primary.is_none() {
        dependencies.push(Dependency {
            reference: &workspace_ref,
            depends_on: inventory.roots.iter().map(|r| r.0.as_str()).collect(),
        });
    }
    for c in inventory.components.values() {
        let mut depends_on: Vec<&str> = inventory
            .dependencies_of(&c.id)
            .map(|e| e.to.0.as_str())
            .collect();
        depends_on.dedup();
        dependencies.push(Dependency {
            reference: &c.id.0,
            depends_on,
        });
    }
    dependencies.sort_by(|a, b| a.reference.cmp(b.reference));

    let bom = Bom {
        bom_format: "CycloneDX",
        spec_version: version,
        serial_number: format!("urn:uuid:{UUID_PLACEHOLDER}"),
        version: 1,
        metadata: Metadata {
            timestamp: options.created.as_deref(),
            tools: Tools {
                components: vec![ToolComponent {
                    ty: "application",
                    name: &options.tool_name,
                    version: &options.tool_version,
                }],
            },
            component: metadata_component,
        },
        components,
        dependencies,
    };
    stamp_uuid(to_pretty(&bom), UUID_PLACEHOLDER)
}

fn workspace_component<'a>(inventory: &'a Inventory, bom_ref: &'a str) -> Comp<'a> {
    let versions: BTreeSet<&str> = inventory
        .roots
        .iter()
        .filter_map(|r| inventory.components.get(r))
        .map(|c| c.version.as_str())
        .collect();
    Comp {
        ty: "application",
        bom_ref,
        supplier: None,
        authors: None,
        author: None,
        name: &inventory.name,
        version: if versions.len() == 1 {
            versions.first().copied().unwrap_or("")
        } else {
            ""
        },
        description: None,
        scope: None,
        hashes: Vec::new(),
        licenses: Vec::new(),
        purl: None,
        external_references: Vec::new(),
        properties: vec![Property {
            name: PROP_WORKSPACE,
            value: "true".to_owned(),
        }],
    }
}

fn component<'a>(
    c: &'a Component,
    is_subject: bool,
    modern: bool,
    usage: &BTreeMap<&ComponentId, DepKind>,
    inventory: &'a Inventory,
) -> Comp<'a> {
    let roots = &inventory.roots;
    let used_as = usage.get(&c.id).copied().unwrap_or(DepKind::Normal);
    let mut properties = Vec::new();
    if c.workspace_member {
        properties.push(Property {
            name: PROP_MEMBER,
            value: "true".to_owned(),
        });
    }
    if let Source::Path { path } = &c.source {
        properties.push(Property {
            name: PROP_SOURCE_PATH,
            value: path.clone(),
        });
    }
    if let Some(file) = &c.license_file {
        properties.push(Property {
            name: PROP_LICENSE_FILE,
            value: file.clone(),
        });
    }
    if let Some(raw) = &c.license_declared_raw {
        properties.push(Property {
            name: PROP_DECLARED,
            value: raw.clone(),
        });
    }
    if !is_subject && roots.contains(&c.id) {
        properties.push(Property {
            name: PROP_ROOT,
            value: "true".to_owned(),
        });
    }
    if !is_subject && used_as != DepKind::Normal {
        properties.push(Property {
            name: PROP_USAGE,
            value: used_as.as_str().to_owned(),
        });
    }
    let mut kinds: BTreeMap<&ComponentId, Vec<DepKind>> = BTreeMap::new();
    for e in inventory.dependencies_of(&c.id) {
        kinds.entry(&e.to).or_default().push(e.kind);
    }
    for (to, ks) in kinds {
        if ks == [DepKind::Normal] {
            continue;
        }
        for k in ks {
            properties.push(Property {
                name: edge_property(k),
                value: to.0.clone(),
            });
        }
    }
    let acknowledgement = modern.then_some("declared");
    let licenses = match &c.license {
        Some(expr) if is_single_license_id(expr) => vec![LicenseChoice::License {
            license: LicenseObj {
                id: Some(expr),
                name: None,
                acknowledgement,
                text: None,
            },
        }],
        // A lone LicenseRef travels as a named license with its text, which an expression
        // could not carry.
        Some(expr) if inventory.license_refs.contains_key(expr) => {
            vec![LicenseChoice::License {
                license: LicenseObj {
                    id: None,
                    name: Some(expr),
                    acknowledgement,
                    text: Some(Text {
                        content_type: "text/plain",
                        content: &inventory.license_refs[expr].text,
                    }),
                },
            }]
        }
        Some(expr) => vec![LicenseChoice::Expression {
            expression: expr,
            acknowledgement,
        }],
        None => Vec::new(),
    };
    let mut external_references = Vec::new();
    if let Some(u) = &c.repository {
        external_references.push(ExternalRef { ty: "vcs", url: u });
    }
    if let Some(u) = &c.homepage {
        external_references.push(ExternalRef {
            ty: "website",
            url: u,
        });
    }
    if let Some(u) = &c.documentation {
        external_references.push(ExternalRef {
            ty: "documentation",
            url: u,
        });
    }
    let contacts = || {
        c.authors
            .iter()
            .map(|a| Contact {
                name: &a.name,
                email: a.email.as_deref(),
            })
            .collect()
    };
    Comp {
        ty: if is_subject { "application" } else { "library" },
        bom_ref: &c.id.0,
        supplier: c.supplier.as_ref().map(|s| Supplier {
            name: &s.name,
            url: if c.source.is_crates_io() {
                vec!["https://crates.io"]
            } else {
                Vec::new()
            },
        }),
        authors: (modern && !c.authors.is_empty()).then(contacts),
        author: (!modern && !c.authors.is_empty()).then(|| {
            c.authors
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        name: &c.name,
        version: &c.version,
        description: c.description.as_deref(),
        scope: (!is_subject).then_some(if used_as == DepKind::Normal {
            "required"
        } else {
            "excluded"
        }),
        hashes: c
            .sha256
            .as_deref()
            .map(|h| Hash {
                alg: "SHA-256",
                content: h,
            })
            .into_iter()
            .collect(),
        licenses,
        purl: c.purl.as_deref(),
        external_references,
        properties,
    }
}

/// True when `expr` is exactly one SPDX license id (`MPL-2.0+` or `X WITH Y` are expressions:
/// CycloneDX's `license.id` only takes ids from the list).
fn is_single_license_id(expr: &str) -> bool {
    spdx::license_id(expr).is_some_and(|id| id.name == expr)
}

// ---------------------------------------------------------------------------------------
// Reading

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InBom {
    #[serde(default)]
    metadata: Option<InMetadata>,
    #[serde(default)]
    components: Vec<InComponent>,
    #[serde(default)]
    dependencies: Vec<InDependency>,
}

#[derive(Deserialize)]
struct InMetadata {
    #[serde(default)]
    component: Option<InComponent>,
}

#[derive(Deserialize, Default)]
struct InComponent {
    #[serde(rename = "bom-ref", default)]
    bom_ref: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    authors: Vec<InContact>,
    #[serde(default)]
    supplier: Option<InContact>,
    #[serde(default)]
    hashes: Vec<InHash>,
    #[serde(default)]
    licenses: Vec<InLicenseChoice>,
    #[serde(rename = "externalReferences", default)]
    external_references: Vec<InExternalRef>,
    #[serde(default)]
    properties: Vec<InProperty>,
    #[serde(default)]
    components: Vec<InComponent>,
}

#[derive(Deserialize)]
struct InContact {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
struct InHash {
    alg: String,
    content: String,
}

#[derive(Deserialize)]
struct InLicenseChoice {
    #[serde(default)]
    license: Option<InLicense>,
    #[serde(default)]
    expression: Option<String>,
}

#[derive(Deserialize)]
struct InLicense {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    text: Option<InText>,
}

#[derive(Deserialize)]
struct InText {
    #[serde(default)]
    content: String,
    #[serde(rename = "contentType", default)]
    content_type: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct InExternalRef {
    #[serde(rename = "type")]
    ty: String,
    url: String,
}

#[derive(Deserialize)]
struct InProperty {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct InDependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn", default)]
    depends_on: Vec<String>,
}

/// Reads a CycloneDX JSON document (any version from 1.4 on) into an inventory.
pub(super) fn read(path: &Path, text: &str) -> Result<Inventory, Diagnostic> {
    let bom: InBom = parse(path, text, "not a readable CycloneDX BOM")?;
    let mut inventory = Inventory::default();
    let mut by_ref: BTreeMap<String, ComponentId> = BTreeMap::new();
    let mut extra_edges: Vec<(String, String, DepKind)> = Vec::new();
    let mut workspace_ref = None;

    let subject = bom.metadata.and_then(|m| m.component);
    if let Some(subject) = subject {
        if has_property(&subject, PROP_WORKSPACE) {
            inventory.name = subject.name.clone();
            workspace_ref = subject.bom_ref.clone();
        } else {
            let id = add_component(&mut inventory, &mut by_ref, &mut extra_edges, subject, 0);
            inventory.name = inventory.components[&id].name.clone();
            inventory.roots.push(id);
        }
    }
    for c in bom.components {
        add_component(&mut inventory, &mut by_ref, &mut extra_edges, c, 0);
    }
    if by_ref.is_empty() && inventory.components.is_empty() && workspace_ref.is_none() {
        return Err(Diagnostic::error("sbom-empty", "the BOM lists no components")
            .at(locate_key(path, text, "bomFormat"))
            .with_help("an SBOM must describe at least its subject in metadata.component or list components"));
    }

    let typed: BTreeSet<(String, String)> = extra_edges
        .iter()
        .map(|(f, t, _)| (f.clone(), t.clone()))
        .collect();
    for dep in &bom.dependencies {
        if workspace_ref.as_deref() == Some(dep.reference.as_str()) {
            inventory
                .roots
                .extend(dep.depends_on.iter().filter_map(|r| by_ref.get(r).cloned()));
            continue;
        }
        let Some(from) = by_ref.get(&dep.reference) else {
            continue;
        };
        for to_ref in &dep.depends_on {
            let Some(to) = by_ref.get(to_ref) else {
                continue;
            };
            if !typed.contains(&(dep.reference.clone(), to_ref.clone())) {
                inventory.edges.push(Edge {
                    from: from.clone(),
                    to: to.clone(),
                    kind: DepKind::Normal,
                });
            }
        }
    }
    for (from, to, kind) in extra_edges {
        if let (Some(from), Some(to)) = (by_ref.get(&from), by_ref.get(&to)) {
            inventory.edges.push(Edge {
                from: from.clone(),
                to: to.clone(),
                kind,
            });
        }
    }
    inventory.normalise();
    Ok(inventory)
}

fn has_property(c: &InComponent, name: &str) -> bool {
    c.properties.iter().any(|p| p.name == name)
}

fn property<'a>(c: &'a InComponent, name: &str) -> Option<&'a str> {
    c.properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
}

const MAX_NESTING: usize = 64;

fn add_component(
    inventory: &mut Inventory,
    by_ref: &mut BTreeMap<String, ComponentId>,
    extra_edges: &mut Vec<(String, String, DepKind)>,
    mut c: InComponent,
    depth: usize,
) -> ComponentId {
    let version = c.version.clone().unwrap_or_default();
    let name = match &c.group {
        Some(g) if !g.is_empty() => format!("{g}/{}", c.name),
        _ => c.name.clone(),
    };
    let purl = c.purl.as_deref().and_then(Purl::parse);
    let id = ComponentId(
        c.purl
            .clone()
            .or_else(|| c.bom_ref.clone())
            .unwrap_or_else(|| format!("{name}@{version}")),
    );
    let mut comp = Component::new(id.clone(), name, version);
    comp.purl = c.purl.clone();
    if let Some(p) = &purl {
        comp.ecosystem = if p.ty == "cargo" {
            Ecosystem::Cargo
        } else {
            Ecosystem::Other(p.ty.clone())
        };
        if p.ty == "cargo" {
            comp.source = p.cargo_source();
        }
    }
    comp.description = c.description.take();
    comp.sha256 = c
        .hashes
        .iter()
        .find(|h| h.alg.eq_ignore_ascii_case("SHA-256"))
        .map(|h| h.content.to_ascii_lowercase());
    comp.authors = if c.authors.is_empty() {
        c.author
            .iter()
            .flat_map(|a| a.split(','))
            .map(Party::parse)
            .filter(|p| !p.name.is_empty())
            .collect()
    } else {
        c.authors.iter().filter_map(contact_party).collect()
    };
    comp.supplier = c.supplier.as_ref().and_then(contact_party);
    for r in &c.external_references {
        let slot = match r.ty.as_str() {
            "vcs" => &mut comp.repository,
            "website" => &mut comp.homepage,
            "documentation" => &mut comp.documentation,
            _ => continue,
        };
        slot.get_or_insert_with(|| r.url.clone());
    }
    comp.workspace_member = property(&c, PROP_MEMBER) == Some("true");
    if let Some(path) = property(&c, PROP_SOURCE_PATH) {
        comp.source = Source::Path {
            path: path.to_owned(),
        };
    }
    comp.license_file = property(&c, PROP_LICENSE_FILE).map(str::to_owned);
    comp.license_declared_raw = property(&c, PROP_DECLARED).map(str::to_owned);
    comp.license = license_of(&c, &comp.name, &mut inventory.license_refs);

    let bom_ref = c.bom_ref.clone().unwrap_or_else(|| id.0.clone());
    for kind in [DepKind::Normal, DepKind::Build, DepKind::Dev] {
        for p in c
            .properties
            .iter()
            .filter(|p| p.name == edge_property(kind))
        {
            if let Some(to) = &p.value {
                extra_edges.push((bom_ref.clone(), to.clone(), kind));
            }
        }
    }
    if has_property(&c, PROP_ROOT) {
        inventory.roots.push(id.clone());
    }
    by_ref.insert(bom_ref, id.clone());
    // Sub-components with the package's own purl and a subpath are parts of it (cargo-cyclonedx
    // lists each crate's build targets so), not packages of their own.
    let package_purl = c.purl.as_deref().map(without_subpath);
    let children: Vec<InComponent> = std::mem::take(&mut c.components)
        .into_iter()
        .filter(|child| {
            package_purl.is_none() || child.purl.as_deref().map(without_subpath) != package_purl
        })
        .collect();
    inventory.components.insert(id.clone(), comp);
    if depth < MAX_NESTING {
        for child in children {
            add_component(inventory, by_ref, extra_edges, child, depth + 1);
        }
    }
    id
}

/// A license text given inline as plain text (base64 and other encodings are not decoded).
fn plain_text(text: Option<&InText>) -> Option<String> {
    text.filter(|t| {
        t.encoding.is_none()
            && t.content_type
                .as_deref()
                .is_none_or(|ct| ct.starts_with("text/"))
    })
    .map(|t| t.content.clone())
}

fn without_subpath(purl: &str) -> &str {
    purl.split_once('#').map_or(purl, |(p, _)| p)
}

fn contact_party(c: &InContact) -> Option<Party> {
    let name = c.name.clone().or_else(|| c.email.clone())?;
    Some(Party {
        name,
        email: c.email.clone(),
    })
}

/// The component's license as one SPDX expression: ids and expressions as they are (legacy
/// forms normalised), a name that is not SPDX as a `LicenseRef-` with its text; several
/// entries joined with `AND`. Python trove classifiers (`License :: OSI Approved :: …`) that
/// tools list beside an SPDX id restate it and are dropped when an id or expression is there.
fn license_of(
    c: &InComponent,
    name: &str,
    refs: &mut BTreeMap<String, LicenseRefText>,
) -> Option<String> {
    let has_spdx = c
        .licenses
        .iter()
        .any(|l| l.expression.is_some() || l.license.as_ref().is_some_and(|l| l.id.is_some()));
    let mut parts: Vec<String> = Vec::new();
    for choice in &c.licenses {
        if let Some(e) = &choice.expression {
            parts.push(spdx_or_ref(e, name, None, refs));
        } else if let Some(l) = &choice.license {
            if let Some(id) = &l.id {
                parts.push(spdx_or_ref(id, name, None, refs));
            } else if let Some(n) = &l.name
                && !(has_spdx && n.starts_with("License :: "))
            {
                parts.push(spdx_or_ref(n, name, l.text.as_ref(), refs));
            }
        }
    }
    parts.sort();
    parts.dedup();
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(
            parts
                .iter()
                .map(|p| {
                    if p.contains(' ') {
                        format!("({p})")
                    } else {
                        p.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

fn spdx_or_ref(
    raw: &str,
    component: &str,
    text: Option<&InText>,
    refs: &mut BTreeMap<String, LicenseRefText>,
) -> String {
    if let NormalisedLicense::Expression(e) = normalise_declared(raw) {
        if let (true, Some(text)) = (
            e.starts_with("LicenseRef-") && !e.contains(' '),
            plain_text(text),
        ) {
            refs.entry(e.clone()).or_insert(LicenseRefText {
                name: e.clone(),
                text,
            });
        }
        return e;
    }
    let id = license_ref_id(&[raw]);
    let text = plain_text(text).unwrap_or_else(|| {
        format!("The license named `{raw}`, as {component}'s SBOM entry declares it.")
    });
    refs.entry(id.clone()).or_insert(LicenseRefText {
        name: raw.to_owned(),
        text,
    });
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_go_into_license_id() {
        assert!(is_single_license_id("MIT"));
        assert!(!is_single_license_id("MPL-2.0+"));
        assert!(!is_single_license_id("Apache-2.0 WITH LLVM-exception"));
        assert!(!is_single_license_id("LicenseRef-x"));
    }
}
