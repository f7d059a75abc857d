//! Request parameters from a query string, a form body or (Notion accepts it) a JSON body,
//! with RFC 6749's rules: an empty value counts as absent, and no parameter may repeat.

use axum::http::HeaderMap;
use serde_json::Value;

use super::error::OauthError;

/// Parameters in the order received.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// From a query string (`None`: no parameters).
    pub fn from_query(query: Option<&str>) -> Self {
        Params(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// From a request body: JSON when the content type says so, else a form.
    pub fn from_body(headers: &HeaderMap, body: &[u8]) -> Result<Self, OauthError> {
        let is_json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        if !is_json {
            return Ok(Params(
                url::form_urlencoded::parse(body).into_owned().collect(),
            ));
        }
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Err(OauthError::invalid_request("the body is not a JSON object"));
        };
        let pairs = object
            .into_iter()
            .filter_map(|(key, value)| {
                let text = match value {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((key, text))
            })
            .collect();
        Ok(Params(pairs))
    }

    /// Refuses a parameter sent twice, except those named in `repeatable`.
    pub fn check_unique(&self, repeatable: &[&str]) -> Result<(), OauthError> {
        for (i, (name, _)) in self.0.iter().enumerate() {
            let repeated = self.0[..i].iter().any(|(earlier, _)| earlier == name);
            if repeated && !repeatable.contains(&name.as_str()) {
                return Err(OauthError::invalid_request(format!(
                    "parameter `{name}` is repeated"
                )));
            }
        }
        Ok(())
    }

    /// The value of `name`, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OauthError> {
        self.get(name).ok_or_else(|| {
            OauthError::invalid_request(format!("missing required parameter: {name}"))
        })
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_queries_and_json() {
        let params = Params::from_query(Some("a=1&b=&c=x%20y&s=1&s=2"));
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None, "empty means absent");
        assert_eq!(params.get("c"), Some("x y"));
        assert!(params.check_unique(&[]).is_err());
        assert!(params.check_unique(&["s"]).is_ok());
        assert_eq!(params.all("s"), ["1", "2"]);
        assert!(params.require("zz").is_err());

        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        let json = Params::from_body(&headers, br#"{"grant_type":"x","n":3,"o":{}}"#).unwrap();
        assert_eq!(json.get("grant_type"), Some("x"));
        assert_eq!(json.get("n"), Some("3"));
        assert_eq!(json.get("o"), None);
        assert!(Params::from_body(&headers, b"[1]").is_err());
        assert!(Params::from_body(&HeaderMap::new(), b"\xff=\xfe").is_ok());
    }
}
