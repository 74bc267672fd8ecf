//! SPDX 3.0.1 JSON-LD: writing, and reading what the core, software and simple-licensing
//! profiles say about packages.
//!
//! The graph holds one `CreationInfo` (created by a `SoftwareAgent` for clearance, using a
//! `Tool`), an `SpdxDocument` and a `software_Sbom` rooted at the product, a
//! `software_Package` per component (purl, version, SHA-256, download location, supplier and
//! originators as `Organization`/`Person` agents), a `simplelicensing_LicenseExpression` per
//! distinct declared license linked by `hasDeclaredLicense`, and `dependsOn` relationships:
//! plain `Relationship`s for normal edges, `LifecycleScopedRelationship`s scoped `build` or
//! `development` for the others, one per dependent and scope. `LicenseRef-`s map to `simplelicensing_SimpleLicensingText`
//! elements through `simplelicensing_customIdToUri`.
//!
//! Keys are written in sorted order (serde_json's map), which JSON-LD does not mind.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::json::{parse, to_pretty};
use super::spdx2::{document_name, download_location, sanitize, spdx_ids, used_license_refs};
use super::{UUID_PLACEHOLDER, WriteOptions, stamp_uuid};
use crate::diag::Diagnostic;
use crate::inventory::purl::Purl;
use crate::inventory::{
    Component, ComponentId, DepKind, Ecosystem, Edge, Inventory, LicenseRefText, Party,
};
use crate::license::{NormalisedLicense, license_ref_id, normalise_declared};

const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const CREATION: &str = "_:creationinfo";

/// Writes the inventory as SPDX 3.0.1 JSON-LD.
pub(super) fn write(inventory: &Inventory, created: &str, options: &WriteOptions) -> Vec<u8> {
    let name = document_name(inventory);
    let base = format!(
        "https://spdx.org/spdxdocs/{}-{UUID_PLACEHOLDER}",
        sanitize(&name)
    );
    let iri = |local: &str| format!("{base}#{local}");
    let ids = spdx_ids(inventory);
    let pkg_iri: BTreeMap<&ComponentId, String> = ids.iter().map(|(k, v)| (*k, iri(v))).collect();

    let mut graph: Vec<Value> = Vec::new();
    let agent = iri("SPDXRef-Agent-clearance");
    let tool = iri("SPDXRef-Tool-clearance");
    graph.push(json!({
        "type": "CreationInfo", "@id": CREATION, "specVersion": "3.0.1", "created": created,
        "createdBy": [agent], "createdUsing": [tool],
    }));
    graph.push(json!({"type": "SoftwareAgent", "spdxId": agent, "creationInfo": CREATION, "name": options.tool_name}));
    graph.push(json!({"type": "Tool", "spdxId": tool, "creationInfo": CREATION, "name": format!("{} {}", options.tool_name, options.tool_version)}));

    let mut agents: BTreeMap<String, Value> = BTreeMap::new();
    let mut agent_iri = |kind: &str, p: &Party| -> String {
        let local = format!("SPDXRef-{kind}-{}", sanitize(&p.name));
        let id = iri(&local);
        agents.entry(id.clone()).or_insert_with(|| {
            let mut v = json!({"type": kind, "spdxId": id, "creationInfo": CREATION, "name": p.name});
            if let Some(e) = &p.email {
                v["externalIdentifier"] = json!([{"type": "ExternalIdentifier", "externalIdentifierType": "email", "identifier": e}]);
            }
            v
        });
        id
    };

    let mut licenses: BTreeMap<&str, String> = BTreeMap::new();
    let mut relationships: Vec<Value> = Vec::new();
    let mut elements: Vec<String> = Vec::new();
    for c in inventory.components.values() {
        let id = &pkg_iri[&c.id];
        let mut pkg = json!({
            "type": "software_Package", "spdxId": id, "creationInfo": CREATION, "name": c.name,
            "software_packageVersion": c.version,
            "software_primaryPurpose": if inventory.roots.contains(&c.id) { "application" } else { "library" },
        });
        let dl = download_location(c);
        if dl != "NOASSERTION" {
            pkg["software_downloadLocation"] = json!(dl);
        }
        if let Some(p) = &c.purl {
            pkg["software_packageUrl"] = json!(p);
            pkg["externalIdentifier"] = json!([{"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl", "identifier": p}]);
        }
        if let Some(h) = &c.sha256 {
            pkg["verifiedUsing"] = json!([{"type": "Hash", "algorithm": "sha256", "hashValue": h}]);
        }
        if let Some(h) = &c.homepage {
            pkg["software_homePage"] = json!(h);
        }
        if let Some(d) = &c.description {
            pkg["description"] = json!(d);
        }
        let mut refs = Vec::new();
        if let Some(r) = &c.repository {
            refs.push(json!({"type": "ExternalRef", "externalRefType": "vcs", "locator": [r]}));
        }
        if let Some(d) = &c.documentation {
            refs.push(
                json!({"type": "ExternalRef", "externalRefType": "documentation", "locator": [d]}),
            );
        }
        if !refs.is_empty() {
            pkg["externalRef"] = Value::Array(refs);
        }
        if let Some(s) = &c.supplier {
            pkg["suppliedBy"] = json!(agent_iri("Organization", s));
        }
        if !c.authors.is_empty() {
            pkg["originatedBy"] = Value::Array(
                c.authors
                    .iter()
                    .map(|a| json!(agent_iri("Person", a)))
                    .collect(),
            );
        }
        graph.push(pkg);
        elements.push(id.clone());
        if let Some(l) = &c.license {
            let n = licenses.len();
            let lic = licenses
                .entry(l.as_str())
                .or_insert_with(|| iri(&format!("SPDXRef-License-{n}")))
                .clone();
            relationships.push(relationship(
                &iri,
                relationships.len(),
                id,
                "hasDeclaredLicense",
                &[lic],
                None,
            ));
        }
    }
    // One relationship per dependent and scope, listing all its dependencies of that kind.
    let mut grouped: BTreeMap<(&ComponentId, DepKind), Vec<String>> = BTreeMap::new();
    for e in &inventory.edges {
        grouped
            .entry((&e.from, e.kind))
            .or_default()
            .push(pkg_iri[&e.to].clone());
    }
    for ((from, kind), to) in grouped {
        let scope = match kind {
            DepKind::Normal => None,
            DepKind::Build => Some("build"),
            DepKind::Dev => Some("development"),
        };
        let rel = relationship(
            &iri,
            relationships.len(),
            &pkg_iri[from],
            "dependsOn",
            &to,
            scope,
        );
        relationships.push(rel);
    }
    let used = used_license_refs(inventory);
    let custom: Vec<Value> = inventory
        .license_refs
        .iter()
        .filter(|(id, _)| used.contains(id.as_str()))
        .map(|(id, t)| {
            let text_iri = iri(&format!("SPDXRef-Text-{}", sanitize(id)));
            graph.push(json!({"type": "simplelicensing_SimpleLicensingText", "spdxId": text_iri, "creationInfo": CREATION, "name": t.name, "simplelicensing_licenseText": t.text}));
            elements.push(text_iri.clone());
            json!({"type": "DictionaryEntry", "key": id, "value": text_iri})
        })
        .collect();
    for (expr, id) in &licenses {
        let mut v = json!({"type": "simplelicensing_LicenseExpression", "spdxId": id, "creationInfo": CREATION,
            "simplelicensing_licenseExpression": expr, "simplelicensing_licenseListVersion": license_list_version()});
        let mine: Vec<&Value> = custom
            .iter()
            .filter(|d| expr.contains(d["key"].as_str().unwrap_or("\0")))
            .collect();
        if !mine.is_empty() {
            v["simplelicensing_customIdToUri"] = json!(mine);
        }
        graph.push(v);
        elements.push(id.clone());
    }
    elements.extend(agents.keys().cloned());
    graph.extend(agents.into_values());
    elements.extend(
        relationships
            .iter()
            .filter_map(|r| r["spdxId"].as_str().map(str::to_owned)),
    );
    graph.extend(relationships);

    let roots: Vec<&String> = inventory.roots.iter().map(|r| &pkg_iri[r]).collect();
    let sbom_iri = iri("SPDXRef-Sbom");
    elements.sort();
    graph.push(
        json!({"type": "software_Sbom", "spdxId": sbom_iri, "creationInfo": CREATION, "name": name,
        "software_sbomType": ["build"], "rootElement": roots, "element": elements}),
    );
    graph.push(json!({"type": "SpdxDocument", "spdxId": iri("SPDXRef-DOCUMENT"), "creationInfo": CREATION, "name": name,
        "profileConformance": ["core", "software", "simpleLicensing"], "rootElement": [sbom_iri], "element": [sbom_iri]}));
    let doc = json!({"@context": CONTEXT, "@graph": graph});
    stamp_uuid(to_pretty(&doc), UUID_PLACEHOLDER)
}

/// The SPDX License List version in `major.minor` form, as SPDX 3 requires.
fn license_list_version() -> String {
    let v = spdx::identifiers::VERSION;
    if v.matches('.').count() >= 2 {
        v.to_owned()
    } else {
        format!("{v}.0")
    }
}

fn relationship(
    iri: &impl Fn(&str) -> String,
    n: usize,
    from: &str,
    ty: &str,
    to: &[String],
    scope: Option<&str>,
) -> Value {
    let mut v = json!({"type": if scope.is_some() { "LifecycleScopedRelationship" } else { "Relationship" },
        "spdxId": iri(&format!("SPDXRef-Relationship-{n}")), "creationInfo": CREATION,
        "from": from, "relationshipType": ty, "to": to});
    if let Some(s) = scope {
        v["scope"] = json!(s);
    }
    v
}

// ---------------------------------------------------------------------------------------
// Reading

/// Reads an SPDX 3.0 JSON-LD document into an inventory.
pub(super) fn read(path: &Path, text: &str) -> Result<Inventory, Diagnostic> {
    let doc: Map<String, Value> = parse(path, text, "not a readable SPDX 3 document")?;
    let graph = doc
        .get("@graph")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let by_id: HashMap<&str, &Value> = graph
        .iter()
        .filter_map(|e| Some((e.get("spdxId")?.as_str()?, e)))
        .collect();
    let ty = |e: &Value| {
        e.get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
    let list = |e: &Value, k: &str| -> Vec<String> {
        match e.get(k) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    };

    let mut inventory = Inventory::default();
    let mut comp_of: HashMap<String, ComponentId> = HashMap::new();
    let agent = |iri: &str| -> Option<Party> {
        let a = by_id.get(iri)?;
        let email = a
            .get("externalIdentifier")
            .and_then(Value::as_array)
            .and_then(|ids| {
                ids.iter()
                    .find(|i| {
                        i.get("externalIdentifierType").and_then(Value::as_str) == Some("email")
                    })?
                    .get("identifier")?
                    .as_str()
                    .map(str::to_owned)
            });
        Some(Party {
            name: s(a, "name")?,
            email,
        })
    };
    for e in graph.iter().filter(|e| ty(e) == "software_Package") {
        let Some(spdx_id) = s(e, "spdxId") else {
            continue;
        };
        let purl_text = s(e, "software_packageUrl").or_else(|| {
            e.get("externalIdentifier")?
                .as_array()?
                .iter()
                .find(|i| {
                    i.get("externalIdentifierType").and_then(Value::as_str) == Some("packageUrl")
                })?
                .get("identifier")?
                .as_str()
                .map(str::to_owned)
        });
        let id = ComponentId(purl_text.clone().unwrap_or_else(|| spdx_id.clone()));
        let mut c = Component::new(
            id.clone(),
            s(e, "name").unwrap_or_default(),
            s(e, "software_packageVersion").unwrap_or_default(),
        );
        if let Some(p) = purl_text.as_deref().and_then(Purl::parse) {
            c.ecosystem = if p.ty == "cargo" {
                Ecosystem::Cargo
            } else {
                Ecosystem::Other(p.ty.clone())
            };
            if p.ty == "cargo" {
                c.source = p.cargo_source();
            }
        }
        c.purl = purl_text;
        c.sha256 = e
            .get("verifiedUsing")
            .and_then(Value::as_array)
            .and_then(|hs| {
                hs.iter()
                    .find(|h| h.get("algorithm").and_then(Value::as_str) == Some("sha256"))?
                    .get("hashValue")?
                    .as_str()
                    .map(str::to_ascii_lowercase)
            });
        c.homepage = s(e, "software_homePage");
        c.description = s(e, "description");
        c.supplier = s(e, "suppliedBy").and_then(|a| agent(&a));
        c.authors = list(e, "originatedBy")
            .iter()
            .filter_map(|a| agent(a))
            .collect();
        for r in e
            .get("externalRef")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let loc = r
                .get("locator")
                .and_then(Value::as_array)
                .and_then(|l| l.first())
                .and_then(Value::as_str)
                .map(str::to_owned);
            match r.get("externalRefType").and_then(Value::as_str) {
                Some("vcs") => c.repository = loc,
                Some("documentation") => c.documentation = loc,
                _ => {}
            }
        }
        comp_of.insert(spdx_id, id.clone());
        inventory.components.insert(id, c);
    }
    for r in graph.iter().filter(|e| {
        matches!(
            ty(e).as_str(),
            "Relationship" | "LifecycleScopedRelationship"
        )
    }) {
        let (Some(from), rel) = (s(r, "from"), s(r, "relationshipType").unwrap_or_default()) else {
            continue;
        };
        let Some(from_id) = comp_of.get(&from).cloned() else {
            continue;
        };
        for to in list(r, "to") {
            match rel.as_str() {
                "dependsOn" => {
                    let kind = match s(r, "scope").as_deref() {
                        Some("build") => DepKind::Build,
                        Some("development" | "test") => DepKind::Dev,
                        _ => DepKind::Normal,
                    };
                    if let Some(to_id) = comp_of.get(&to) {
                        inventory.edges.push(Edge {
                            from: from_id.clone(),
                            to: to_id.clone(),
                            kind,
                        });
                    }
                }
                "hasDeclaredLicense" => {
                    if let Some(lic) = by_id.get(to.as_str()) {
                        let expr = s(lic, "simplelicensing_licenseExpression").unwrap_or_default();
                        let license =
                            declared_license(&expr, lic, &by_id, &mut inventory.license_refs);
                        if let Some(c) = inventory.components.get_mut(&from_id) {
                            c.license = license;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let sboms: Vec<&Value> = graph.iter().filter(|e| ty(e) == "software_Sbom").collect();
    for sbom in sboms {
        inventory.roots.extend(
            list(sbom, "rootElement")
                .iter()
                .filter_map(|r| comp_of.get(r).cloned()),
        );
    }
    inventory.normalise();
    inventory.name = inventory
        .primary_root()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    Ok(inventory)
}

fn declared_license(
    expr: &str,
    lic: &Value,
    by_id: &HashMap<&str, &Value>,
    refs: &mut BTreeMap<String, LicenseRefText>,
) -> Option<String> {
    for entry in lic
        .get("simplelicensing_customIdToUri")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(key), Some(target)) = (
            entry.get("key").and_then(Value::as_str),
            entry.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        let text_el = by_id.get(target);
        refs.entry(key.to_owned())
            .or_insert_with(|| LicenseRefText {
                name: text_el
                    .and_then(|t| t.get("name")?.as_str())
                    .unwrap_or(key)
                    .to_owned(),
                text: text_el
                    .and_then(|t| t.get("simplelicensing_licenseText")?.as_str())
                    .unwrap_or_default()
                    .to_owned(),
            });
    }
    match normalise_declared(expr) {
        NormalisedLicense::Expression(e) if !matches!(e.as_str(), "NOASSERTION" | "NONE") => {
            Some(e)
        }
        NormalisedLicense::Expression(_) => None,
        NormalisedLicense::Invalid { .. } if expr.trim().is_empty() => None,
        NormalisedLicense::Invalid { .. } => {
            let id = license_ref_id(&[expr]);
            refs.entry(id.clone()).or_insert(LicenseRefText {
                name: expr.to_owned(),
                text: format!("The license `{expr}` as declared."),
            });
            Some(id)
        }
    }
}
