//! Raw bytes to UTF-8 text, choosing the encoding as XML 1.0 Appendix F says and as feed-rs
//! (through quick-xml's `DecodingReader`) does: a byte order mark, else the `<?xml` pattern of
//! a UTF-16 document, else the declaration's `encoding`, else UTF-8.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// The document as UTF-8, without its byte order mark. `None` for a document whose encoding
/// is named but unknown: feed-rs then reads the bytes and says what is wrong.
pub(super) fn to_utf8(bytes: &[u8]) -> Option<String> {
    let (encoding, skip) = detect(bytes)?;
    let (text, _had_errors) = encoding.decode_without_bom_handling(&bytes[skip..]);
    Some(text.into_owned())
}

fn detect(bytes: &[u8]) -> Option<(&'static Encoding, usize)> {
    Some(match bytes {
        [0xEF, 0xBB, 0xBF, ..] => (UTF_8, 3),
        [0xFF, 0xFE, ..] => (UTF_16LE, 2),
        [0xFE, 0xFF, ..] => (UTF_16BE, 2),
        [b'<', 0, b'?', 0, ..] => (UTF_16LE, 0),
        [0, b'<', 0, b'?', ..] => (UTF_16BE, 0),
        _ => (declared(bytes)?, 0),
    })
}

/// The encoding named in the XML declaration, UTF-8 when there is none.
fn declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return Some(UTF_8);
    }
    let end = head
        .windows(2)
        .position(|w| w == b"?>")
        .unwrap_or(head.len());
    let decl = String::from_utf8_lossy(&head[..end]);
    let Some(at) = decl.find("encoding") else {
        return Some(UTF_8);
    };
    let rest = decl[at + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let label = rest[1..].split(quote).next()?;
    Encoding::for_label(label.trim().as_bytes())
}
