//! Cover crops placed by `focus`: a subject off centre is kept by `attention` and `entropy` and cut by
//! `center`, and an input stored turned with an EXIF orientation gets the crop of its upright twin.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use image::{DynamicImage, Rgb, RgbImage};
use imgkit::{Fit, Focus, Limits, OutputFormat, Processor, Spec};

/// The subject: a red and blue checkerboard, 60 pixels square, its left edge at x = 40.
const SUBJECT: [u32; 4] = [40, 120, 60, 60];

/// A 600×300 picture: a soft grey gradient with [`SUBJECT`] on it.
fn picture() -> RgbImage {
    RgbImage::from_fn(600, 300, |x, y| {
        let [l, t, w, h] = SUBJECT;
        if (l..l + w).contains(&x) && (t..t + h).contains(&y) {
            if (x / 6 + y / 6) % 2 == 0 {
                Rgb([210, 30, 40])
            } else {
                Rgb([30, 40, 200])
            }
        } else {
            let v = 110 + (x / 40) as u8;
            Rgb([v, v, v])
        }
    })
}

/// `image` as a PNG, with an `eXIf` orientation when given.
fn png(image: &RgbImage, orientation: Option<u16>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    if let Some(o) = orientation {
        let exif = imgkit_testkit::exif::orientation_tiff(o);
        writer
            .write_chunk(png::chunk::ChunkType(*b"eXIf"), &exif)
            .unwrap();
    }
    writer.write_image_data(image.as_raw()).unwrap();
    writer.finish().unwrap();
    bytes
}

fn square(focus: Focus) -> Spec {
    Spec::new()
        .with_size(150, 150)
        .with_fit(Fit::Cover)
        .with_focus(focus)
        .with_format(OutputFormat::Png)
}

fn contains(crop: [u32; 4], inner: [u32; 4]) -> bool {
    crop[0] <= inner[0]
        && crop[1] <= inner[1]
        && crop[0] + crop[2] >= inner[0] + inner[2]
        && crop[1] + crop[3] >= inner[1] + inner[3]
}

/// Red pixels in an encoded output: the subject's, since nothing else in the picture is red.
fn red_pixels(bytes: &[u8]) -> usize {
    let out = image::load_from_memory(bytes).unwrap().to_rgb8();
    out.pixels().filter(|p| p[0] > 150 && p[1] < 90).count()
}

#[test]
fn an_off_centre_subject_is_kept_by_attention_and_entropy_and_cut_by_center() {
    let bytes = png(&picture(), None);
    let mut processor = Processor::new(Limits::default());
    for focus in [Focus::Attention, Focus::Entropy] {
        let out = processor.process(&bytes, &square(focus)).unwrap();
        let crop = out.crop.unwrap();
        assert!(contains(crop, SUBJECT), "{focus}: crop {crop:?}");
        assert!(
            red_pixels(&out.bytes) > 100,
            "{focus}: the subject is not in the output"
        );
        assert!(out.timings.focus > std::time::Duration::ZERO);
    }
    let centre = processor.process(&bytes, &square(Focus::Center)).unwrap();
    assert_eq!(centre.crop, Some([150, 0, 300, 300]));
    assert_eq!(red_pixels(&centre.bytes), 0, "the centred crop shows the subject");
}

/// Orientations 2–8: the stored pixels are the picture turned by the inverse of the orientation, so
/// that displayed they are the picture again; the crop (in displayed pixels) and the output match the
/// upright twin's.
#[test]
fn an_exif_rotated_input_gets_the_crop_of_its_upright_twin() {
    let upright = picture();
    let mut processor = Processor::new(Limits::default());
    for focus in [Focus::Attention, Focus::Entropy] {
        let twin = processor.process(&png(&upright, None), &square(focus)).unwrap();
        let twin_pixels = image::load_from_memory(&twin.bytes).unwrap().to_rgb8();
        for orientation in 2..=8u16 {
            let inverse = match orientation {
                6 => 8,
                8 => 6,
                o => o,
            };
            let mut stored = DynamicImage::ImageRgb8(upright.clone());
            stored.apply_orientation(image::metadata::Orientation::from_exif(inverse as u8).unwrap());
            let out = processor
                .process(&png(&stored.to_rgb8(), Some(orientation)), &square(focus))
                .unwrap();
            let (a, b) = (twin.crop.unwrap(), out.crop.unwrap());
            assert!(
                a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 1),
                "{focus}, orientation {orientation}: {b:?} against the upright {a:?}"
            );
            let pixels = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
            let psnr = imgkit_testkit::psnr(twin_pixels.as_raw(), pixels.as_raw());
            assert!(
                psnr > 35.0,
                "{focus}, orientation {orientation}: {psnr:.1} dB from the upright twin"
            );
        }
    }
}
