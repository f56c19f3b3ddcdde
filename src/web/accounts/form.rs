//! A factory's login fields as an HTML form, by kind (text, secret, server address, number,
//! flag), and the form's answer read back into a [`LoginInput`]. Shared by the pages that
//! add an account (`new.rs`) and log one in again (`again.rs`), and by `start.rs`, which shows
//! the form again with what went wrong.

use askama::Template;
use braid_core::factory::{FieldKind, LoginField, LoginInput};
use braid_core::Factory;
use warp::http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
use warp::http::StatusCode;

use super::super::respond;
use super::super::view::Layout;
use super::super::{HandlerResult, WebError};
use crate::store::AccountRecord;

/// Form names of the login fields carry this prefix, so no field id can clash with the
/// form's own (`csrf`, `network`, `name`).
const FIELD_PREFIX: &str = "field-";

/// `/accounts/new`: the networks to choose from, or one network's login form.
#[derive(Template)]
#[template(path = "accounts_new.html")]
pub(super) struct LoginPage {
    pub layout: Layout,
    /// The networks to choose from (no network chosen yet).
    pub networks: Vec<NetworkChoice>,
    pub form: Option<LoginForm>,
    /// What went wrong with the last try, shown above the form.
    pub error: Option<String>,
}

pub(super) struct NetworkChoice {
    pub kind: String,
    pub name: String,
    pub about: String,
}

/// One network's login form.
pub(super) struct LoginForm {
    /// Where it is posted: `/accounts/new`, or `/accounts/ID/login`.
    pub action: String,
    pub network: String,
    pub network_name: String,
    pub about: String,
    /// Logging in again: the account's name.
    pub again: Option<String>,
    /// The local name typed (a new account).
    pub name: String,
    pub name_default: String,
    pub fields: Vec<FieldView>,
    /// Values that stay as they are (logging in again: the account's server), sent along.
    pub fixed: Vec<FixedField>,
    /// The network may send the browser to its own page to authorize Braid.
    pub redirects: bool,
}

/// One input of the form.
pub(super) struct FieldView {
    /// `id` and `name` of the input.
    pub input: String,
    pub label: String,
    pub help: String,
    /// `text`, `password`, `number` or `checkbox`.
    pub input_type: &'static str,
    /// A hint for phones' keyboards (`url`, `numeric`).
    pub inputmode: &'static str,
    pub value: String,
    pub checked: bool,
    pub required: bool,
}

impl FieldView {
    pub fn is_checkbox(&self) -> bool {
        self.input_type == "checkbox"
    }
}

pub(super) struct FixedField {
    pub input: String,
    pub label: String,
    pub value: String,
}

impl LoginForm {
    /// The form of `factory`'s login, filled with `values` (what was typed; secrets are never
    /// sent back) and with the `fixed` values shown but not editable. `None` for a network
    /// without accounts.
    pub fn new(
        factory: &dyn Factory,
        values: &LoginInput,
        fixed: &LoginInput,
        again: Option<&AccountRecord>,
        name: &str,
    ) -> Option<LoginForm> {
        let spec = factory.login()?;
        let redirects = super::redirects(factory);
        let mut fields = Vec::new();
        let mut kept = Vec::new();
        for field in shown_fields(factory) {
            if let Some(value) = fixed.get(field.id) {
                kept.push(FixedField {
                    input: input_name(field),
                    label: field.label.to_owned(),
                    value: value.to_owned(),
                });
                continue;
            }
            fields.push(field_view(field, values));
        }
        Some(LoginForm {
            action: match again {
                Some(account) => format!("/accounts/{}/login", account.id.0),
                None => "/accounts/new".to_owned(),
            },
            network: factory.kind().to_owned(),
            network_name: factory.display_name().to_owned(),
            about: factory.about().to_owned(),
            again: again.map(|a| a.handle.clone().unwrap_or_else(|| a.name.clone())),
            name: name.to_owned(),
            name_default: spec.name_default.to_owned(),
            fields,
            fixed: kept,
            redirects,
        })
    }
}

/// The fields a form shows: all the factory declares, but those answering a later question
/// when the answer comes back to the callback instead (an OAuth code).
fn shown_fields(factory: &dyn Factory) -> impl Iterator<Item = &'static LoginField> {
    let spec = factory.login();
    let hidden = if super::redirects(factory) {
        spec.map(|s| s.answered_later).unwrap_or_default()
    } else {
        &[]
    };
    spec.map(|s| s.fields)
        .unwrap_or_default()
        .iter()
        .filter(move |f| !hidden.contains(&f.id))
}

pub(super) fn input_name(field: &LoginField) -> String {
    format!("{FIELD_PREFIX}{}", field.id)
}

fn field_view(field: &LoginField, values: &LoginInput) -> FieldView {
    let (input_type, inputmode) = match field.kind {
        FieldKind::Text => ("text", "text"),
        FieldKind::Secret => ("password", "text"),
        // Not `type=url`: people type `example.social`, which the browser would refuse.
        FieldKind::Url => ("text", "url"),
        FieldKind::Number => ("number", "numeric"),
        FieldKind::Flag => ("checkbox", "text"),
    };
    let typed = values.get(field.id);
    let value = match field.kind {
        // A secret is never shown back, not even to the person who typed it.
        FieldKind::Secret | FieldKind::Flag => String::new(),
        _ => typed.or(field.default).unwrap_or_default().to_owned(),
    };
    FieldView {
        input: input_name(field),
        label: field.label.to_owned(),
        help: field.help.to_owned(),
        input_type,
        inputmode,
        value,
        checked: field.kind == FieldKind::Flag && values.flag(field.id),
        required: field.required && field.kind != FieldKind::Flag,
    }
}

/// The login values in a submitted form (only the fields `factory` declares) with the `fixed`
/// ones over them, checked against what the factory requires and says cannot go together.
pub(super) fn read_input(
    factory: &dyn Factory,
    pairs: &[(String, String)],
    fixed: &LoginInput,
) -> Result<LoginInput, WebError> {
    let mut input = LoginInput::default();
    for field in factory.login().map(|s| s.fields).unwrap_or_default() {
        let name = input_name(field);
        let Some((_, value)) = pairs.iter().find(|(k, _)| *k == name) else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let value = match field.kind {
            // A checkbox says "true" (our value) or, from other clients, "on".
            FieldKind::Flag => "true".to_owned(),
            _ => value.to_owned(),
        };
        input.values.insert(field.id.to_owned(), value);
    }
    input.values.extend(fixed.values.clone());
    for field in factory.login().map(|s| s.fields).unwrap_or_default() {
        if field.required && input.get(field.id).is_none() {
            return Err(WebError::BadRequest(format!("{} is required", field.label)));
        }
        if input.get(field.id).is_none() {
            continue;
        }
        if let Some(other) = field
            .conflicts_with
            .iter()
            .filter_map(|id| factory.login()?.fields.iter().find(|f| f.id == *id))
            .find(|other| input.get(other.id).is_some())
        {
            return Err(WebError::BadRequest(format!(
                "give either {} or {}, not both",
                field.label, other.label
            )));
        }
    }
    Ok(input)
}

/// The value of the form's own field `name`.
pub(super) fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// The page as a response with `status`. A login form that may be answered by a redirect to
/// the network's authorize page needs a wider `form-action` (CSP Level 3, §6.4.1): browsers
/// such as Chrome check the redirects that follow a form's submission against it too. The
/// page shows nothing from elsewhere, so allowing any http(s) target exposes nothing.
pub(super) fn render(page: &LoginPage, status: StatusCode) -> HandlerResult {
    let mut resp = respond::no_store(respond::ok(page.render()?, respond::HTML));
    *resp.status_mut() = status;
    if page.form.as_ref().is_some_and(|f| f.redirects) {
        let policy = super::super::CONTENT_SECURITY_POLICY
            .replace("form-action 'self'", "form-action 'self' https: http:");
        if let Ok(value) = HeaderValue::from_str(&policy) {
            resp.headers_mut().insert(CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(resp)
}
