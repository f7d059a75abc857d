//! Scrubbing the credential out of what the plugin gets back, so an upstream that echoes
//! it (debug endpoints, error pages, reflected headers) cannot hand it to the sandbox.
//!
//! Works on bytes. Covers the raw secret, its URL-encoded, base64 and JSON-escaped forms,
//! and for Basic the base64 of `user:password`. It cannot see a secret that the upstream
//! transformed otherwise (hashed, split, or base64-encoded inside a larger blob).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretSlice};

use super::credential::Credential;

/// What replaces each occurrence of a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Every byte string that would reveal the credential.
pub(super) struct Redactor {
    /// Longest first, so the longest form wins where two overlap.
    needles: Vec<SecretSlice<u8>>,
    /// `first[b]` when some needle starts with byte `b`.
    first: [bool; 256],
}

fn percent_encode(raw: &[u8], upper: bool) -> Vec<u8> {
    let hex: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = Vec::with_capacity(raw.len() * 3);
    for &b in raw {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else {
            out.extend([b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]);
        }
    }
    out
}

fn json_escape(raw: &str, escape_slash: bool) -> Vec<u8> {
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slash => out.push_str("\\/"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.into_bytes()
}

fn base64_forms(raw: &[u8]) -> [Vec<u8>; 4] {
    [
        STANDARD.encode(raw).into_bytes(),
        STANDARD_NO_PAD.encode(raw).into_bytes(),
        URL_SAFE.encode(raw).into_bytes(),
        URL_SAFE_NO_PAD.encode(raw).into_bytes(),
    ]
}

/// The raw secret and the encodings an echoing server is likely to use.
fn forms_of(secret: &str) -> Vec<Vec<u8>> {
    let raw = secret.as_bytes();
    let mut forms = vec![
        raw.to_vec(),
        url::form_urlencoded::byte_serialize(raw)
            .collect::<String>()
            .into_bytes(),
        percent_encode(raw, true),
        percent_encode(raw, false),
        json_escape(secret, false),
        json_escape(secret, true),
    ];
    forms.extend(base64_forms(raw));
    forms
}

impl Redactor {
    /// The needles for one credential.
    pub(super) fn for_credential(credential: &Credential) -> Self {
        let mut forms = match credential {
            Credential::Bearer(s)
            | Credential::Header { secret: s, .. }
            | Credential::Query { secret: s, .. } => forms_of(s.expose_secret()),
            Credential::Basic { username, password } => {
                let mut forms = forms_of(password.expose_secret());
                let pair = format!("{username}:{}", password.expose_secret());
                forms.extend(base64_forms(pair.as_bytes()));
                forms
            }
        };
        forms.retain(|f| !f.is_empty());
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        let mut first = [false; 256];
        for f in &forms {
            if let Some(&b) = f.first() {
                first[usize::from(b)] = true;
            }
        }
        Self {
            needles: forms.into_iter().map(SecretSlice::from).collect(),
            first,
        }
    }

    /// The length of the needle that starts at `input[i]`, if any.
    fn match_at(&self, input: &[u8], i: usize) -> Option<usize> {
        let b = *input.get(i)?;
        if !self.first[usize::from(b)] {
            return None;
        }
        let tail = &input[i..];
        self.needles
            .iter()
            .map(|n| n.expose_secret())
            .find(|n| tail.starts_with(n))
            .map(|n| n.len())
    }

    /// True when `input` reveals the secret in one of the covered forms.
    pub(super) fn reveals(&self, input: &[u8]) -> bool {
        (0..input.len()).any(|i| self.match_at(input, i).is_some())
    }

    /// `input` with every covered form of the secret replaced by [`REDACTED`].
    pub(super) fn redact(&self, input: Vec<u8>) -> Vec<u8> {
        if !self.reveals(&input) {
            return input;
        }
        let mut out = Vec::with_capacity(input.len());
        let mut i = 0;
        while i < input.len() {
            match self.match_at(&input, i) {
                Some(len) => {
                    out.extend_from_slice(REDACTED.as_bytes());
                    i += len;
                }
                None => {
                    out.push(input[i]);
                    i += 1;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr/t+key=\"x\"";

    fn bearer() -> Redactor {
        Redactor::for_credential(&Credential::Bearer(SECRET.into()))
    }

    #[test]
    fn every_form_of_the_secret_is_replaced() {
        let r = bearer();
        let forms = forms_of(SECRET);
        assert!(forms.len() >= 8);
        for form in forms {
            let mut body = b"before ".to_vec();
            body.extend_from_slice(&form);
            body.extend_from_slice(b" after");
            let out = r.redact(body);
            assert_eq!(out, b"before [REDACTED] after", "{form:?}");
        }
    }

    #[test]
    fn works_on_non_utf8_bodies_and_repeats() {
        let r = bearer();
        let mut body = vec![0xff, 0xfe];
        body.extend_from_slice(SECRET.as_bytes());
        body.push(0x00);
        body.extend_from_slice(SECRET.as_bytes());
        let out = r.redact(body);
        assert_eq!(out, b"\xff\xfe[REDACTED]\x00[REDACTED]");
    }

    #[test]
    fn untouched_input_is_returned_as_is() {
        let r = bearer();
        assert_eq!(r.redact(b"nothing here".to_vec()), b"nothing here");
        assert!(!r.reveals(b"s3cr"));
    }

    #[test]
    fn basic_covers_password_and_pair() {
        let r = Redactor::for_credential(&Credential::Basic {
            username: "alice@example.com".into(),
            password: "hunter2-hunter2".into(),
        });
        let pair = STANDARD.encode("alice@example.com:hunter2-hunter2");
        let body =
            format!("Authorization: Basic {pair} / pw=hunter2-hunter2 / user alice@example.com");
        let out = String::from_utf8(r.redact(body.into_bytes())).unwrap();
        assert_eq!(
            out,
            "Authorization: Basic [REDACTED] / pw=[REDACTED] / user alice@example.com"
        );
    }

    #[test]
    fn percent_encoding_is_strict() {
        assert_eq!(percent_encode(b"a b/+~", true), b"a%20b%2F%2B~");
        assert_eq!(percent_encode(b"/", false), b"%2f");
    }
}
