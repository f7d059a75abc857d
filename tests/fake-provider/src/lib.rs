//! A local stand-in for the APIs Latchkey connectors call, and their OAuth servers, over real
//! HTTP on loopback.
//!
//! Each origin lives under a path prefix, because the gateway maps a real origin to a base URL
//! in tests (API calls, its own token requests, and the authorize URLs it sends browsers to):
//!
//! | real origin | prefix | what |
//! | --- | --- | --- |
//! | `https://api.notion.com` | `/notion` | Notion API + OAuth (`/v1/oauth/{authorize,token,revoke}`) |
//! | `https://api.linear.app` | `/linear` | Linear GraphQL |
//! | `https://github.com` | `/github-web` | GitHub OAuth (`/login/oauth/{authorize,access_token}`) |
//! | `https://api.github.com` | `/github` | GitHub REST |
//! | `https://accounts.google.com` | `/google-accounts` | Google authorize (`/o/oauth2/v2/auth`) |
//! | `https://oauth2.googleapis.com` | `/google-oauth` | Google `/token`, `/revoke` |
//! | `https://www.googleapis.com` | `/google` | Drive API v3 |
//! | `https://auth.atlassian.com` | `/atlassian-auth` | Atlassian OAuth (`/authorize`, `/oauth/token`) |
//! | `https://api.atlassian.com` | `/atlassian` | accessible-resources, Jira REST v3 (`/ex/jira/{cloudId}/rest/api/3/…`) |
//! | `https://login.salesforce.com` | `/salesforce-login` | Salesforce OAuth (`/services/oauth2/{authorize,token,revoke}`) |
//! | `https://acme.my.salesforce.com` | `/salesforce` | Salesforce REST (`/services/data/vNN.0/{sobjects,query}`) |
//! | `https://slack.com` | `/slack` | Slack OAuth (`/oauth/v2/authorize`, `/api/oauth.v2.access`) + Web API (`/api/…`) |
//! | any other origin | `/generic/{host}` | the generic app: OAuth endpoints told apart by request shape, an API with canned answers (see [`generic`]) |
//!
//! The apps check credentials the way the real ones do and keep small in-memory data per
//! user. Every app request is recorded (secrets included: this is a test double); echo mode
//! reflects what was received into the response. Controls: the methods of [`RunningFake`] and
//! [`OauthControl`], or `/_fake/...` over HTTP (see [`control`] and [`oauth::control`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), fake_provider::StartError> {
//! let fake = fake_provider::FakeProvider::start("127.0.0.1:0").await?;
//! let seed = fake.add_notion_token("secret_abc", "Ada Lovelace");
//! // point the gateway's https://api.notion.com at format!("{}/notion", fake.base_url())
//! # let _ = seed;
//! fake.shutdown().await.ok();
//! # Ok(()) }
//! ```

pub mod atlassian;
mod clock;
pub mod control;
pub mod echo;
pub mod generic;
pub mod github;
pub mod google;
pub mod linear;
pub mod notion;
pub mod oauth;
pub mod people;
pub mod record;
pub mod salesforce;
mod server;
pub mod slack;
mod state;

pub use generic::{Canned, GenericControl};
pub use linear::LinearSeed;
pub use notion::NotionSeed;
pub use oauth::{
    App, ClientAuth, Consent, ConsentGrant, Fault, OauthClient, OauthControl, ServiceAccount,
};
pub use record::RecordedRequest;
pub use server::{FakeProvider, RunningFake, StartError};
