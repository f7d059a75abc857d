//! The request a plugin hands to `http.send` and the response it gets back, in plain
//! types that map field-for-field onto the WIT `http` records.

use std::time::Duration;

/// The WIT `method` enum: the only methods a plugin may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET.
    Get,
    /// HEAD.
    Head,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// OPTIONS.
    Options,
}

impl Method {
    /// The method's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Options => "OPTIONS",
        }
    }

    /// The reqwest method for the wire.
    pub(super) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Head => reqwest::Method::HEAD,
            Self::Post => reqwest::Method::POST,
            Self::Put => reqwest::Method::PUT,
            Self::Patch => reqwest::Method::PATCH,
            Self::Delete => reqwest::Method::DELETE,
            Self::Options => reqwest::Method::OPTIONS,
        }
    }
}

/// What a plugin asks to send (the WIT `request`, minus `authenticate`, which the host
/// turns into the `credential` argument of [`super::Egress::send`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundRequest {
    /// The method.
    pub method: Method,
    /// Absolute http(s) URL; its origin must be in the connector's allowlist.
    pub url: String,
    /// Header pairs in order; repeated names are sent as repeated fields.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// Requested timeout for the whole exchange; defaulted and clamped by the settings.
    pub timeout: Option<Duration>,
}

impl OutboundRequest {
    /// A GET with no headers, body or timeout; handy in tests and simple callers.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: None,
        }
    }
}

/// What the plugin sees (the WIT `response`): credential already redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header pairs in order, without `Set-Cookie`; non-UTF-8 values are lossily decoded.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

#[cfg(test)]
mod method_tests {
    use super::Method;

    #[test]
    fn wire_names_match_what_is_sent() {
        for m in [
            Method::Get,
            Method::Head,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
            Method::Options,
        ] {
            assert_eq!(m.as_str(), m.to_reqwest().as_str());
        }
    }
}
