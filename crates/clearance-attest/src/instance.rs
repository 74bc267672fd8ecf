//! Which Sigstore instance to trust and to sign with: public-good, staging, a local
//! `sigstore-dev`, or a ClientTrustConfig file (the same file sigstore-python takes with
//! `--trust-config`).
//!
//! The public-good and staging trusted roots and signing configs ship embedded, so verifying
//! never fetches anything. Updating them through TUF is left to a newer release of clearance:
//! a verifier that silently fetched its roots would not be offline by construction.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use sigstore_trust_root::{SigningConfig, SigstoreInstance, TrustedRoot};

/// Media type of a ClientTrustConfig document.
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// Where `sigstore-dev` keeps its state unless told otherwise, relative to the current
/// directory; `CLEARANCE_SIGSTORE_DEV_DIR` overrides it.
pub const DEFAULT_DEV_DIR: &str = ".clearance/sigstore-dev";

/// File name of the ClientTrustConfig that `sigstore-dev` writes into its directory.
pub const TRUST_CONFIG_FILE: &str = "trust_config.json";

/// A Sigstore instance as named on the command line (`--sigstore`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instance {
    /// The public-good instance (sigstore.dev).
    PublicGood,
    /// The public staging instance.
    Staging,
    /// The local, untrusted `clearance sigstore-dev` instance, found through its directory.
    Dev,
    /// A ClientTrustConfig JSON file.
    File(PathBuf),
}

impl FromStr for Instance {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(match value {
            "public-good" => Instance::PublicGood,
            "staging" => Instance::Staging,
            "dev" => Instance::Dev,
            path => Instance::File(PathBuf::from(path)),
        })
    }
}

impl std::fmt::Display for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Instance::PublicGood => f.write_str("public-good"),
            Instance::Staging => f.write_str("staging"),
            Instance::Dev => f.write_str("dev"),
            Instance::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The directory of the local `sigstore-dev` instance: `CLEARANCE_SIGSTORE_DEV_DIR`, else
/// [`DEFAULT_DEV_DIR`].
pub fn dev_dir() -> PathBuf {
    std::env::var_os("CLEARANCE_SIGSTORE_DEV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DEV_DIR))
}

/// What an instance gives a client: the roots to verify against, and where to sign.
#[derive(Debug, Clone)]
pub struct TrustMaterial {
    /// The trusted root (CAs, transparency logs, CT logs, timestamp authorities).
    pub trusted_root: TrustedRoot,
    /// The signing config (Fulcio, Rekor, OIDC and TSA URLs), when the instance has one.
    pub signing_config: Option<SigningConfig>,
    /// Where the material came from, for messages.
    pub origin: String,
}

/// The trusted root bundles are verified against, and where it came from (an instance, or
/// a `--trusted-root` file).
pub struct TrustedRootChoice {
    /// The root.
    pub root: TrustedRoot,
    /// Where it came from, for messages and records.
    pub origin: String,
}

/// Why an instance's trust material could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// The file is JSON but not a document clearance can use.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The embedded material of a well-known instance did not load (a build defect).
    #[error("embedded trust material of {instance}: {message}")]
    Embedded {
        /// The instance.
        instance: String,
        /// What was wrong.
        message: String,
    },
}

impl InstanceError {
    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            InstanceError::Read { .. } => {
                "pass --sigstore public-good|staging|dev or the path of a ClientTrustConfig \
                 JSON file; for `dev`, start `clearance sigstore-dev` first"
            }
            InstanceError::Malformed { .. } | InstanceError::Invalid { .. } => {
                "a trust config is a ClientTrustConfig (trustedRoot + signingConfig), as \
                 written by `clearance sigstore-dev` or taken by `sigstore --trust-config`"
            }
            InstanceError::Embedded { .. } => "report this as a bug in clearance",
        }
    }
}

impl Instance {
    /// Load the instance's trust material. Nothing is fetched from the network.
    pub fn load(&self) -> Result<TrustMaterial, InstanceError> {
        match self {
            Instance::PublicGood => embedded(SigstoreInstance::PublicGood, "public-good"),
            Instance::Staging => embedded(SigstoreInstance::Staging, "staging"),
            Instance::Dev => load_client_trust_config(&dev_dir().join(TRUST_CONFIG_FILE)),
            Instance::File(path) => load_client_trust_config(path),
        }
    }
}

fn embedded(instance: SigstoreInstance, name: &str) -> Result<TrustMaterial, InstanceError> {
    let failed = |message: String| InstanceError::Embedded {
        instance: name.to_string(),
        message,
    };
    let trusted_root = instance
        .embedded_trusted_root()
        .map_err(|e| failed(e.to_string()))?;
    let signing_config = instance
        .embedded_signing_config()
        .map_err(|e| failed(e.to_string()))?;
    Ok(TrustMaterial {
        trusted_root,
        signing_config,
        origin: name.to_string(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientTrustConfig {
    media_type: String,
    trusted_root: serde_json::Value,
    #[serde(default)]
    signing_config: Option<serde_json::Value>,
}

/// Load a ClientTrustConfig JSON file.
pub fn load_client_trust_config(path: &Path) -> Result<TrustMaterial, InstanceError> {
    let text = read(path)?;
    let config: ClientTrustConfig = parse_json(path, &text)?;
    if config.media_type != CLIENT_TRUST_CONFIG_MEDIA_TYPE {
        return Err(InstanceError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "mediaType is `{}`, expected `{CLIENT_TRUST_CONFIG_MEDIA_TYPE}`",
                config.media_type
            ),
        });
    }
    let invalid = |what: &str, e: &dyn std::fmt::Display| InstanceError::Invalid {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    };
    let trusted_root = TrustedRoot::from_json(&config.trusted_root.to_string())
        .map_err(|e| invalid("trustedRoot", &e))?;
    let signing_config = config
        .signing_config
        .map(|value| SigningConfig::from_json(&value.to_string()))
        .transpose()
        .map_err(|e| invalid("signingConfig", &e))?;
    Ok(TrustMaterial {
        trusted_root,
        signing_config,
        origin: path.display().to_string(),
    })
}

/// Load a bare trusted root JSON file (`--trusted-root`).
pub fn load_trusted_root(path: &Path) -> Result<TrustedRoot, InstanceError> {
    let text = read(path)?;
    let _: serde_json::Value = parse_json(path, &text)?;
    TrustedRoot::from_json(&text).map_err(|e| InstanceError::Invalid {
        path: path.to_path_buf(),
        message: format!("not a Sigstore trusted root: {e}"),
    })
}

fn read(path: &Path) -> Result<String, InstanceError> {
    std::fs::read_to_string(path).map_err(|source| InstanceError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, InstanceError> {
    serde_json::from_str(text).map_err(|e| InstanceError::Malformed {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_instances() {
        assert_eq!(
            "public-good".parse::<Instance>().unwrap(),
            Instance::PublicGood
        );
        assert_eq!("dev".parse::<Instance>().unwrap(), Instance::Dev);
        assert_eq!(
            "x/trust.json".parse::<Instance>().unwrap(),
            Instance::File(PathBuf::from("x/trust.json"))
        );
    }

    #[test]
    fn embedded_roots_load() {
        let material = Instance::PublicGood.load().unwrap();
        assert!(!material.trusted_root.tlogs.is_empty());
        assert!(material.signing_config.is_some());
    }
}
