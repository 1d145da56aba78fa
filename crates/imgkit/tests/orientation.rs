//! EXIF orientation 1–8 on the corpus files drawn for it, in every format that carries EXIF (JPEG APP1,
//! WebP `EXIF`, PNG `eXIf`): each stores a 64x48 picture transformed by the inverse of its orientation, so a
//! correct pipeline shows red at the top-left and blue at the bottom-right. Sizes come from the manifest.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use imgkit_testkit::manifest;

use imgkit::{Limits, OutputFormat, Processor, Spec};

#[test]
fn every_orientation_comes_out_upright() {
    let mut processor = Processor::new(Limits::default());
    let files: Vec<manifest::Row> = manifest::rows()
        .into_iter()
        .filter(|e| e.file.contains("orientation-") && e.file.starts_with("valid/"))
        .collect();
    for format in ["jpeg", "webp", "png"] {
        for n in 1..=8 {
            let name = format!("-orientation-{n}.");
            assert!(
                files
                    .iter()
                    .any(|e| e.expect.as_deref() == Ok(format) && e.file.contains(&name)),
                "{format}: no orientation {n} in the corpus"
            );
        }
    }
    for entry in &files {
        let n = &entry.file;
        let (width, height) = entry.source.unwrap();
        let out = processor
            .process(
                &entry.bytes(),
                &Spec::new().with_width(width).with_format(OutputFormat::Png),
            )
            .unwrap();
        assert_eq!((out.width, out.height), (width, height), "{n}");
        let img = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
        let top_left = img.get_pixel(4, 4).0;
        let bottom_right = img.get_pixel(59, 43).0;
        assert!(
            top_left[0] > 180 && top_left[2] < 80,
            "{n}: top-left {top_left:?} is not red"
        );
        assert!(
            bottom_right[2] > 180 && bottom_right[0] < 80,
            "{n}: bottom-right {bottom_right:?} is not blue"
        );
    }
}
