//! Staff SSH public keys: reading the line a staff member copies from their `.pub` file, and
//! naming a key by the `SHA256:` fingerprint OpenSSH prints. At the SSH layer a key is an extra
//! factor next to password and authenticator code, never a replacement for them.

use russh::keys::{Algorithm, HashAlg, PublicKey};

use crate::domain::sanitize::sanitize_line;

/// The longest label kept from a key's comment.
pub const LABEL_MAX_CHARS: usize = 60;

/// Why a pasted line cannot be added as a staff key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshKeyError {
    #[error(
        "Paste the whole line from the staff member's .pub file, such as `ssh-ed25519 AAAA… name@laptop`."
    )]
    Empty,
    #[error(
        "That is a private key: never share it. Paste the line from the matching .pub file instead."
    )]
    PrivateKey,
    #[error(
        "RSA keys are not supported by this build; create an Ed25519 key with `ssh-keygen -t ed25519` and paste its .pub line."
    )]
    Rsa,
    #[error("`{0}` keys are not accepted; use an Ed25519 or ECDSA key (`ssh-keygen -t ed25519`).")]
    Unsupported(String),
    #[error(
        "That is not an OpenSSH public key line; paste the whole line from the .pub file, starting with `ssh-ed25519` or `ecdsa-sha2-`."
    )]
    Unreadable,
}

/// A public key ready to be listed for a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    /// The OpenSSH algorithm name, such as `ssh-ed25519`.
    pub algorithm: String,
    /// The OpenSSH line without its comment, so the same key pasted with another comment is
    /// recognised as the same key.
    pub public_key: String,
    /// `SHA256:…`, as `ssh-keygen -l` and the SSH client print it.
    pub fingerprint: String,
    /// The key's comment, cleaned for the screen; often `name@machine`.
    pub label: String,
}

/// The `SHA256:…` fingerprint OpenSSH shows for `key`.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Whether keys of this algorithm may be listed for staff. RSA would need the `rsa` feature of
/// russh, which this build leaves out; DSA and security-key variants are not offered either.
fn accepted(algorithm: &Algorithm) -> Result<(), SshKeyError> {
    match algorithm {
        Algorithm::Ed25519 | Algorithm::Ecdsa { .. } => Ok(()),
        Algorithm::Rsa { .. } => Err(SshKeyError::Rsa),
        other => Err(SshKeyError::Unsupported(other.as_str().to_owned())),
    }
}

/// Reads one OpenSSH public key line (`ssh-ed25519 AAAA… comment`).
pub fn parse_public_key_line(line: &str) -> Result<ParsedKey, SshKeyError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(SshKeyError::Empty);
    }
    if line.contains("PRIVATE KEY") {
        return Err(SshKeyError::PrivateKey);
    }
    let algorithm_word = line.split_whitespace().next().unwrap_or_default();
    // Checked before parsing, so the advice is the same however the RSA data is encoded.
    if algorithm_word == "ssh-rsa" {
        return Err(SshKeyError::Rsa);
    }
    let key = PublicKey::from_openssh(line).map_err(|_| {
        // A known but refused algorithm gets its own advice even when the data is damaged.
        match algorithm_word.parse::<Algorithm>() {
            Ok(known) => accepted(&known).err().unwrap_or(SshKeyError::Unreadable),
            Err(_) => SshKeyError::Unreadable,
        }
    })?;
    let algorithm = key.algorithm();
    accepted(&algorithm)?;
    let public_key = PublicKey::new(key.key_data().clone(), "")
        .to_openssh()
        .map_err(|_| SshKeyError::Unreadable)?
        .trim()
        .to_owned();
    Ok(ParsedKey {
        algorithm: algorithm.as_str().to_owned(),
        public_key,
        fingerprint: fingerprint(&key),
        label: sanitize_line(key.comment().as_str_lossy())
            .chars()
            .take(LABEL_MAX_CHARS)
            .collect(),
    })
}

#[cfg(test)]
pub(crate) mod test_keys {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use russh::keys::{Algorithm, EcdsaCurve, PrivateKey};

    /// A deterministic key pair for tests; the same seed gives the same key.
    pub fn key_pair(seed: u64, algorithm: Algorithm) -> PrivateKey {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        PrivateKey::random(&mut rng, algorithm).expect("test key generates")
    }

    pub fn ed25519(seed: u64) -> PrivateKey {
        key_pair(seed, Algorithm::Ed25519)
    }

    pub fn ecdsa_p256(seed: u64) -> PrivateKey {
        key_pair(
            seed,
            Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256,
            },
        )
    }

    /// The `.pub` line for a key, with a comment.
    pub fn pub_line(key: &PrivateKey, comment: &str) -> String {
        let mut public = key.public_key().clone();
        public.set_comment(comment);
        public.to_openssh().expect("test key encodes")
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::*;
    use super::*;

    /// Public key lines made with `ssh-keygen -t rsa -b 1024` and `ssh-keygen -t dsa`.
    const RSA_LINE: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+lSvXXI6fG6ffJdbPKaR1QQnH/DwOVAuNvZ9hNJcwXdnHNUES7Ln4tkaxkgfhNVcxuu4xyQkzbKNszQueP6lXyeKrqOS6OEEO3mLdhW1R0eLrKJDa+BFKAj78RStX8WyQcHgNV3Ex71lrbqjd4DYHq1COolEbuBp1uBPk7mlzzQ== rsa@example";
    const DSA_LINE: &str = "ssh-dss AAAAB3NzaC1kc3MAAACBAJaca3iK8ekt7qMZ6nMQSpxYpQs3CyH15kYFeslRRKPoIgwOhn6uG+9r5++hULUXHVTVgUuLYRSeRqgwpqq/d9AZ5Ty/QYt5MvujcR/pJQG9f+AgVe+SbRai3RyrHxCa8LAOFTGZ0DiE8CIAf7RZDJUomZ7KF420bPYuuzIvDx8/AAAAFQClHSgEm2KB86mysXiADx2HyTx3uwAAAIACUd5qNq8wpqla8oXmzx+9GQfM+PgA3B3rz94v4rhWhhYNKD353a+1kkYdDxBoJox1m6dSMyC14ouhLlBJuaUnZcNUDMMiEtHy+0QaBO8mkmPgHB/2Fe3yQ2WvMXEPxZhmfQ996q/L8aXDZBDPApJV3HJmC9b/K7o0muWY8w3ilwAAAIBSq6Fd7P3Q7N5PUEYp53XhwsxzV4CxFifJJcDxZe/gJK9ylCV6ouCQzeDr3fZAw3VRvRbAVGWBO4fl260uOEnvhEcsjK7FAXg4i9K2nMnwFGtCIcY+97urpw54RULh9iD76SsRTOEu5bNQrCC++vR0TXQI0c1NYitPs0x0c+qV1w== dsa@example";

    #[test]
    fn an_ed25519_line_is_read_with_its_fingerprint_and_label() {
        let key = ed25519(1);
        let parsed =
            parse_public_key_line(&format!("  {}\n", pub_line(&key, "li.wei@laptop"))).unwrap();
        assert_eq!(parsed.algorithm, "ssh-ed25519");
        assert!(parsed.public_key.starts_with("ssh-ed25519 AAAA"));
        assert!(!parsed.public_key.contains("laptop"));
        assert_eq!(parsed.public_key.split(' ').count(), 2);
        assert_eq!(parsed.fingerprint, fingerprint(key.public_key()));
        assert!(parsed.fingerprint.starts_with("SHA256:"));
        assert_eq!(parsed.label, "li.wei@laptop");
    }

    #[test]
    fn the_same_key_with_another_comment_has_the_same_identity() {
        let key = ecdsa_p256(2);
        let a = parse_public_key_line(&pub_line(&key, "one")).unwrap();
        let b = parse_public_key_line(&pub_line(&key, "two")).unwrap();
        assert_eq!(a.algorithm, "ecdsa-sha2-nistp256");
        assert_eq!(a.public_key, b.public_key);
        assert_eq!(a.fingerprint, b.fingerprint);
    }

    #[test]
    fn rsa_private_and_garbled_lines_are_refused_with_advice() {
        assert_eq!(parse_public_key_line(RSA_LINE), Err(SshKeyError::Rsa));
        assert!(
            SshKeyError::Rsa
                .to_string()
                .contains("ssh-keygen -t ed25519")
        );
        assert_eq!(
            parse_public_key_line(DSA_LINE),
            Err(SshKeyError::Unsupported("ssh-dss".to_owned()))
        );
        assert_eq!(parse_public_key_line("   "), Err(SshKeyError::Empty));
        assert_eq!(
            parse_public_key_line("-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjE="),
            Err(SshKeyError::PrivateKey)
        );
        assert_eq!(
            parse_public_key_line("ssh-ed25519 notbase64!!"),
            Err(SshKeyError::Unreadable)
        );
        let line = pub_line(&ed25519(3), "x");
        let truncated = &line[..line.len() - 10];
        assert_eq!(
            parse_public_key_line(truncated),
            Err(SshKeyError::Unreadable)
        );
    }

    #[test]
    fn a_hostile_comment_is_cleaned_and_shortened() {
        let key = ed25519(4);
        let comment = format!("evil\u{202e}name{}", "x".repeat(100));
        let parsed = parse_public_key_line(&pub_line(&key, &comment)).unwrap();
        assert!(!parsed.label.contains('\u{202e}'));
        assert_eq!(parsed.label.chars().count(), LABEL_MAX_CHARS);
    }
}
