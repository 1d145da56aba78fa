//! Arbitrary bytes and an arbitrary spec through the whole pipeline. An `Ok` output decodes again to the
//! promised size within the box; an `Err` is the input's fault (or, for an invalid spec, a config error).
#![no_main]

use arbitrary::Arbitrary;
use imgkit::{Class, Filter, Fit, Focus, Limits, OutputFormat, Processor, Spec};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    width: Option<u16>,
    height: Option<u16>,
    fit: u8,
    focus: u8,
    placeholder: bool,
    still: bool,
    filter: u8,
    format: u8,
    quality: u8,
    enlarge: bool,
    data: &'a [u8],
}

impl Input<'_> {
    fn spec(&self) -> Spec {
        // Sizes up to 1023 keep each execution fast; validation of larger sizes is the spec target's job.
        let side = |v: Option<u16>| v.map(|v| u32::from(v % 1024));
        let fit = Fit::ALL[usize::from(self.fit) % Fit::ALL.len()];
        let filter = Filter::ALL[usize::from(self.filter) % Filter::ALL.len()];
        let focus = Focus::ALL[usize::from(self.focus) % Focus::ALL.len()];
        let format = match self.format % 4 {
            0 => OutputFormat::Same,
            1 => OutputFormat::Jpeg {
                quality: self.quality,
            },
            2 => OutputFormat::Png,
            _ => OutputFormat::WebP {
                quality: self.quality,
            },
        };
        Spec::new()
            .with_bounds(side(self.width), side(self.height))
            .with_fit(fit)
            .with_focus(focus)
            .with_filter(filter)
            .with_format(format)
            .with_still(self.still)
            .with_enlarge(self.enlarge)
    }
}

fuzz_target!(|input: Input| {
    let limits = Limits {
        max_alloc: 64 << 20,
        max_pixels: 16_000_000,
        // An animation decodes and encodes every frame: bounded so one run stays well under the timeout.
        max_animation_pixels: 20_000_000,
        max_animated_output_pixels: 4_000_000,
        ..Limits::default()
    };
    let spec = input.spec();
    let mut processor = Processor::new(limits).placeholder(input.placeholder);
    match processor.process(input.data, &spec) {
        Ok(out) => {
            assert!(out.width >= 1 && out.height >= 1);
            assert_eq!(out.thumbhash.is_some(), input.placeholder);
            assert!(out.frames >= 1 && (out.frames == 1 || !input.still));
            if let Some(w) = spec.width() {
                assert!(out.width <= w.max(1), "{} wider than {w}", out.width);
            }
            if let Some(h) = spec.height() {
                assert!(out.height <= h.max(1), "{} taller than {h}", out.height);
            }
            let back = image::load_from_memory(&out.bytes).expect("our own output must decode");
            assert_eq!((back.width(), back.height()), (out.width, out.height));
        }
        Err(e) if spec.validate().is_err() => assert_eq!(e.class(), Class::Config),
        Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
    }
});
