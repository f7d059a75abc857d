//! The one Salesforce org the fake has ("Acme", on `acme.my.salesforce.com`): its users (every
//! person who signs in) and its accounts (seeded on first use), with the REST API's JSON.

use serde_json::{Map, Value, json};

use super::ids;
use crate::people::Person;

/// The org's My Domain URL, as token responses carry it.
pub const INSTANCE_URL: &str = "https://acme.my.salesforce.com";
/// Where identity URLs point.
pub const LOGIN_URL: &str = "https://login.salesforce.com";
/// The org's id (18 characters).
pub fn org_id() -> String {
    ids::new_id(ids::ORG, 1)
}

/// The Salesforce user id of `person`.
pub fn user_id(person: &Person) -> String {
    ids::new_id(ids::USER, person.id)
}

/// Account fields, in the order answers list them.
pub const ACCOUNT_FIELDS: &[&str] = &[
    "Id",
    "Name",
    "Type",
    "Industry",
    "Phone",
    "Website",
    "BillingCity",
    "BillingCountry",
    "AnnualRevenue",
    "NumberOfEmployees",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
];

/// User fields the fake answers.
pub const USER_FIELDS: &[&str] = &["Id", "Username", "Name", "Email", "IsActive"];

/// An Account record.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub fields: Map<String, Value>,
}

impl Account {
    /// A field's value as text (empty when absent).
    pub fn text(&self, field: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    }
}

/// The org's records.
#[derive(Default)]
pub struct SalesforceData {
    pub accounts: Vec<Account>,
    seeded: bool,
    /// Where the org lives now, when it moved off [`INSTANCE_URL`] (an org migration).
    moved_to: Option<String>,
}

impl SalesforceData {
    /// The org's instance URL, as token responses carry it.
    pub fn instance_url(&self) -> &str {
        self.moved_to.as_deref().unwrap_or(INSTANCE_URL)
    }

    /// Move the org to another instance: later token responses (a refresh too) name it.
    pub fn move_to(&mut self, instance_url: &str) {
        self.moved_to = Some(instance_url.to_string());
    }

    /// Creates the org's accounts the first time they are needed.
    pub fn seed(&mut self) {
        if std::mem::replace(&mut self.seeded, true) {
            return;
        }
        let owner = ids::new_id(ids::USER, 1);
        let created = "2026-01-05T09:30:00.000+0000";
        let rows: [(&str, &str, &str, &str, &str, u64, u64); 6] = [
            (
                "Acme Corporation",
                "Customer - Direct",
                "Manufacturing",
                "San Francisco",
                "USA",
                12_500_000,
                250,
            ),
            (
                "Globex Corporation",
                "Customer - Channel",
                "Technology",
                "Springfield",
                "USA",
                48_000_000,
                1_200,
            ),
            (
                "Initech",
                "Prospect",
                "Technology",
                "Austin",
                "USA",
                3_200_000,
                85,
            ),
            (
                "O'Reilly Auto Parts",
                "Customer - Direct",
                "Retail",
                "Springfield",
                "USA",
                15_000_000,
                400,
            ),
            (
                "100% Organic Farms",
                "Prospect",
                "Agriculture",
                "Fresno",
                "USA",
                900_000,
                12,
            ),
            (
                "Acme_Labs Research",
                "Partner",
                "Biotechnology",
                "Cambridge",
                "UK",
                7_400_000,
                60,
            ),
        ];
        for (n, (name, kind, industry, city, country, revenue, employees)) in
            rows.into_iter().enumerate()
        {
            let id = ids::new_id(ids::ACCOUNT, 1_000_000 + 7_919 * n as u64);
            let slug: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase();
            let fields = json!({
                "Id": id,
                "Name": name,
                "Type": kind,
                "Industry": industry,
                "Phone": format!("+1 415 555 01{n:02}"),
                "Website": format!("https://{slug}.example.com"),
                "BillingCity": city,
                "BillingCountry": country,
                "AnnualRevenue": revenue,
                "NumberOfEmployees": employees,
                "OwnerId": owner,
                "CreatedDate": created,
                "LastModifiedDate": created,
            });
            if let Value::Object(fields) = fields {
                self.accounts.push(Account { id, fields });
            }
        }
    }

    /// The account whose 15-character id is `short`.
    pub fn account(&self, short: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id.starts_with(short))
    }
}

/// `{"attributes": {"type", "url"}, <fields>…}` with only `fields` (all when `None`).
pub fn record(
    kind: &str,
    version: &str,
    id: &str,
    all: &Map<String, Value>,
    fields: &[String],
) -> Value {
    let mut out = Map::new();
    out.insert(
        "attributes".into(),
        json!({ "type": kind, "url": format!("/services/data/{version}/sobjects/{kind}/{id}") }),
    );
    for field in fields {
        if let Some((key, value)) = all.iter().find(|(k, _)| k.eq_ignore_ascii_case(field)) {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

/// The User record of `person`.
pub fn user_fields(person: &Person) -> Map<String, Value> {
    let fields = json!({
        "Id": user_id(person),
        "Username": format!("{}@acme.example.com", person.login),
        "Name": person.name,
        "Email": person.email,
        "IsActive": true,
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
