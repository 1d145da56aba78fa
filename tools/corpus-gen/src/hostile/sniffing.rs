//! Files that must be stopped by the format sniffer, before any parser sees them.

use super::entry::{billion_laughs, bmp_2x2, elf_header, reject, tiff_2x2, zip_stored};
use crate::manifest::Reject;
use crate::picture::Picture;
use crate::webpw;
use crate::{Entry, Result};

const SVG_BODY: &str = concat!(
    r#"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48">"#,
    r##"<rect width="64" height="48" fill="#3a7"/><circle cx="32" cy="24" r="12" fill="#fc3"/></svg>"##,
    "\n"
);

/// Files that must be stopped by the format sniffer, before any parser sees them.
pub(super) fn sniffing() -> Result<Vec<Entry>> {
    use Reject::{FormatMismatch, UnknownFormat, UnsupportedFormat};
    let mut out = vec![
        reject("empty.jpg", UnknownFormat, Vec::new(), "Zero-byte upload with an image extension: nothing to sniff."),
        reject("one-byte.jpg", UnknownFormat, vec![0xFF], "A single 0xFF byte, shorter than any magic number."),
        reject(
            "text-as-jpg.jpg",
            UnknownFormat,
            b"This is a plain text file that was renamed to .jpg; it is not an image.\n".to_vec(),
            "Plain ASCII text renamed to .jpg.",
        ),
        reject(
            "html-as-png.png",
            UnknownFormat,
            concat!(
                "<meta charset=\"utf-8\">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n",
                "<p>The requested image was not found.</p>\n<script>alert(document.cookie)</script>\n"
            )
            .as_bytes()
            .to_vec(),
            "HTML error page saved as .png, with a script; starts with <meta so no sniffer types it.",
        ),
        reject("svg-plain.svg", UnsupportedFormat, SVG_BODY.as_bytes().to_vec(), "Plain SVG: vector input is not an allowed format."),
        reject(
            "svg-bom-whitespace.svg",
            UnsupportedFormat,
            format!("\u{FEFF}\n  \t{SVG_BODY}").into_bytes(),
            "SVG preceded by a UTF-8 BOM and whitespace, which SVG sniffing must skip.",
        ),
        reject(
            "svg-xxe.svg",
            UnsupportedFormat,
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                "<!DOCTYPE svg [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"48\">",
                "<text x=\"0\" y=\"20\">&xxe;</text></svg>\n"
            )
            .as_bytes()
            .to_vec(),
            "SVG with an XML external entity reading /etc/passwd (XXE); must never reach an XML parser.",
        ),
        reject(
            "svg-billion-laughs.svg",
            UnsupportedFormat,
            billion_laughs().into_bytes(),
            "SVG with nested entity expansion (billion laughs); must never reach an XML parser.",
        ),
        reject(
            "pdf-as-jpg.jpg",
            UnsupportedFormat,
            concat!(
                "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
                "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n",
                "trailer << /Root 1 0 R >>\n%%EOF\n"
            )
            .as_bytes()
            .to_vec(),
            "Minimal PDF renamed to .jpg.",
        ),
        reject(
            "zip-as-png.png",
            UnsupportedFormat,
            zip_stored("readme.txt", b"not an image\n"),
            "ZIP archive renamed to .png.",
        ),
        reject("elf-as-gif.gif", UnsupportedFormat, elf_header(), "ELF executable header renamed to .gif."),
        reject("bmp-2x2.bmp", UnsupportedFormat, bmp_2x2(), "A perfectly valid 2x2 BMP: real image, but not an allowed format."),
        reject(
            "tiff-2x2.tif",
            UnsupportedFormat,
            tiff_2x2(),
            "A valid 2x2 uncompressed TIFF: real image, but not allowed by default.",
        ),
        reject(
            "gif-magic-text.gif",
            FormatMismatch,
            b"GIF is what the extension says, but this is plain text after the first three letters.\n".to_vec(),
            "Text starting with GIF: infer calls it a GIF, image::guess_format (needs GIF87a/GIF89a) does not.",
        ),
    ];
    // A real lossy WebP whose RIFF tag is overwritten: infer only looks at bytes 8..12.
    let mut webp = webpw::lossy(&Picture::photo(32, 32, 60), false, 75.0)?;
    webp[..4].copy_from_slice(b"XXXX");
    out.push(reject(
        "webp-riff-tag-overwritten.webp",
        FormatMismatch,
        webp,
        "Lossy WebP with RIFF replaced by XXXX: infer sees WEBP at 8..12, image::guess_format wants RIFF.",
    ));
    Ok(out)
}
