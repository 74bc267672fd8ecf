//! License categories (permissive, weak copyleft, …) from `policies/categories.toml`, a data
//! table embedded in the binary.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::Deserialize;

/// What kind of license an SPDX id is, for policies and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Few conditions beyond attribution (MIT, Apache-2.0, BSD).
    Permissive,
    /// Copyleft limited to the licensed files or library (LGPL, MPL, EPL).
    WeakCopyleft,
    /// Copyleft over the whole combined work (GPL).
    StrongCopyleft,
    /// Copyleft triggered by network use (AGPL).
    NetworkCopyleft,
    /// No conditions at all (CC0, Unlicense).
    PublicDomain,
    /// Not open source (BUSL, Elastic, non-commercial terms).
    Proprietary,
    /// Not in the table: `LicenseRef-`s, `NOASSERTION`, ids nobody has classified.
    Unknown,
}

impl Category {
    /// Every category, in table order.
    pub const ALL: [Category; 7] = [
        Category::Permissive,
        Category::WeakCopyleft,
        Category::StrongCopyleft,
        Category::NetworkCopyleft,
        Category::PublicDomain,
        Category::Proprietary,
        Category::Unknown,
    ];

    /// The kebab-case name used in policies and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Permissive => "permissive",
            Category::WeakCopyleft => "weak-copyleft",
            Category::StrongCopyleft => "strong-copyleft",
            Category::NetworkCopyleft => "network-copyleft",
            Category::PublicDomain => "public-domain",
            Category::Proprietary => "proprietary",
            Category::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

/// The table as shipped.
pub const CATEGORIES_TOML: &str = include_str!("../../../../policies/categories.toml");

#[derive(Deserialize)]
struct Table {
    #[serde(flatten)]
    categories: HashMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    licenses: Vec<String>,
}

fn table() -> &'static HashMap<String, Category> {
    static TABLE: OnceLock<HashMap<String, Category>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut value: toml::Table = toml::from_str(CATEGORIES_TOML)
            .expect("policies/categories.toml is valid TOML (a unit test checks)");
        value.remove("schema");
        let parsed: Table = toml::Value::Table(value)
            .try_into()
            .expect("policies/categories.toml has the documented shape (a unit test checks)");
        let mut by_id = HashMap::new();
        for (name, entry) in parsed.categories {
            let category = name.parse().expect(
                "category names in policies/categories.toml are known (a unit test checks)",
            );
            for id in entry.licenses {
                by_id.insert(id, category);
            }
        }
        by_id
    })
}

/// The category of an SPDX license id (`Unknown` for anything unlisted, LicenseRefs included).
pub fn category_of(license_id: &str) -> Category {
    table()
        .get(license_id)
        .copied()
        .unwrap_or(Category::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_id_is_an_spdx_id_listed_once() {
        let value: toml::Table = toml::from_str(CATEGORIES_TOML).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (name, entry) in &value {
            if name == "schema" {
                continue;
            }
            assert!(name.parse::<Category>().is_ok(), "unknown category {name}");
            for id in entry["licenses"].as_array().unwrap() {
                let id = id.as_str().unwrap();
                assert!(
                    spdx::license_id(id).is_some(),
                    "{id} is not an SPDX license id"
                );
                assert!(seen.insert(id.to_owned()), "{id} is listed twice");
            }
        }
        assert!(table().len() > 50);
    }

    #[test]
    fn common_licenses_are_classified() {
        assert_eq!(category_of("MIT"), Category::Permissive);
        assert_eq!(category_of("Apache-2.0"), Category::Permissive);
        assert_eq!(category_of("MPL-2.0"), Category::WeakCopyleft);
        assert_eq!(category_of("GPL-3.0-only"), Category::StrongCopyleft);
        assert_eq!(category_of("AGPL-3.0-or-later"), Category::NetworkCopyleft);
        assert_eq!(category_of("CC0-1.0"), Category::PublicDomain);
        assert_eq!(category_of("LicenseRef-Foo"), Category::Unknown);
    }
}
