//! Format identification from magic bytes, by two independent sniffers that must agree.

use crate::error::{Error, Result};
use crate::Format;

/// Identifies the format of `bytes`. `infer` and `image::guess_format` must both recognise the same
/// format: either alone checks few bytes (`infer` takes any "GIF" prefix as a GIF and bytes 8..12 ==
/// "WEBP" as a WebP), and a disagreement means a polyglot or a corrupt header.
pub(crate) fn sniff(bytes: &[u8]) -> Result<Format> {
    if looks_like_svg(bytes) {
        return Err(Error::UnsupportedFormat {
            format: "svg".into(),
            why: ": vector images are never decoded",
        });
    }
    let guessed = image::guess_format(bytes).ok();
    let inferred = match infer::get(bytes) {
        Some(kind) => kind,
        None => {
            return Err(match guessed {
                // Only `image` recognises it (e.g. "P1" is PNM to it): not something we would decode.
                Some(format) => Error::FormatMismatch {
                    sniffed: "unknown".into(),
                    detected: format!("{format:?}").to_lowercase(),
                },
                None => Error::UnknownFormat {
                    magic: hex_prefix(bytes),
                },
            });
        }
    };
    let Some(sniffed) = format_of_mime(inferred.mime_type()) else {
        return Err(Error::UnsupportedFormat {
            format: inferred.mime_type().into(),
            why: "",
        });
    };
    if matches!(sniffed, Format::Heic | Format::Avif) {
        // `image` knows only the plainest AVIF `ftyp`: the second opinion is our own reading of it.
        return match super::heif::brand(bytes) {
            Some(detected) if detected == sniffed => Ok(sniffed),
            detected => Err(Error::FormatMismatch {
                sniffed: sniffed.name().into(),
                detected: detected.map_or("unknown", Format::name).into(),
            }),
        };
    }
    match guessed.and_then(Format::from_image) {
        Some(detected) if detected == sniffed => Ok(sniffed),
        Some(detected) => Err(Error::FormatMismatch {
            sniffed: sniffed.name().into(),
            detected: detected.name().into(),
        }),
        None => Err(Error::FormatMismatch {
            sniffed: sniffed.name().into(),
            detected: guessed.map_or("unknown".into(), |f| format!("{f:?}").to_lowercase()),
        }),
    }
}

fn format_of_mime(mime: &str) -> Option<Format> {
    Some(match mime {
        "image/jpeg" => Format::Jpeg,
        "image/png" => Format::Png,
        "image/gif" => Format::Gif,
        "image/webp" => Format::WebP,
        "image/tiff" => Format::Tiff,
        "image/bmp" => Format::Bmp,
        "image/heif" => Format::Heic,
        "image/avif" => Format::Avif,
        _ => return None,
    })
}

/// SVG is text, so no magic-byte sniffer names it; catch it here so the error says what it is.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let head = &text[start..text.len().min(start + 256)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    lower.starts_with(b"<svg")
        || (lower.starts_with(b"<?xml") && contains(&lower, b"<svg"))
        || lower.starts_with(b"<!doctype svg")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex_prefix(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing: the input is empty".into();
    }
    let hex: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("0x{}", hex.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn kind(bytes: &[u8]) -> ErrorKind {
        sniff(bytes).unwrap_err().kind()
    }

    #[test]
    fn recognises_the_four_web_formats() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest").ok(), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n rest").ok(), Some(Format::Png));
        assert_eq!(sniff(b"GIF89a rest").ok(), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 rest").ok(), Some(Format::WebP));
    }

    #[test]
    fn empty_and_text_are_unknown() {
        assert_eq!(kind(b""), ErrorKind::UnknownFormat);
        assert_eq!(kind(b"hello world"), ErrorKind::UnknownFormat);
        assert!(sniff(b"").unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn svg_and_documents_are_unsupported() {
        assert_eq!(
            kind(b"  <svg xmlns='http://www.w3.org/2000/svg'/>"),
            ErrorKind::UnsupportedFormat
        );
        assert_eq!(
            kind(b"<?xml version='1.0'?>\n<svg/>"),
            ErrorKind::UnsupportedFormat
        );
        assert_eq!(kind(b"%PDF-1.7\n"), ErrorKind::UnsupportedFormat);
        assert_eq!(kind(b"PK\x03\x04\x14\0\0\0"), ErrorKind::UnsupportedFormat);
    }

    #[test]
    fn sniffers_must_agree() {
        // infer: WebP (bytes 8..12); image: nothing, since there is no RIFF header.
        assert_eq!(kind(b"XXXX\x10\0\0\0WEBPVP8 "), ErrorKind::FormatMismatch);
        // infer: any "GIF" prefix; image: needs GIF87a/GIF89a.
        assert_eq!(kind(b"GIF is a nice format"), ErrorKind::FormatMismatch);
    }
}
