//! Byte budgets (`max=` in a spec): the highest quality whose output fits, or a refusal that says by
//! how much it does not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use imgkit::{Class, ErrorKind, Limits, OutputFormat, Processor, Spec, MIN_BUDGET_QUALITY};

fn photo() -> Vec<u8> {
    imgkit_testkit::encode::photo_jpeg(1200, 800, 95)
}

fn encoded(processor: &mut Processor, input: &[u8], spec: Spec) -> Vec<u8> {
    processor.process(input, &spec).unwrap().bytes
}

#[test]
fn the_output_is_the_highest_quality_that_fits() {
    let input = photo();
    let processor = &mut Processor::new(Limits::default());
    for format in [
        OutputFormat::Jpeg { quality: 90 },
        OutputFormat::WebP { quality: 90 },
    ] {
        let at = |processor: &mut Processor, q: u8| {
            encoded(
                processor,
                &input,
                Spec::new().with_width(600).with_format(format.with_quality(q)),
            )
        };
        let unbounded = at(processor, 90);
        let max = unbounded.len() as u64 / 2;
        let out = processor
            .process(
                &input,
                &Spec::new()
                    .with_width(600)
                    .with_format(format)
                    .with_max_bytes(Some(max)),
            )
            .unwrap();
        assert!(
            out.bytes.len() as u64 <= max,
            "{format:?}: {} > {max}",
            out.bytes.len()
        );
        // The bisection's answer: some quality's own encoding, whose next quality does not fit.
        let quality = (MIN_BUDGET_QUALITY..90)
            .rev()
            .find(|&q| at(processor, q) == out.bytes)
            .unwrap_or_else(|| panic!("{format:?}: the output is no quality's encoding"));
        assert!(
            at(processor, quality + 1).len() as u64 > max,
            "{format:?}: quality {} fits {max} too",
            quality + 1
        );
        assert!(
            quality > MIN_BUDGET_QUALITY,
            "{format:?}: half the bytes should not need the floor"
        );
    }
}

#[test]
fn an_output_within_its_budget_is_untouched() {
    let input = photo();
    let processor = &mut Processor::new(Limits::default());
    let spec = Spec::new()
        .with_width(300)
        .with_format(OutputFormat::Jpeg { quality: 80 });
    let free = encoded(processor, &input, spec);
    let bounded = encoded(processor, &input, spec.with_max_bytes(Some(free.len() as u64)));
    assert_eq!(free, bounded);
}

#[test]
fn an_output_that_cannot_fit_is_refused_with_its_numbers() {
    let input = photo();
    let spec = Spec::new()
        .with_width(600)
        .with_format(OutputFormat::Jpeg { quality: 85 })
        .with_max_bytes(Some(2_000));
    let err = Processor::new(Limits::default())
        .process(&input, &spec)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OverBudget);
    // The input's detail at that size is what does not fit: not worth a retry.
    assert_eq!(err.class(), Class::Rejected);
    let text = err.to_string();
    assert!(
        text.contains("600x400 jpeg")
            && text.contains(&format!("quality {MIN_BUDGET_QUALITY}"))
            && text.contains("budget of 2000"),
        "{text}"
    );
}

#[test]
fn png_from_same_has_no_quality_to_lower() {
    let input = imgkit_testkit::encode::photo_png(600, 400);
    let err = Processor::new(Limits::default())
        .process(&input, &Spec::new().with_width(300).with_max_bytes(Some(1_000)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OverBudget);
    assert!(err.to_string().contains("png"), "{err}");
}
