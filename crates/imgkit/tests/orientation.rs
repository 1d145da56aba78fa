//! EXIF orientation 1–8 on the corpus files drawn for it: each stores a 64x48 picture transformed by the
//! inverse of its orientation, so a correct pipeline shows red at the top-left and blue at the bottom-right.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

mod common;

use imgkit::{Limits, OutputFormat, Processor, Spec};

#[test]
fn every_orientation_comes_out_upright() {
    let mut processor = Processor::new(Limits::default());
    for n in 1..=8 {
        let path = common::corpus_dir().join(format!("valid/jpeg-exif-orientation-{n}.jpg"));
        let bytes = std::fs::read(&path).unwrap();
        let out = processor
            .process(&bytes, &Spec::width(64).format(OutputFormat::Png))
            .unwrap();
        assert_eq!((out.width, out.height), (64, 48), "orientation {n}");
        let img = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
        let top_left = img.get_pixel(4, 4).0;
        let bottom_right = img.get_pixel(59, 43).0;
        assert!(
            top_left[0] > 180 && top_left[2] < 80,
            "orientation {n}: top-left {top_left:?} is not red"
        );
        assert!(
            bottom_right[2] > 180 && bottom_right[0] < 80,
            "orientation {n}: bottom-right {bottom_right:?} is not blue"
        );
    }
}
