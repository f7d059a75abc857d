//! RSA key pairs for service-account tests. They are test fixtures, published in this
//! repository: never trust them for anything real.

use serde_json::{Value, json};

/// PKCS#8 PEM private key of the test service account (what a Google key file holds).
pub const SERVICE_ACCOUNT_PRIVATE_KEY: &str = include_str!("keys/service_account.key.pem");
/// SPKI PEM public key matching [`SERVICE_ACCOUNT_PRIVATE_KEY`].
pub const SERVICE_ACCOUNT_PUBLIC_KEY: &str = include_str!("keys/service_account.pub.pem");
/// A second private key, for assertions signed with the wrong key.
pub const OTHER_PRIVATE_KEY: &str = include_str!("keys/other.key.pem");
/// SPKI PEM public key matching [`OTHER_PRIVATE_KEY`].
pub const OTHER_PUBLIC_KEY: &str = include_str!("keys/other.pub.pem");

/// A Google service-account key file (the JSON a user downloads) for `client_email`, with the
/// test private key and the real token URI.
pub fn service_account_key_file(client_email: &str) -> Value {
    let project = client_email
        .split('@')
        .nth(1)
        .and_then(|domain| domain.split('.').next())
        .unwrap_or("latchkey-test");
    json!({
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0000000000000000000000000000000000000001",
        "private_key": SERVICE_ACCOUNT_PRIVATE_KEY,
        "client_email": client_email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    })
}
