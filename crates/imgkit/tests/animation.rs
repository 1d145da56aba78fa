//! Animated input: a WebP rendition keeps every frame, its delay and the loop count, and each frame shows
//! what the frame's own still thumbnail shows; `still`, JPEG and PNG give the first frame; disposal and
//! frames smaller than the canvas composite as the file says; the animation limits refuse before decoding.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage, Rgba, RgbaImage};
use imgkit::{ErrorKind, Format, Limit, Limits, OutputFormat, Processor, Spec};

const WEBP: OutputFormat = OutputFormat::WebP { quality: 90 };

/// Each frame of an animated WebP, its delay in milliseconds, and the loop count (0: forever).
fn webp_frames(bytes: &[u8]) -> (Vec<(RgbaImage, u32)>, u32) {
    let decoder = WebPDecoder::new(Cursor::new(bytes)).unwrap();
    let loops = match decoder.loop_count() {
        image::metadata::LoopCount::Infinite => 0,
        image::metadata::LoopCount::Finite(n) => n.get(),
    };
    let frames = decoder
        .into_frames()
        .map(|f| {
            let f = f.unwrap();
            let (numer, denom) = f.delay().numer_denom_ms();
            (f.into_buffer(), numer / denom)
        })
        .collect();
    (frames, loops)
}

/// The composited frames of a GIF, as `image` gives them.
fn gif_frames(bytes: &[u8]) -> Vec<RgbaImage> {
    let decoder = GifDecoder::new(Cursor::new(bytes)).unwrap();
    decoder.into_frames().map(|f| f.unwrap().into_buffer()).collect()
}

fn png_of(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(image.clone())
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn a_gif_written_as_webp_keeps_its_frames_delays_and_pixels() {
    let delays = [100, 0, 250, 70, 40, 500];
    let gif = imgkit_testkit::encode::animated_gif(240, 160, &delays);
    let spec = Spec::new().with_width(120).with_format(WEBP);
    let out = Processor::new(Limits::default()).process(&gif, &spec).unwrap();
    assert_eq!(
        (out.format, out.width, out.height, out.frames),
        (Format::WebP, 120, 80, 6)
    );
    let (frames, loops) = webp_frames(&out.bytes);
    assert_eq!(loops, 0, "the GIF loops forever");
    assert_eq!(frames.iter().map(|f| f.1).collect::<Vec<_>>(), delays);
    // Each frame against the still thumbnail of the same GIF frame (lossless PNG through the same
    // pipeline): the exact result the animation approximates.
    let exact = Spec::new().with_width(120).with_format(OutputFormat::Png);
    for (i, (source, (frame, _))) in gif_frames(&gif).iter().zip(&frames).enumerate() {
        let still = Processor::new(Limits::default())
            .process(&png_of(source), &exact)
            .unwrap();
        let still = image::load_from_memory(&still.bytes).unwrap().to_rgba8();
        let psnr = imgkit_testkit::quality::psnr(still.as_raw(), frame.as_raw());
        assert!(psnr > 32.0, "frame {i}: {psnr:.1} dB from its still thumbnail");
    }
}

#[test]
fn still_jpeg_and_png_renditions_are_the_first_frame() {
    let gif = imgkit_testkit::encode::animated_gif(90, 60, &[100, 100, 100]);
    let specs = [
        Spec::new().with_width(45).with_format(WEBP).with_still(true),
        Spec::new()
            .with_width(45)
            .with_format(OutputFormat::Jpeg { quality: 90 }),
        Spec::new().with_width(45).with_format(OutputFormat::Png),
        Spec::new().with_width(45),
        Spec::new().with_width(45).with_format(WEBP),
    ];
    let outs = Processor::new(Limits::default())
        .process_many(&gif, &specs)
        .unwrap();
    let frames: Vec<u32> = outs.iter().map(|o| o.frames).collect();
    assert_eq!(frames, [1, 1, 1, 1, 3], "`same` for a GIF is PNG, a still");
    let first = image::load_from_memory(&outs[2].bytes).unwrap().to_rgba8();
    let (animated, _) = webp_frames(&outs[4].bytes);
    let still_webp = image::load_from_memory(&outs[0].bytes).unwrap().to_rgba8();
    assert!(imgkit_testkit::quality::psnr(first.as_raw(), animated[0].0.as_raw()) > 32.0);
    assert!(imgkit_testkit::quality::psnr(first.as_raw(), still_webp.as_raw()) > 32.0);
    assert!(imgkit_testkit::quality::psnr(first.as_raw(), animated[1].0.as_raw()) < 25.0);
}

#[test]
fn the_loop_count_and_disposal_of_frames_smaller_than_the_canvas_carry_over() {
    use gif::{DisposalMethod, Encoder, Frame as GifFrame, Repeat as GifRepeat};
    // A red canvas; a green square that is cleared to transparent after it shows (Background);
    // a blue square drawn over what is left (Keep).
    let mut gif = Vec::new();
    {
        let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255];
        let mut encoder = Encoder::new(&mut gif, 40, 30, &palette).unwrap();
        encoder.set_repeat(GifRepeat::Finite(3)).unwrap();
        let frame = |left, top, w, h, index: u8, dispose| GifFrame {
            left,
            top,
            width: w,
            height: h,
            delay: 20,
            dispose,
            buffer: vec![index; usize::from(w) * usize::from(h)].into(),
            ..GifFrame::default()
        };
        encoder
            .write_frame(&frame(0, 0, 40, 30, 0, DisposalMethod::Keep))
            .unwrap();
        encoder
            .write_frame(&frame(5, 5, 10, 10, 1, DisposalMethod::Background))
            .unwrap();
        encoder
            .write_frame(&frame(20, 10, 10, 10, 2, DisposalMethod::Keep))
            .unwrap();
    }
    let spec = Spec::new()
        .with_width(40)
        .with_format(OutputFormat::WebP { quality: 100 });
    let out = Processor::new(Limits::default()).process(&gif, &spec).unwrap();
    let (frames, loops) = webp_frames(&out.bytes);
    // A GIF's loop count n is n + 1 plays, as browsers read it; WebP counts the plays.
    assert_eq!((frames.len(), loops), (3, 4));
    let near = |p: &Rgba<u8>, want: [u8; 4]| p.0.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 12);
    let last = &frames[2].0;
    assert!(
        near(last.get_pixel(10, 10), [0, 0, 0, 0]) || last.get_pixel(10, 10)[3] == 0,
        "the green square was disposed"
    );
    assert!(
        near(last.get_pixel(25, 15), [0, 0, 255, 255]),
        "{:?}",
        last.get_pixel(25, 15)
    );
    assert!(
        near(last.get_pixel(2, 25), [255, 0, 0, 255]),
        "{:?}",
        last.get_pixel(2, 25)
    );
    assert!(
        near(frames[1].0.get_pixel(10, 10), [0, 255, 0, 255]),
        "{:?}",
        frames[1].0.get_pixel(10, 10)
    );
}

#[test]
fn an_animated_webp_written_as_same_stays_animated() {
    let gif = imgkit_testkit::encode::animated_gif(120, 80, &[60, 120, 180, 240]);
    let webp = Processor::new(Limits::default())
        .process(&gif, &Spec::new().with_width(120).with_format(WEBP))
        .unwrap();
    let out = Processor::new(Limits::default())
        .process(&webp.bytes, &Spec::new().with_width(60))
        .unwrap();
    assert_eq!((out.format, out.frames, out.width), (Format::WebP, 4, 60));
    let (frames, _) = webp_frames(&out.bytes);
    assert_eq!(
        frames.iter().map(|f| f.1).collect::<Vec<_>>(),
        [60, 120, 180, 240]
    );
}

#[test]
fn an_apng_keeps_its_frames_and_delays() {
    let mut apng = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut apng, 32, 32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_animated(3, 2).unwrap();
        let mut writer = encoder.write_header().unwrap();
        for (i, ms) in [(0u8, 50u16), (1, 150), (2, 300)] {
            writer.set_frame_delay(ms, 1000).unwrap();
            let colour = [[200, 0, 0, 255], [0, 200, 0, 255], [0, 0, 200, 255]][usize::from(i)];
            writer.write_image_data(&colour.repeat(32 * 32)).unwrap();
        }
    }
    let out = Processor::new(Limits::default())
        .process(&apng, &Spec::new().with_width(16).with_format(WEBP))
        .unwrap();
    let (frames, loops) = webp_frames(&out.bytes);
    assert_eq!((out.frames, loops), (3, 2));
    assert_eq!(frames.iter().map(|f| f.1).collect::<Vec<_>>(), [50, 150, 300]);
    let centre: Vec<[u8; 4]> = frames.iter().map(|f| f.0.get_pixel(8, 8).0).collect();
    assert!(centre[1][1] > 150 && centre[2][2] > 150, "{centre:?}");
}

#[test]
fn the_animation_limits_refuse_before_decoding() {
    let gif = imgkit_testkit::encode::animated_gif(200, 100, &[100; 10]);
    let spec = Spec::new().with_width(100).with_format(WEBP);
    // 10 frames of 100×50 output is 50,000 pixels; of the 200×100 canvas, 200,000.
    for (limits, limit, actual) in [
        (
            Limits {
                max_animated_output_pixels: 49_999,
                ..Limits::default()
            },
            Limit::AnimatedOutputPixels,
            50_000,
        ),
        (
            Limits {
                max_animation_pixels: 199_999,
                ..Limits::default()
            },
            Limit::AnimationPixels,
            200_000,
        ),
    ] {
        let err = Processor::new(limits).process(&gif, &spec).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Limit(limit), "{err}");
        assert!(err.to_string().contains(&actual.to_string()), "{err}");
        // A still of the same input is within them.
        let still = Processor::new(limits)
            .process(&gif, &spec.with_still(true))
            .unwrap();
        assert_eq!(still.frames, 1);
    }
}

#[test]
fn an_animation_over_its_byte_budget_falls_back_to_its_first_frame() {
    let gif = imgkit_testkit::encode::animated_gif(300, 200, &[100; 12]);
    let spec = Spec::new().with_width(300).with_format(WEBP);
    let whole = Processor::new(Limits::default()).process(&gif, &spec).unwrap();
    let budget = whole.bytes.len() as u64 / 3;
    let out = Processor::new(Limits::default())
        .process(&gif, &spec.with_max_bytes(Some(budget)))
        .unwrap();
    assert_eq!(out.frames, 1);
    assert!(out.bytes.len() as u64 <= budget);
    let roomy = Processor::new(Limits::default())
        .process(&gif, &spec.with_max_bytes(Some(whole.bytes.len() as u64)))
        .unwrap();
    assert_eq!(roomy.frames, 12);
}

#[test]
fn the_placeholder_of_an_animation_is_its_first_frame() {
    let gif = imgkit_testkit::encode::animated_gif(120, 80, &[100, 100]);
    let specs = [
        Spec::new().with_width(60).with_format(WEBP),
        Spec::new().with_width(30).with_format(OutputFormat::Png),
    ];
    let outs = Processor::new(Limits::default())
        .placeholder(true)
        .process_many(&gif, &specs)
        .unwrap();
    let animated_only = Processor::new(Limits::default())
        .placeholder(true)
        .process(&gif, &specs[0])
        .unwrap();
    assert!(outs[0].thumbhash.is_some());
    assert_eq!(outs[0].thumbhash, outs[1].thumbhash);
    // From the animation's first frame or from the still of it: the same picture, so nearly the same hash.
    let average = |hash: &[u8]| thumbhash::thumb_hash_to_average_rgba(hash).unwrap();
    let (a, b) = (
        average(&outs[1].thumbhash.clone().unwrap()),
        average(&animated_only.thumbhash.unwrap()),
    );
    let close = |x: f32, y: f32| (x - y).abs() < 0.03;
    assert!(
        close(a.0, b.0) && close(a.1, b.1) && close(a.2, b.2),
        "{a:?} against {b:?}"
    );
}
