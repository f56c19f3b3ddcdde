//! The route form, shared by `/routes/new` and `/routes/NAME/edit`: every field of a
//! [`RouteSpec`] a person sets, as typed (so a refused form comes back with what was typed),
//! and the conversion to and from the rule. Checking the rule is not done here but by
//! [`crate::routes::prepare`], the command line's check.

use askama::Template;
use braid_core::fit::LongText;
use braid_core::Visibility;
use warp::http::StatusCode;

use super::super::view::Layout;
use super::super::{HandlerResult, Owner, WebContext};
use super::{all, field, split_list, Fields};
use crate::routes::{self, Filter, RouteSpec};

/// Largest backfill the form takes: enough to seed a channel, few enough not to flood.
pub(super) const MAX_BACKFILL: usize = 200;

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub(super) struct RouteForm {
    pub name: String,
    /// Ticked `from` boxes, and more names typed, comma-separated.
    pub from: Vec<String>,
    pub from_other: String,
    pub to: Vec<String>,
    pub to_other: String,
    pub include: String,
    pub exclude: String,
    pub include_regex: String,
    pub exclude_regex: String,
    pub tags: String,
    pub exclude_tags: String,
    pub languages: String,
    pub originals_only: bool,
    pub no_replies: bool,
    pub no_boosts: bool,
    pub has_media: bool,
    pub template: String,
    /// `public`, `unlisted` or `followers_only`.
    pub visibility: String,
    /// ``, `thread` or `truncate`.
    pub long: String,
    pub thread_for: String,
    pub truncate_for: String,
    pub number: bool,
    pub min_interval: String,
    pub edits: bool,
    pub deletes: bool,
    pub backfill: String,
}

impl RouteForm {
    /// The form as posted.
    pub fn parse(fields: &Fields) -> RouteForm {
        let text = |k: &str| field(fields, k).to_owned();
        let ticked = |k: &str| !field(fields, k).is_empty();
        RouteForm {
            name: text("name").trim().to_owned(),
            from: all(fields, "from"),
            from_other: text("from_other"),
            to: all(fields, "to"),
            to_other: text("to_other"),
            include: text("include"),
            exclude: text("exclude"),
            include_regex: text("include_regex"),
            exclude_regex: text("exclude_regex"),
            tags: text("tags"),
            exclude_tags: text("exclude_tags"),
            languages: text("languages"),
            originals_only: ticked("originals_only"),
            no_replies: ticked("no_replies"),
            no_boosts: ticked("no_boosts"),
            has_media: ticked("has_media"),
            template: text("template"),
            visibility: text("visibility"),
            long: text("long"),
            thread_for: text("thread_for"),
            truncate_for: text("truncate_for"),
            number: ticked("number"),
            min_interval: text("min_interval"),
            edits: ticked("edits"),
            deletes: ticked("deletes"),
            backfill: text("backfill"),
        }
    }

    /// The form showing a stored rule (to edit it).
    pub fn of(name: &str, spec: &RouteSpec) -> RouteForm {
        let f = &spec.filter;
        let names = |long: LongText| -> String {
            spec.long_for
                .iter()
                .filter(|(_, l)| **l == long)
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        RouteForm {
            name: name.to_owned(),
            from: spec.from.clone(),
            to: spec.to.clone(),
            include: f.include.join(", "),
            exclude: f.exclude.join(", "),
            include_regex: f.include_regex.clone().unwrap_or_default(),
            exclude_regex: f.exclude_regex.clone().unwrap_or_default(),
            tags: f.tags.join(", "),
            exclude_tags: f.exclude_tags.join(", "),
            languages: f.languages.join(", "),
            originals_only: f.originals_only,
            no_replies: f.no_replies,
            no_boosts: f.no_boosts,
            has_media: f.has_media,
            template: spec.template.clone().unwrap_or_default(),
            visibility: spec.visibility.unwrap_or_default().as_str().to_owned(),
            long: match spec.long {
                Some(LongText::Thread) => "thread".into(),
                Some(LongText::Truncate) => "truncate".into(),
                None => String::new(),
            },
            thread_for: names(LongText::Thread),
            truncate_for: names(LongText::Truncate),
            number: spec.number,
            min_interval: spec
                .min_interval_secs
                .map(routes::format_duration)
                .unwrap_or_default(),
            edits: spec.edits,
            deletes: spec.deletes,
            ..RouteForm::default()
        }
    }

    /// The rule this form says, before the shared checks; `Err` for a field that cannot be
    /// read at all (an interval without a unit, a choice not offered).
    pub fn spec(&self) -> Result<RouteSpec, String> {
        let mut from = self.from.clone();
        from.extend(split_list(&self.from_other));
        let mut to = self.to.clone();
        to.extend(split_list(&self.to_other));
        let visibility = match self.visibility.trim() {
            "" | "public" => None,
            v @ ("unlisted" | "followers_only") => Visibility::parse(v),
            other => return Err(format!("visibility: {other:?} is not offered")),
        };
        let long = match self.long.trim() {
            "" => None,
            "thread" => Some(LongText::Thread),
            "truncate" => Some(LongText::Truncate),
            other => return Err(format!("long texts: {other:?} is not offered")),
        };
        let min_interval_secs = match self.min_interval.trim() {
            "" => None,
            raw => Some(routes::parse_duration(raw).map_err(|e| format!("minimum interval: {e}"))?),
        };
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(RouteSpec {
            from,
            to,
            filter: Filter {
                include: split_list(&self.include),
                exclude: split_list(&self.exclude),
                include_regex: optional(&self.include_regex),
                exclude_regex: optional(&self.exclude_regex),
                tags: split_list(&self.tags),
                exclude_tags: split_list(&self.exclude_tags),
                languages: split_list(&self.languages),
                originals_only: self.originals_only,
                no_replies: self.no_replies,
                no_boosts: self.no_boosts,
                has_media: self.has_media,
            },
            template: optional(&self.template),
            visibility,
            long,
            long_for: routes::long_for(
                &split_list(&self.thread_for),
                &split_list(&self.truncate_for),
            ),
            number: self.number,
            min_interval_secs,
            edits: self.edits,
            deletes: self.deletes,
        })
    }

    /// The backfill asked for (0 when none).
    pub fn backfill(&self) -> Result<usize, String> {
        match self.backfill.trim() {
            "" => Ok(0),
            raw => raw
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_BACKFILL)
                .ok_or_else(|| {
                    format!("backfill: {raw:?} is not a number from 0 to {MAX_BACKFILL}")
                }),
        }
    }
}

/// One checkbox.
#[derive(Debug, Clone)]
pub(super) struct Choice {
    /// The element id its label points at.
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// A checkbox offered, and the other spellings of its value a stored rule may use
/// (`channel:links` for `links`, `feed` for `kind:feed`).
struct Offer {
    value: String,
    label: String,
    aliases: Vec<String>,
}

/// The offers as checkboxes, ticked where `selected` names them; what `selected` names that is
/// not offered (a source since removed, a typo) goes back into the "other" field with what
/// was typed there, so nothing is silently lost.
fn choose(
    prefix: &str,
    offers: Vec<Offer>,
    selected: &[String],
    other: &mut String,
) -> Vec<Choice> {
    let mut unmatched: Vec<&str> = selected
        .iter()
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .collect();
    let choices = offers
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            let before = unmatched.len();
            unmatched.retain(|s| *s != o.value && !o.aliases.iter().any(|a| a == s));
            Choice {
                id: format!("{prefix}-{i}"),
                checked: unmatched.len() < before,
                value: o.value,
                label: o.label,
            }
        })
        .collect();
    if !unmatched.is_empty() {
        let mut names: Vec<String> = unmatched.iter().map(|s| (*s).to_owned()).collect();
        names.extend(split_list(other));
        *other = names.join(", ");
    }
    choices
}

#[derive(Template)]
#[template(path = "routes_form.html")]
struct FormPage {
    layout: Layout,
    creating: bool,
    action: String,
    cancel: String,
    form: RouteForm,
    error: Option<String>,
    sources: Vec<Choice>,
    from_accounts: Vec<Choice>,
    kinds: Vec<Choice>,
    to_accounts: Vec<Choice>,
    to_channels: Vec<Choice>,
    max_backfill: usize,
}

/// Where the form is shown from and posted to.
pub(super) struct Place {
    /// A new route (name and backfill fields) or a change.
    pub creating: bool,
    pub action: String,
    pub cancel: String,
}

/// The form page, with `error` above the fields when the last submission was refused.
pub(super) async fn render(
    ctx: &WebContext,
    owner: &Owner,
    place: Place,
    mut form: RouteForm,
    error: Option<String>,
    status: StatusCode,
) -> HandlerResult {
    let sources = ctx.store.list_sources().await?;
    let accounts = ctx.store.list_accounts().await?;
    let channels = ctx.store.list_channels().await?;
    let named =
        |n: &str| sources.iter().any(|s| s.name == n) || accounts.iter().any(|a| a.name == n);

    let mut offers_from: Vec<Offer> = sources
        .iter()
        .map(|s| Offer {
            value: s.name.clone(),
            label: format!("{} ({})", s.name, s.kind),
            aliases: Vec::new(),
        })
        .collect();
    let n_sources = offers_from.len();
    offers_from.extend(accounts.iter().map(|a| Offer {
        value: a.name.clone(),
        label: format!("{} (its own posts)", a.name),
        aliases: Vec::new(),
    }));
    let n_accounts = offers_from.len() - n_sources;
    offers_from.extend(super::kinds(ctx).into_iter().map(|k| Offer {
        value: format!("kind:{k}"),
        label: format!("every {k} source"),
        aliases: if named(k) {
            Vec::new()
        } else {
            vec![k.to_owned()]
        },
    }));
    let mut from = choose("from", offers_from, &form.from, &mut form.from_other);
    let kinds = from.split_off(n_sources + n_accounts);
    let from_accounts = from.split_off(n_sources);

    let mut offers_to: Vec<Offer> = accounts
        .iter()
        .map(|a| Offer {
            value: a.name.clone(),
            label: format!("{} ({})", a.name, a.kind),
            aliases: Vec::new(),
        })
        .collect();
    let n_accounts = offers_to.len();
    offers_to.extend(channels.iter().map(|c| {
        let prefixed = format!("channel:{}", c.name);
        // The plain name, unless an account has it too (then only `channel:` names the
        // channel, as the routes resolve it).
        let clash = accounts.iter().any(|a| a.name == c.name);
        Offer {
            value: if clash {
                prefixed.clone()
            } else {
                c.name.clone()
            },
            label: match &c.title {
                Some(t) if t != &c.name => format!("channel {} ({t})", c.name),
                _ => format!("channel {}", c.name),
            },
            aliases: if clash { Vec::new() } else { vec![prefixed] },
        }
    }));
    let mut to = choose("to", offers_to, &form.to, &mut form.to_other);
    let to_channels = to.split_off(n_accounts);

    let title = if place.creating {
        "New route".to_owned()
    } else {
        format!("Edit route {}", form.name)
    };
    let page = FormPage {
        layout: Layout::owned(ctx, &title, "routes", owner),
        creating: place.creating,
        action: place.action,
        cancel: place.cancel,
        form,
        error,
        sources: from,
        from_accounts,
        kinds,
        to_accounts: to,
        to_channels,
        max_backfill: MAX_BACKFILL,
    };
    super::html(&page, status)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_rule_survives_the_form() {
        let spec = RouteSpec {
            from: vec!["blog".into(), "kind:feed".into()],
            to: vec!["channel:links".into()],
            filter: Filter {
                include: vec!["rust".into(), "open source".into()],
                exclude_regex: Some("^ad:".into()),
                languages: vec!["en".into()],
                no_boosts: true,
                ..Filter::default()
            },
            template: Some("{title}\n{url}".into()),
            visibility: Some(Visibility::Unlisted),
            long: Some(LongText::Thread),
            long_for: routes::long_for(&["a".into()], &["b".into()]),
            number: true,
            min_interval_secs: Some(600),
            edits: true,
            deletes: false,
        };
        let back = RouteForm::of("r", &spec).spec().unwrap();
        assert_eq!(back, spec);
    }

    #[test]
    fn what_is_not_offered_is_kept_as_typed() {
        let offers = vec![Offer {
            value: "links".into(),
            label: "channel links".into(),
            aliases: vec!["channel:links".into()],
        }];
        let mut other = "typed".to_owned();
        let choices = choose(
            "to",
            offers,
            &["channel:links".into(), "gone".into()],
            &mut other,
        );
        assert!(choices[0].checked);
        assert_eq!(other, "gone, typed");
    }
}
