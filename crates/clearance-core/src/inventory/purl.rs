//! Package URLs (purl): building them for Cargo packages and reading the parts any SBOM's
//! purls carry.
//!
//! Cargo purls follow the purl spec's `cargo` type: `pkg:cargo/NAME@VERSION`, with
//! `repository_url` for registries other than crates.io, `vcs_url=git+URL@COMMIT` for git
//! sources, and `download_url=file:PATH` (relative to the workspace root) for path packages,
//! which are never on crates.io and must not be mistaken for crates of the same name there.

use std::collections::BTreeMap;

use super::Source;

/// The parts of a package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// The type, e.g. `cargo`, `pypi`.
    pub ty: String,
    /// The namespace, if any (decoded).
    pub namespace: Option<String>,
    /// The name (decoded).
    pub name: String,
    /// The version (decoded).
    pub version: Option<String>,
    /// The qualifiers (decoded), sorted by key.
    pub qualifiers: BTreeMap<String, String>,
}

impl Purl {
    /// Parses a package URL; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("pkg:")?.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(r, _subpath)| r);
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) if !p.is_empty() => (p, Some(decode(v)?)),
            _ => (rest, None),
        };
        let mut segments = path.trim_end_matches('/').split('/');
        let ty = segments.next()?.to_ascii_lowercase();
        let mut parts: Vec<&str> = segments.collect();
        let name = decode(parts.pop()?)?;
        if ty.is_empty() || name.is_empty() {
            return None;
        }
        let namespace = if parts.is_empty() {
            None
        } else {
            Some(
                parts
                    .iter()
                    .map(|p| decode(p))
                    .collect::<Option<Vec<_>>>()?
                    .join("/"),
            )
        };
        let mut qualifiers = BTreeMap::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=')?;
            qualifiers.insert(k.to_ascii_lowercase(), decode(v)?);
        }
        Some(Self {
            ty,
            namespace,
            name,
            version,
            qualifiers,
        })
    }

    /// The source a Cargo purl's qualifiers describe.
    pub fn cargo_source(&self) -> Source {
        if let Some(vcs) = self.qualifiers.get("vcs_url") {
            let vcs = vcs.strip_prefix("git+").unwrap_or(vcs);
            let (url, rev) = match vcs.rsplit_once('@') {
                Some((u, r)) if !r.contains('/') => (u, r),
                _ => (vcs, ""),
            };
            return Source::Git {
                url: url.to_owned(),
                rev: rev.to_owned(),
            };
        }
        if let Some(path) = self.qualifiers.get("download_url").and_then(|d| {
            d.strip_prefix("file://")
                .or_else(|| d.strip_prefix("file:"))
        }) {
            return Source::Path {
                path: path.to_owned(),
            };
        }
        let url = self
            .qualifiers
            .get("repository_url")
            .cloned()
            .unwrap_or_else(|| super::CRATES_IO_INDEX.to_owned());
        Source::Registry { url }
    }
}

/// The purl of a Cargo package from `source`.
pub fn cargo_purl(name: &str, version: &str, source: &Source) -> String {
    let mut purl = format!("pkg:cargo/{}@{}", encode(name), encode(version));
    let qualifier = match source {
        Source::Registry { url } if super::is_crates_io_url(url) => None,
        Source::Registry { url } => Some(("repository_url", url.clone())),
        Source::Git { url, rev } => Some(("vcs_url", format!("git+{url}@{rev}"))),
        Source::Path { path } => Some(("download_url", format!("file:{path}"))),
        Source::Unknown => None,
    };
    if let Some((key, value)) = qualifier {
        purl.push('?');
        purl.push_str(key);
        purl.push('=');
        purl.push_str(&encode(&value));
    }
    purl
}

/// Percent-encodes everything but unreserved characters and `:/@`, which purls leave as is.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_io_purls_are_plain() {
        let src = Source::Registry {
            url: super::super::CRATES_IO_INDEX.into(),
        };
        assert_eq!(cargo_purl("itoa", "1.0.11", &src), "pkg:cargo/itoa@1.0.11");
        assert_eq!(
            cargo_purl("x", "1.0.0+build.5", &src),
            "pkg:cargo/x@1.0.0%2Bbuild.5"
        );
    }

    #[test]
    fn git_and_path_sources_are_qualified_and_round_trip() {
        let cases = [
            Source::Git {
                url: "https://git.example.com/dep.git".into(),
                rev: "0123abcd".into(),
            },
            Source::Path {
                path: "local/legacy lgpl".into(),
            },
            Source::Registry {
                url: "sparse+https://my.registry/index/".into(),
            },
        ];
        for src in cases {
            let purl = cargo_purl("dep", "0.3.0", &src);
            let parsed = Purl::parse(&purl).unwrap();
            assert_eq!(parsed.ty, "cargo");
            assert_eq!(parsed.name, "dep");
            assert_eq!(parsed.version.as_deref(), Some("0.3.0"));
            assert_eq!(parsed.cargo_source(), src, "{purl}");
        }
        assert_eq!(
            cargo_purl(
                "d",
                "1.0.0",
                &Source::Git {
                    url: "https://h/r.git".into(),
                    rev: "abc".into()
                }
            ),
            "pkg:cargo/d@1.0.0?vcs_url=git%2Bhttps://h/r.git@abc"
        );
    }

    #[test]
    fn reads_file_urls_as_path_sources() {
        let p = Purl::parse("pkg:cargo/c@1.2.3?download_url=file://../local/c").unwrap();
        assert_eq!(
            p.cargo_source(),
            Source::Path {
                path: "../local/c".into()
            }
        );
    }

    #[test]
    fn parses_foreign_purls() {
        let p = Purl::parse("pkg:npm/%40angular/core@16.0.0?arch=x86#sub").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@angular"));
        assert_eq!(p.name, "core");
        assert_eq!(p.qualifiers.get("arch").map(String::as_str), Some("x86"));
        assert!(Purl::parse("not-a-purl").is_none());
        assert!(Purl::parse("pkg:").is_none());
        assert!(Purl::parse("pkg:pypi/bad%zz@1").is_none());
    }
}
