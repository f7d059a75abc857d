//! Salesforce record ids: 15 case-sensitive characters (a 3-character key prefix naming the
//! object type, then the record), or 18 with a checksum of the first 15's letter case.

/// Key prefixes of the objects the fake has.
pub const ORG: &str = "00D";
pub const USER: &str = "005";
pub const ACCOUNT: &str = "001";

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CHECKSUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The 18-character id of record `n` of the object with `prefix` (pod `5e`, then `n` in base 62).
pub fn new_id(prefix: &str, n: u64) -> String {
    let mut digits = [b'0'; 10];
    let mut rest = n;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(rest % 62) as usize];
        rest /= 62;
    }
    let short = format!("{prefix}5e{}", String::from_utf8_lossy(&digits));
    with_checksum(&short)
}

/// A 15-character id with its 3-character case checksum appended.
pub fn with_checksum(short: &str) -> String {
    let mut out = short.to_owned();
    for chunk in short.as_bytes().chunks(5) {
        let mut bits = 0usize;
        for (i, b) in chunk.iter().enumerate() {
            if b.is_ascii_uppercase() {
                bits |= 1 << i;
            }
        }
        out.push(char::from(CHECKSUM[bits]));
    }
    out
}

/// The 15-character form of a well-formed id (15 characters, or 18 with a matching
/// checksum); `None` for anything else.
pub fn canonical(id: &str) -> Option<&str> {
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match id.len() {
        15 => Some(id),
        18 if with_checksum(&id[..15]) == id => Some(&id[..15]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_follow_the_letter_case() {
        // The example from Salesforce's documentation of 18-character ids.
        assert_eq!(with_checksum("001A0000006Vm9r"), "001A0000006Vm9rIAC");
        let id = new_id(ACCOUNT, 123_456);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("0015e"));
        assert_eq!(canonical(&id), Some(&id[..15]));
        assert_eq!(canonical(&id[..15]), Some(&id[..15]));
        assert_eq!(canonical("001A0000006Vm9rIAD"), None, "bad checksum");
        assert_eq!(canonical("001A0000006Vm9"), None);
        assert_eq!(canonical("001A0000006Vm9r/"), None);
    }
}
