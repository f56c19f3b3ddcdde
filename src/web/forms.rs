//! Form bodies the front door already read (size-capped, within the body timeout): multipart
//! uploads parsed from those bytes with `multer`, the parser warp's own filter uses.

use std::collections::HashMap;
use std::convert::Infallible;

use bytes::Bytes;

use super::WebError;

/// Most files one form may carry (compose takes four).
const MAX_FILES: usize = 8;

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field's name.
    pub field: String,
    pub file_name: String,
    /// What the browser said it is (checked again by whoever uses the file).
    pub content_type: String,
    pub bytes: Bytes,
}

/// A parsed form: text fields (the last value of each name, and every value in order) and
/// files.
#[derive(Debug, Default)]
pub struct Form {
    pub fields: HashMap<String, Vec<String>>,
    pub files: Vec<Upload>,
}

impl Form {
    /// The field's last value, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .and_then(|v| v.last())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Every value of a field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }
}

/// Parses a urlencoded or multipart body by its `Content-Type`.
pub async fn parse(content_type: Option<&str>, body: Bytes) -> Result<Form, WebError> {
    let content_type = content_type.unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut form = Form::default();
    match essence.as_str() {
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(content_type)
                .map_err(|e| WebError::BadRequest(format!("the upload is malformed: {e}")))?;
            let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
            let mut parts = multer::Multipart::new(stream, boundary);
            while let Some(field) = parts
                .next_field()
                .await
                .map_err(|e| WebError::BadRequest(format!("the upload is malformed: {e}")))?
            {
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let content_type = field
                    .content_type()
                    .map(|m| m.essence_str().to_owned())
                    .unwrap_or_default();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| WebError::BadRequest(format!("the upload is malformed: {e}")))?;
                match file_name {
                    // An empty file input sends a part with no name and no bytes.
                    Some(f) if !f.is_empty() || !bytes.is_empty() => {
                        if form.files.len() >= MAX_FILES {
                            return Err(WebError::BadRequest(format!(
                                "at most {MAX_FILES} files at once"
                            )));
                        }
                        form.files.push(Upload {
                            field: name,
                            file_name: f,
                            content_type,
                            bytes,
                        });
                    }
                    Some(_) => {}
                    None => form
                        .fields
                        .entry(name)
                        .or_default()
                        .push(String::from_utf8_lossy(&bytes).into_owned()),
                }
            }
        }
        _ => {
            for (k, v) in url::form_urlencoded::parse(&body) {
                form.fields
                    .entry(k.into_owned())
                    .or_default()
                    .push(v.into_owned());
            }
        }
    }
    Ok(form)
}
