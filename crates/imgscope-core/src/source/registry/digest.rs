//! Checking bytes against an `algorithm:hex` digest (sha256, sha512), for everything a registry
//! sends: what does not match the digest it was asked for is never used.

use anyhow::{Result, bail};
use sha2::{Digest, Sha256, Sha512};

use crate::model::hex;

/// A running hash for one digest algorithm.
#[derive(Clone)]
pub enum Verifier {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Verifier {
    pub fn sha256() -> Verifier {
        Verifier::Sha256(Sha256::new())
    }

    /// The hash `digest` is written in; an algorithm other than sha256/sha512 is an error.
    pub fn new(digest: &str) -> Result<Verifier> {
        let (algorithm, value) = digest.split_once(':').unwrap_or(("", ""));
        let len = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => bail!("unsupported digest {digest:?} (sha256 and sha512 are)"),
        };
        if value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("invalid digest {digest:?}");
        }
        Ok(if algorithm == "sha256" {
            Verifier::sha256()
        } else {
            Verifier::Sha512(Sha512::new())
        })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Verifier::Sha256(h) => h.update(bytes),
            Verifier::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of what was fed, as `algorithm:hex`.
    pub fn finish(self) -> String {
        match self {
            Verifier::Sha256(h) => format!("sha256:{}", hex(&h.finalize())),
            Verifier::Sha512(h) => format!("sha512:{}", hex(&h.finalize())),
        }
    }

    /// The digest of `bytes` in this algorithm.
    pub fn digest_of(&self, bytes: &[u8]) -> String {
        let mut v = self.clone();
        v.update(bytes);
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_in_their_own_algorithm() {
        let v = Verifier::new(&format!("sha256:{}", "0".repeat(64))).unwrap();
        assert_eq!(
            v.digest_of(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(Verifier::new(&format!("sha512:{}", "a".repeat(128))).is_ok());
        assert!(Verifier::new("md5:abc").is_err());
        assert!(Verifier::new("sha256:xyz").is_err());
    }
}
