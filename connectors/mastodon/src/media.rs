//! The upload body for `POST /api/v2/media`.

use braid_core::connector::MediaUpload;
use bytes::{BufMut, Bytes, BytesMut};

/// A `multipart/form-data` body (RFC 7578) with the file and its alt text (`description`).
pub(crate) fn multipart(media: &MediaUpload) -> (String, Bytes) {
    let mut n: u64 = 0x5eed;
    let boundary = loop {
        let candidate = format!("braid-boundary-{n:016x}");
        let in_alt = media
            .alt
            .as_deref()
            .is_some_and(|a| a.contains(candidate.as_str()));
        if !in_alt && !contains(&media.bytes, candidate.as_bytes()) {
            break candidate;
        }
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
    };
    let ext = media
        .media_type
        .rsplit('/')
        .next()
        .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("bin");
    let media_type: String = media
        .media_type
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut body = BytesMut::new();
    body.put_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.{ext}\"\r\nContent-Type: {media_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.put_slice(&media.bytes);
    body.put_slice(b"\r\n");
    if let Some(alt) = media.alt.as_deref().filter(|a| !a.is_empty()) {
        body.put_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{alt}\r\n"
            )
            .as_bytes(),
        );
    }
    body.put_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.freeze(),
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn multipart_carries_file_and_alt() {
        let (ct, body) = multipart(&MediaUpload {
            bytes: Bytes::from_static(b"PNGDATA"),
            media_type: "image/png".into(),
            alt: Some("A red pixel".into()),
        });
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains("filename=\"upload.png\"\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n")
        );
        assert!(text.contains("name=\"description\""));
        assert!(text.contains("A red pixel"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
