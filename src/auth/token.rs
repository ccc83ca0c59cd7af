//! Secrets handed out once (session ids, invitation codes, reset links, bot tokens):
//! 256 random bits, and the SHA-256 the database keeps instead. The secrets are never
//! guessable, so a fast unsalted hash is enough; a copy of the database opens nothing.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new secret: 32 random bytes, base64url (43 characters, safe in a path).
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database keeps of a secret: its SHA-256, in hex.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Bytes as lowercase hex. (A session's id is hashed and written out so on every
/// request: no string per byte.)
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Whether `secret` is the one `stored` is the digest of, compared in constant time.
pub fn matches(secret: &str, stored: &str) -> bool {
    digest(secret).as_bytes().ct_eq(stored.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_the_sha256_in_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_secret_matches_its_digest_only() {
        let secret = new_secret();
        assert_eq!(secret.len(), 43);
        assert!(matches(&secret, &digest(&secret)));
        assert!(!matches(&new_secret(), &digest(&secret)));
        assert_ne!(new_secret(), secret);
    }
}
