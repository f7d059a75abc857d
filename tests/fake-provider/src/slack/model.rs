//! The one Slack workspace the fake has ("Acme"): its channels, its messages (seeded, plus
//! whatever is posted), the bot user of the installed app, and the Web API's JSON shapes.

use serde_json::{Value, json};

use crate::people::Person;

pub const TEAM_ID: &str = "T0FAKEACME1";
pub const TEAM_NAME: &str = "Acme";
pub const TEAM_URL: &str = "https://acme.slack.com/";
pub const APP_ID: &str = "A0FAKELATCH";
/// The installed app's bot user, and its bot id.
pub const BOT_USER_ID: &str = "U0FAKEBOT01";
pub const BOT_ID: &str = "B0FAKEBOT01";
pub const BOT_NAME: &str = "latchkey";
/// Who wrote the seeded messages.
const SEED_USER: (&str, &str) = ("U0SEEDUSER1", "grace");

/// A channel.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: &'static str,
    pub name: &'static str,
    pub private: bool,
    pub archived: bool,
    /// The bot was invited (it may post without `chat:write.public`).
    pub bot_member: bool,
    pub purpose: &'static str,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    /// Channel id.
    pub channel: String,
    pub ts: String,
    /// Author's user id.
    pub user: String,
    pub username: String,
    pub text: String,
    /// Set when a bot token posted it.
    pub bot_id: Option<String>,
}

/// The workspace's channels and messages.
#[derive(Default)]
pub struct SlackData {
    pub messages: Vec<Message>,
    seeded: bool,
    next_ts: u64,
    /// Web API calls still to answer with 429 `ratelimited`, and the `Retry-After` to send.
    pub rate_limited: u32,
    pub retry_after_secs: u32,
}

/// The channels (fixed).
pub const CHANNELS: &[Channel] = &[
    Channel {
        id: "C0GENERAL01",
        name: "general",
        private: false,
        archived: false,
        bot_member: true,
        purpose: "Company-wide announcements.",
    },
    Channel {
        id: "C0ENGINEER1",
        name: "engineering",
        private: false,
        archived: false,
        bot_member: true,
        purpose: "Building things.",
    },
    Channel {
        id: "C0RANDOM001",
        name: "random",
        private: false,
        archived: false,
        bot_member: false,
        purpose: "Everything else.",
    },
    Channel {
        id: "C0OLDPROJ01",
        name: "old-project",
        private: false,
        archived: true,
        bot_member: false,
        purpose: "Done and dusted.",
    },
    Channel {
        id: "C0SECRET001",
        name: "secret-plans",
        private: true,
        archived: false,
        bot_member: true,
        purpose: "Shh.",
    },
];

/// The channel with this id or name (`#name` too).
pub fn channel(id_or_name: &str) -> Option<&'static Channel> {
    let name = id_or_name.strip_prefix('#').unwrap_or(id_or_name);
    CHANNELS
        .iter()
        .find(|c| c.id == id_or_name || c.name == name)
}

/// The Slack user id of `person`.
pub fn user_id(person: &Person) -> String {
    format!("U{:010}", person.id)
}

impl SlackData {
    /// Seeds the messages the first time they are needed.
    pub fn seed(&mut self) {
        if std::mem::replace(&mut self.seeded, true) {
            return;
        }
        for (channel, text) in [
            (
                "C0GENERAL01",
                "Welcome to Acme! The quarterly planning doc is pinned.",
            ),
            (
                "C0ENGINEER1",
                "The billing service deploy is scheduled for Friday.",
            ),
            ("C0ENGINEER1", "Billing deploy done, all green."),
            ("C0RANDOM001", "Lunch anyone?"),
            (
                "C0OLDPROJ01",
                "Archived notes about the old billing system.",
            ),
            ("C0SECRET001", "Launch plan for billing v2."),
        ] {
            self.post(channel, SEED_USER.0, SEED_USER.1, text, None);
        }
    }

    /// Appends a message and returns it.
    pub fn post(
        &mut self,
        channel: &str,
        user: &str,
        username: &str,
        text: &str,
        bot_id: Option<&str>,
    ) -> Message {
        self.next_ts += 1;
        let message = Message {
            channel: channel.to_owned(),
            ts: format!("1767225600.{:06}", self.next_ts * 100),
            user: user.to_owned(),
            username: username.to_owned(),
            text: text.to_owned(),
            bot_id: bot_id.map(str::to_owned),
        };
        self.messages.push(message.clone());
        message
    }
}

impl Channel {
    /// The channel as `conversations.list` shows it.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": true,
            "is_group": false,
            "is_im": false,
            "is_mpim": false,
            "is_private": self.private,
            "is_archived": self.archived,
            "is_general": self.name == "general",
            "is_member": self.bot_member,
            "is_shared": false,
            "is_org_shared": false,
            "created": 1_767_225_600,
            "creator": SEED_USER.0,
            "context_team_id": TEAM_ID,
            "topic": { "value": "", "creator": "", "last_set": 0 },
            "purpose": { "value": self.purpose, "creator": SEED_USER.0, "last_set": 1_767_225_600 },
            "num_members": 4,
        })
    }
}

impl Message {
    /// The message as `search.messages` lists a match.
    pub fn search_json(&self, channel: &Channel) -> Value {
        json!({
            "iid": format!("{}-{}", channel.id, self.ts),
            "team": TEAM_ID,
            "type": "message",
            "channel": {
                "id": channel.id,
                "is_channel": true,
                "is_private": channel.private,
                "is_mpim": false,
                "name": channel.name,
            },
            "user": self.user,
            "username": self.username,
            "ts": self.ts,
            "text": self.text,
            "permalink": format!("{TEAM_URL}archives/{}/p{}", channel.id, self.ts.replace('.', "")),
        })
    }
}
