//! Time-based one-time codes (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, ±1 step),
//! enrolment data for authenticator apps, and single acceptance of each code.

use qrcode::types::Color;
use qrcode::{EcLevel, QrCode};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Totp};
use zeroize::Zeroizing;

use crate::entropy::{Entropy, EntropyError};

pub const SECRET_LEN: usize = 20;
pub const CODE_DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// Steps either side of the current one that are still accepted (clock drift, slow typing).
pub const SKEW_STEPS: u64 = 1;
/// Light modules around the code; the standard asks for 4, 2 scans reliably from a screen
/// and keeps the code inside an 80×24 terminal.
const QR_QUIET_ZONE: usize = 2;

/// A 160-bit TOTP shared secret.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<[u8; SECRET_LEN]>);

impl TotpSecret {
    pub fn generate(entropy: &dyn Entropy) -> Result<Self, EntropyError> {
        let mut bytes = Zeroizing::new([0u8; SECRET_LEN]);
        entropy.fill(bytes.as_mut_slice())?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
        if bytes.len() != SECRET_LEN {
            return Err(TotpError::WrongSecretLength { found: bytes.len() });
        }
        secret.copy_from_slice(bytes);
        Ok(Self(secret))
    }

    pub fn as_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    /// Unpadded RFC 4648 base32, the form authenticator apps accept for manual entry.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(self.0.as_slice()))
    }

    fn totp(&self) -> Result<Totp, TotpError> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(STEP_SECONDS)
            .with_skew(0)
            .with_secret(self.0.as_slice())
            .build()
            .map_err(|err| TotpError::Library(err.to_string()))
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// What a staff member needs to add the account to an authenticator app. All three fields
/// contain the secret.
pub struct Enrolment {
    pub otpauth_uri: Zeroizing<String>,
    pub secret_base32: Zeroizing<String>,
    /// The URI as a QR code in half-block characters; see [`qr_half_blocks`].
    pub qr_text: Zeroizing<String>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error(
        "a TOTP secret must be {SECRET_LEN} bytes, this one is {found}; re-enrol the authenticator"
    )]
    WrongSecretLength { found: usize },
    #[error(
        "the username is empty or contains ':', which authenticator apps cannot show; choose another username"
    )]
    InvalidAccountName,
    #[error(
        "the enrolment link is too long to draw as a QR code; shorten the shop name or username, or type the secret by hand"
    )]
    QrTooLong,
    #[error("the TOTP library refused the settings ({0}); report this as a bug")]
    Library(String),
}

/// The result of checking a code. Callers must show the same message for `Replayed` and
/// `Invalid`, and store `step` as the new last-used step on `Accepted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Accepted { step: u64 },
    Replayed,
    Invalid,
}

/// Builds the otpauth URI (issuer = shop name, account = username), the base32 secret and a
/// terminal QR code of the URI.
pub fn enrolment(secret: &TotpSecret, issuer: &str, account: &str) -> Result<Enrolment, TotpError> {
    let account = account.trim();
    if account.is_empty() || account.contains(':') {
        return Err(TotpError::InvalidAccountName);
    }
    // The issuer is only a label; a colon in a shop name should not block enrolment.
    let issuer = issuer.trim().replace(':', " -");
    let issuer = (!issuer.is_empty()).then_some(issuer);
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECONDS)
        .with_skew(0)
        .with_secret(secret.0.as_slice())
        .with_issuer(issuer)
        .with_account_name(account)
        .build()
        .map_err(|err| TotpError::Library(err.to_string()))?;
    let otpauth_uri = Zeroizing::new(
        totp.to_url()
            .map_err(|err| TotpError::Library(err.to_string()))?,
    );
    let qr_text = qr_half_blocks(otpauth_uri.as_bytes())?;
    Ok(Enrolment {
        otpauth_uri,
        secret_base32: secret.to_base32(),
        qr_text,
    })
}

/// Draws `data` as a QR code, two module rows per text line, with light modules (and the quiet
/// zone) drawn as ink: shown light-on-dark, it has the dark-on-light polarity scanners expect.
/// A front end should render it in a light foreground on a dark background whatever the theme.
pub fn qr_half_blocks(data: &[u8]) -> Result<Zeroizing<String>, TotpError> {
    // Level L keeps a typical otpauth URI at version 6 (41 modules) so it fits 80×24.
    let code =
        QrCode::with_error_correction_level(data, EcLevel::L).map_err(|_| TotpError::QrTooLong)?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QR_QUIET_ZONE;
    let is_ink = |x: usize, y: usize| -> bool {
        if y >= size {
            return false; // below the picture: terminal background
        }
        let inside = |v: usize| (QR_QUIET_ZONE..QR_QUIET_ZONE + width).contains(&v);
        if !inside(x) || !inside(y) {
            return true; // quiet zone
        }
        let index = (y - QR_QUIET_ZONE) * width + (x - QR_QUIET_ZONE);
        colors.get(index).copied() == Some(Color::Light)
    };
    let mut text = Zeroizing::new(String::with_capacity((size * 3 + 1) * size.div_ceil(2)));
    for top in (0..size).step_by(2) {
        for x in 0..size {
            text.push(match (is_ink(x, top), is_ink(x, top + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        text.push('\n');
    }
    Ok(text)
}

/// The code an authenticator shows at `unix_seconds`.
pub fn code_at(secret: &TotpSecret, unix_seconds: u64) -> String {
    code_for_step(secret, unix_seconds / STEP_SECONDS)
        .map(|code| code.to_string())
        .unwrap_or_default()
}

fn code_for_step(secret: &TotpSecret, step: u64) -> Option<Zeroizing<String>> {
    let totp = secret.totp().ok()?;
    Some(Zeroizing::new(
        totp.generate(step.checked_mul(STEP_SECONDS)?).to_string(),
    ))
}

/// Accepts a code for the current step or one step either side, once: a code whose step is
/// not after `last_used_step` is `Replayed`. Spaces inside the code are ignored.
pub fn verify_code(
    secret: &TotpSecret,
    code: &str,
    unix_seconds: u64,
    last_used_step: Option<u64>,
) -> CodeCheck {
    let typed: Zeroizing<String> =
        Zeroizing::new(code.chars().filter(|c| !c.is_whitespace()).collect());
    if typed.len() != CODE_DIGITS || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return CodeCheck::Invalid;
    }
    let current = unix_seconds / STEP_SECONDS;
    let mut matched_step = None;
    // Every candidate is computed and compared so timing does not reveal which step matched.
    for step in current.saturating_sub(SKEW_STEPS)..=current.saturating_add(SKEW_STEPS) {
        let Some(expected) = code_for_step(secret, step) else {
            continue;
        };
        if bool::from(expected.as_bytes().ct_eq(typed.as_bytes())) {
            matched_step = Some(step);
        }
    }
    match (matched_step, last_used_step) {
        (None, _) => CodeCheck::Invalid,
        (Some(step), Some(last)) if step <= last => CodeCheck::Replayed,
        (Some(step), _) => CodeCheck::Accepted { step },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    const RFC_SECRET: &[u8; 20] = b"12345678901234567890";

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(RFC_SECRET).unwrap()
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let eight_digits = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(8)
            .with_step_duration(30)
            .with_secret(RFC_SECRET.as_slice())
            .build()
            .unwrap();
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                eight_digits.generate(time).to_string(),
                expected,
                "t={time}"
            );
            // The six-digit code is the last six digits of the same truncation.
            assert_eq!(code_at(&rfc_secret(), time), expected[2..], "t={time}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let per_second = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(1)
            .with_secret(RFC_SECRET.as_slice())
            .build()
            .unwrap();
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(per_second.generate(counter as u64).to_string(), *code);
        }
    }

    #[test]
    fn one_step_of_skew_is_accepted_two_are_not() {
        let secret = TotpSecret::generate(&SeededEntropy::new(9)).unwrap();
        let now = 1_700_000_015;
        let current = now / STEP_SECONDS;
        for offset in [-1i64, 0, 1] {
            let step = current.checked_add_signed(offset).unwrap();
            let code = code_at(&secret, step * STEP_SECONDS);
            assert_eq!(
                verify_code(&secret, &code, now, None),
                CodeCheck::Accepted { step },
                "offset {offset}"
            );
        }
        for offset in [-2i64, 2] {
            let step = current.checked_add_signed(offset).unwrap();
            let code = code_at(&secret, step * STEP_SECONDS);
            assert_eq!(
                verify_code(&secret, &code, now, None),
                CodeCheck::Invalid,
                "offset {offset}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_once_and_time_never_goes_backwards() {
        let secret = TotpSecret::generate(&SeededEntropy::new(10)).unwrap();
        let now = 1_700_000_000;
        let code = code_at(&secret, now);
        let CodeCheck::Accepted { step } = verify_code(&secret, &code, now, None) else {
            panic!("fresh code refused");
        };
        assert_eq!(
            verify_code(&secret, &code, now, Some(step)),
            CodeCheck::Replayed
        );
        assert_eq!(
            verify_code(&secret, &code, now + 10, Some(step)),
            CodeCheck::Replayed
        );
        // The previous step's code is still inside the window but older than the last use.
        let earlier = code_at(&secret, now - STEP_SECONDS);
        assert_eq!(
            verify_code(&secret, &earlier, now, Some(step)),
            CodeCheck::Replayed
        );
        let next = code_at(&secret, now + STEP_SECONDS);
        assert_eq!(
            verify_code(&secret, &next, now + STEP_SECONDS, Some(step)),
            CodeCheck::Accepted { step: step + 1 }
        );
    }

    #[test]
    fn spaces_are_tolerated_and_other_shapes_are_invalid() {
        let secret = rfc_secret();
        let now = 59;
        let code = code_at(&secret, now);
        assert_eq!(code, "287082");
        assert_eq!(
            verify_code(&secret, "287 082", now, None),
            CodeCheck::Accepted { step: 1 }
        );
        assert_eq!(
            verify_code(&secret, " 28 70 82 ", now, None),
            CodeCheck::Accepted { step: 1 }
        );
        for bad in [
            "",
            "28708",
            "2870820",
            "+87082",
            "28708a",
            "２８７０８２",
            "287-082",
        ] {
            assert_eq!(
                verify_code(&secret, bad, now, None),
                CodeCheck::Invalid,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn base32_round_trips_and_is_unpadded() {
        let secret = TotpSecret::generate(&SeededEntropy::new(11)).unwrap();
        let encoded = secret.to_base32();
        assert_eq!(encoded.len(), 32);
        assert!(!encoded.contains('='));
        let decoded = data_encoding::BASE32_NOPAD
            .decode(encoded.as_bytes())
            .unwrap();
        assert_eq!(decoded.as_slice(), secret.as_bytes().as_slice());
        assert_eq!(
            rfc_secret().to_base32().as_str(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn wrong_length_secret_is_refused() {
        assert_eq!(
            TotpSecret::from_bytes(&[1; 16]).unwrap_err(),
            TotpError::WrongSecretLength { found: 16 }
        );
    }

    #[test]
    fn enrolment_carries_issuer_account_and_secret() {
        let secret = rfc_secret();
        let enrolment = enrolment(&secret, "Sparkle Wash", "maria").unwrap();
        assert_eq!(
            enrolment.otpauth_uri.as_str(),
            "otpauth://totp/Sparkle%20Wash:maria?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Sparkle%20Wash"
        );
        assert_eq!(
            enrolment.secret_base32.as_str(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        let parsed = Totp::from_url(enrolment.otpauth_uri.as_str()).unwrap();
        assert_eq!(parsed.secret().as_bytes(), RFC_SECRET);
        assert_eq!(parsed.issuer(), Some("Sparkle Wash"));
        assert_eq!(parsed.account_name(), "maria");

        let with_colon = super::enrolment(&secret, "Wash: Express", "maria").unwrap();
        assert!(with_colon.otpauth_uri.contains("issuer=Wash%20-%20Express"));
        assert_eq!(
            super::enrolment(&secret, "Shop", "ma:ria").unwrap_err(),
            TotpError::InvalidAccountName
        );
        assert_eq!(
            super::enrolment(&secret, "Shop", "  ").unwrap_err(),
            TotpError::InvalidAccountName
        );
    }

    #[test]
    fn qr_text_is_square_half_blocks_within_a_terminal() {
        let secret = TotpSecret::generate(&SeededEntropy::new(12)).unwrap();
        let enrolment = enrolment(&secret, "Sparkle Wash Downtown", "maria.gonzalez").unwrap();
        let lines: Vec<&str> = enrolment.qr_text.lines().collect();
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|line| line.chars().count() == width));
        assert!(width <= 80 && lines.len() <= 24, "{width}×{}", lines.len());
        assert_eq!(lines.len(), width.div_ceil(2));
        assert!(
            enrolment
                .qr_text
                .chars()
                .all(|c| matches!(c, '█' | '▀' | '▄' | ' ' | '\n'))
        );
        // The quiet zone: the first line is two full rows of light modules.
        assert!(lines[0].chars().all(|c| c == '█'));
        // The last line holds only the bottom quiet-zone row (the picture has odd height).
        assert!(lines[lines.len() - 1].chars().all(|c| c == '▀'));
    }

    #[test]
    fn qr_modules_match_the_library() {
        let data = b"otpauth://totp/x?secret=AAAA";
        let text = qr_half_blocks(data).unwrap();
        let code = QrCode::with_error_correction_level(data, EcLevel::L).unwrap();
        let width = code.width();
        let colors = code.to_colors();
        let rows: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        for y in 0..width {
            for x in 0..width {
                let (row, col) = ((y + QR_QUIET_ZONE) / 2, x + QR_QUIET_ZONE);
                let glyph = rows[row][col];
                let top_half = (y + QR_QUIET_ZONE).is_multiple_of(2);
                let inked = match glyph {
                    '█' => true,
                    '▀' => top_half,
                    '▄' => !top_half,
                    _ => false,
                };
                assert_eq!(inked, colors[y * width + x] == Color::Light, "({x},{y})");
            }
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let secret = rfc_secret();
        let base32 = secret.to_base32();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(base32.as_str()) && !shown.contains("12345678901234567890"));
        assert!(!shown.contains("49, 50, 51"));
        let enrolment = enrolment(&secret, "Shop", "maria").unwrap();
        let shown = format!("{enrolment:?}");
        assert!(!shown.contains(base32.as_str()));
        assert!(!shown.contains("otpauth"));
        assert!(!shown.contains('█'));
    }
}
