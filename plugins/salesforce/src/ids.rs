//! Salesforce record ids, checked before they go into a URL path: 15 case-sensitive letters
//! and digits, or 18 whose last 3 are the checksum of the first 15's letter case.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// An Account id (key prefix `001`), 15 or 18 characters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AccountId(String);

const CHECKSUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The 3-character checksum of a 15-character id.
fn checksum(short: &[u8]) -> String {
    short
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |bits, (i, _)| bits | (1 << i));
            char::from(CHECKSUM[bits])
        })
        .collect()
}

/// Whether `id` is a well-formed record id (any object).
pub fn is_record_id(id: &str) -> bool {
    id.bytes().all(|b| b.is_ascii_alphanumeric())
        && match id.len() {
            15 => true,
            18 => checksum(&id.as_bytes()[..15]) == id[15..],
            _ => false,
        }
}

impl TryFrom<String> for AccountId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let id = text.trim();
        if !is_record_id(id) {
            return Err(format!(
                "`{}` is not a Salesforce record id (15 or 18 letters and digits)",
                id.chars().take(40).collect::<String>()
            ));
        }
        if !id.starts_with("001") {
            return Err(format!(
                "`{id}` is not an Account id (Account ids start with 001)"
            ));
        }
        Ok(AccountId(id.to_owned()))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for AccountId {
    fn schema_name() -> Cow<'static, str> {
        "AccountId".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^001[A-Za-z0-9]{12}([A-Za-z0-5]{3})?$",
            "description": "The Account's id, 15 or 18 characters starting with 001 (as search_accounts returns it).",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_checksums() {
        // Salesforce's documented example: 001A0000006Vm9r is 001A0000006Vm9rIAC.
        assert!(is_record_id("001A0000006Vm9rIAC"));
        assert!(is_record_id("001A0000006Vm9r"));
        assert!(!is_record_id("001A0000006Vm9rIAD"), "checksum");
        assert!(
            !is_record_id("001a0000006Vm9rIAC"),
            "case changes the checksum"
        );
        assert!(AccountId::try_from("001A0000006Vm9rIAC".to_owned()).is_ok());
        for bad in [
            "",
            "001A0000006Vm9",
            "005A0000006Vm9rIAC",
            "001A0000006Vm9r/",
            "001A0000006V/../x",
            "001A0000006Vm9r?x",
            "001A0000006Vm9rIA",
        ] {
            assert!(AccountId::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}
