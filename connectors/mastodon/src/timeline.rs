//! Which timeline a source reads: `home`, `list:ID`, `tag:NAME`, `account:ID` (the form used
//! in a source's settings and on the command line).

use std::fmt;
use std::str::FromStr;

use braid_core::ConnectorError;
use url::Url;

use crate::api::Api;

/// Which timeline a source reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Timeline {
    /// `home`: the statuses of the accounts the user follows, and their own.
    Home,
    /// `list:ID`: one of the user's lists.
    List(String),
    /// `tag:NAME`: a hashtag (without the `#`).
    Tag(String),
    /// `account:ID`: one account's statuses (its instance-local id).
    Account(String),
}

impl Timeline {
    pub(crate) fn url(&self, api: &Api) -> Result<Url, ConnectorError> {
        let (base, segment, tail) = match self {
            Timeline::Home => return api.url("api/v1/timelines/home"),
            Timeline::List(id) => ("api/v1/timelines/list", id, None),
            Timeline::Tag(name) => ("api/v1/timelines/tag", name, None),
            Timeline::Account(id) => ("api/v1/accounts", id, Some("statuses")),
        };
        let mut url = api.url(base)?;
        {
            let mut segments = url.path_segments_mut().map_err(|_| {
                ConnectorError::Permanent("mastodon: the instance URL cannot have a path".into())
            })?;
            segments.push(segment);
            if let Some(tail) = tail {
                segments.push(tail);
            }
        }
        Ok(url)
    }
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timeline::Home => f.write_str("home"),
            Timeline::List(id) => write!(f, "list:{id}"),
            Timeline::Tag(name) => write!(f, "tag:{name}"),
            Timeline::Account(id) => write!(f, "account:{id}"),
        }
    }
}

impl FromStr for Timeline {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "home" {
            return Ok(Timeline::Home);
        }
        let (kind, value) = s.split_once(':').ok_or_else(|| bad_timeline(s))?;
        let value = value.trim();
        let value = if kind == "tag" {
            value.trim_start_matches('#')
        } else {
            value
        };
        if value.is_empty() {
            return Err(bad_timeline(s));
        }
        match kind {
            "list" => Ok(Timeline::List(value.to_owned())),
            "tag" => Ok(Timeline::Tag(value.to_owned())),
            "account" => Ok(Timeline::Account(value.to_owned())),
            _ => Err(bad_timeline(s)),
        }
    }
}

fn bad_timeline(s: &str) -> String {
    format!("mastodon: unknown timeline {s:?}; use home, list:ID, tag:NAME or account:ID")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use braid_core::http::SafeClient;

    #[test]
    fn timeline_round_trips() {
        for (s, t) in [
            ("home", Timeline::Home),
            ("list:42", Timeline::List("42".into())),
            ("tag:rust", Timeline::Tag("rust".into())),
            ("account:109", Timeline::Account("109".into())),
        ] {
            assert_eq!(s.parse::<Timeline>().unwrap(), t);
            assert_eq!(t.to_string(), s);
        }
        assert_eq!(
            "tag:#Rust".parse::<Timeline>().unwrap(),
            Timeline::Tag("Rust".into())
        );
        assert!("tag:".parse::<Timeline>().is_err());
        assert!("local".parse::<Timeline>().is_err());
        assert!("federated:x".parse::<Timeline>().is_err());
    }

    #[test]
    fn timeline_urls_escape_their_segment() {
        let api = Api::new(
            Url::parse("https://social.example").unwrap(),
            "t".into(),
            SafeClient::new(Default::default()).unwrap(),
        )
        .unwrap();
        assert_eq!(
            Timeline::Tag("a b/c".into()).url(&api).unwrap().as_str(),
            "https://social.example/api/v1/timelines/tag/a%20b%2Fc"
        );
        assert_eq!(
            Timeline::Account("7".into()).url(&api).unwrap().as_str(),
            "https://social.example/api/v1/accounts/7/statuses"
        );
    }
}
