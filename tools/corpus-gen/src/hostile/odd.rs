//! Legal but unusual files that must be accepted.

use super::entry::{accept, zip_stored};
use crate::jpeg::{self, Options, COM};
use crate::picture::Picture;
use crate::{Entry, Result};
use imgkit_testkit::exif;

/// Legal but unusual JPEGs that must be accepted: broken or tricky EXIF never fails an image,
/// and bytes outside the image structure are ignored.
pub(super) fn odd_but_ok() -> Result<Vec<Entry>> {
    let pic = Picture::photo(96, 64, 70);
    let dims = (pic.width, pic.height);
    let with_app1 = |app1: Vec<u8>| {
        jpeg::encode(
            &pic,
            Options {
                app_segments: vec![(1, app1)],
                ..Options::default()
            },
        )
    };
    let plain = jpeg::encode(&pic, Options::default())?;
    let mut with_zip = plain.clone();
    with_zip.extend(zip_stored("payload.txt", b"appended after EOI\n"));
    Ok(vec![
        accept(
            "jpeg-exif-orientation-0.jpg",
            dims,
            with_app1(exif::orientation_app1(0))?,
            "EXIF orientation 0 (invalid) must be treated as 1: displayed as stored.",
        ),
        accept(
            "jpeg-exif-orientation-9.jpg",
            dims,
            with_app1(exif::orientation_app1(9))?,
            "EXIF orientation 9 (invalid) must be treated as 1: displayed as stored.",
        ),
        accept(
            "jpeg-exif-ifd-loop.jpg",
            dims,
            with_app1(exif::ifd_loop_app1())?,
            "EXIF IFD0 (orientation 1) whose next-IFD offset points back at itself; parsers must not loop.",
        ),
        accept(
            "jpeg-exif-huge-count.jpg",
            dims,
            with_app1(exif::huge_count_app1())?,
            "EXIF entries claiming 0xFFFFFFFF values (size overflow, far out of bounds); orientation resolves to 1.",
        ),
        accept(
            "jpeg-com-script.jpg",
            dims,
            jpeg::insert_after_soi(&plain, COM, b"<script>alert(document.domain)</script>")?,
            "JPEG with an HTML <script> in a COM segment (polyglot); the pixels are fine.",
        ),
        accept(
            "jpeg-zip-appended.jpg",
            dims,
            with_zip,
            "Valid JPEG with a ZIP archive appended after EOI (polyglot); trailing bytes are ignored.",
        ),
    ])
}
