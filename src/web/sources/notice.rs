//! What an action did, carried across its redirect (POST/redirect/GET) as a short code and the
//! source's name in the query, and where the action sends the browser back to.

use serde::Deserialize;

/// `?done=CODE&name=NAME`, as the actions write it.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl Done {
    /// The sentence shown at the top of the page. Only our codes say anything: a link with a
    /// made-up code shows nothing, and the name is printed escaped.
    pub fn message(&self) -> Option<String> {
        let name = self.name.as_deref().unwrap_or("the source");
        Some(match self.done.as_deref()? {
            "added" => format!("Added “{name}”. It is polled on the next scheduler tick."),
            "followed" => format!(
                "Following “{name}”. The follow request goes out on its first poll; their posts \
                 then arrive as they are written."
            ),
            "paused" => format!("Paused “{name}”: it is not polled until you resume it."),
            "resumed" => format!("Resumed “{name}”: it is polled on the next scheduler tick."),
            "enabled" => format!("Re-enabled “{name}”: it is polled on the next scheduler tick."),
            "schedule" => format!("Changed the schedule of “{name}”."),
            "removed" => format!("Removed “{name}” and its items."),
            "unconfirmed" => format!(
                "Nothing was removed: tick the box to confirm that “{name}” and its items go."
            ),
            _ => return None,
        })
    }
}

/// `path` with the notice appended to its query.
pub fn with_notice(path: &str, code: &str, name: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("done", code)
        .append_pair("name", name)
        .finish();
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{query}")
}

/// Where a form says to go back to, when it is one of the sources pages; else the list.
pub fn back(requested: Option<&str>) -> &str {
    match requested {
        Some(p)
            if (p == "/sources" || p.starts_with("/sources?") || p.starts_with("/sources/"))
                && !p.contains("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p
        }
        _ => "/sources",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_back_only_to_the_sources_pages() {
        assert_eq!(
            back(Some("/sources?after=b&show=failing")),
            "/sources?after=b&show=failing"
        );
        assert_eq!(back(Some("/sources/3")), "/sources/3");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/sourcesx",
            "/sources/\\x",
        ] {
            assert_eq!(back(Some(bad)), "/sources", "{bad}");
        }
        assert_eq!(
            with_notice("/sources?show=failing", "paused", "A & B"),
            "/sources?show=failing&done=paused&name=A+%26+B"
        );
    }
}
