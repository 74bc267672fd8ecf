//! Signers files (`snapshot --signers FILE`, `snapshot verify --signers FILE`): the parser,
//! then what a snapshot does with the signers: match certificate identities, and record each
//! signer in its manifest (a record must read back as the same signer).

#![no_main]

use std::path::Path;

use clearance_attest::signers::{SignerSpec, Signers};
use libfuzzer_sys::fuzz_target;

/// Identities a certificate may carry.
const SANS: [&str; 4] = [
    "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3",
    "compliance@acme.example",
    "",
    "https://github.com/evil/x?https://github.com/acme/app",
];

fuzz_target!(|data: &[u8]| {
    clearance_fuzz::guard_stack();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let signers = match Signers::parse(Path::new("signers.toml"), text) {
        Ok(signers) => signers,
        Err(e) => {
            std::hint::black_box(e.to_string());
            return;
        }
    };
    std::hint::black_box(signers.path());
    for policy in signers.evidence.iter().chain(&signers.snapshot) {
        for san in SANS {
            std::hint::black_box(policy.identity.matches(san));
        }
        std::hint::black_box(policy.identity.to_string());
        let spec = SignerSpec::of(policy);
        let again = spec
            .policy()
            .unwrap_or_else(|e| panic!("a recorded signer is not a signer: {e}: {spec:?}"));
        assert_eq!(
            SignerSpec::of(&again),
            spec,
            "a signer changed when recorded"
        );
        let json = serde_json::to_string(&spec).expect("a signer serialises");
        let back: SignerSpec = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("a recorded signer does not read back: {e}: {json}"));
        assert_eq!(back, spec, "a signer changed through its JSON record");
    }
});
