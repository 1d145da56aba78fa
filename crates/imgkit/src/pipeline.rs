//! The whole path: probe → limits → decode → resize → orient → colour → encode.

use std::time::{Duration, Instant};

use crate::decode::{decode_checked, Decoded};
use crate::error::{Error, Limit, Result};
use crate::probe::Checked;
use crate::resize::{stored_plan, Resizer};
use crate::{color, encode, orient, plan, Format, Limits, Spec};

/// One encoded rendition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Output {
    /// The encoded image.
    pub bytes: Vec<u8>,
    /// The format of `bytes`.
    pub format: Format,
    /// Width as displayed (EXIF orientation applied).
    pub width: u32,
    /// Height as displayed.
    pub height: u32,
    /// Where the time went. Probe and decode are shared by all renditions of one call to
    /// [`Processor::process_many`] and reported on each.
    pub timings: Timings,
}

/// Wall time per pipeline stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timings {
    /// Sniffing, container scan, header parse and limit checks.
    pub probe: Duration,
    /// Decoding the first frame to pixels.
    pub decode: Duration,
    /// Resampling, orientation and colour conversion.
    pub resize: Duration,
    /// Encoding.
    pub encode: Duration,
}

/// Turns untrusted bytes into renditions under a set of [`Limits`].
///
/// Holds the resizer's scratch buffers, so keep one per thread and reuse it.
///
/// ```
/// use imgkit::{Fit, Limits, OutputFormat, Processor, Spec};
/// # let bytes = imgkit::doc_png(640, 480);
/// let mut processor = Processor::new(Limits::default());
/// let thumb = processor.process(&bytes, &Spec::width(160).format(OutputFormat::Jpeg { quality: 80 }))?;
/// assert_eq!((thumb.width, thumb.height), (160, 120));
///
/// // One decode, several renditions.
/// let specs = [Spec::width(320), Spec::size(100, 100).fit(Fit::Cover)];
/// let outs = processor.process_many(&bytes, &specs)?;
/// assert_eq!((outs[1].width, outs[1].height), (100, 100));
/// # Ok::<(), imgkit::Error>(())
/// ```
pub struct Processor {
    limits: Limits,
    resizer: Resizer,
}

impl Processor {
    /// A processor enforcing `limits`.
    pub fn new(limits: Limits) -> Processor {
        Processor {
            limits,
            resizer: Resizer::default(),
        }
    }

    /// The limits this processor enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Produces one rendition of `bytes`.
    pub fn process(&mut self, bytes: &[u8], spec: &Spec) -> Result<Output> {
        let mut outputs = self.process_many(bytes, std::slice::from_ref(spec))?;
        outputs.pop().ok_or_else(|| Error::Internal {
            stage: "pipeline",
            reason: "no output".into(),
        })
    }

    /// Produces one rendition per spec from a single decode, in the order of `specs`.
    ///
    /// Every spec is validated before the input is looked at, so a configuration error never costs a decode.
    pub fn process_many(&mut self, bytes: &[u8], specs: &[Spec]) -> Result<Vec<Output>> {
        specs.iter().try_for_each(Spec::validate)?;
        let start = Instant::now();
        let checked = Checked::new(bytes, &self.limits)?;
        let probed = Instant::now();
        let decoded = decode_checked(checked)?;
        let decoded_at = Instant::now();
        let shared = Timings {
            probe: probed - start,
            decode: decoded_at - probed,
            ..Timings::default()
        };
        specs
            .iter()
            .map(|spec| self.render_timed(&decoded, spec, shared))
            .collect()
    }

    /// Renders one spec from an image decoded earlier with [`decode`](crate::decode), e.g. to produce
    /// renditions one at a time. The output's probe and decode timings are zero.
    pub fn render(&mut self, decoded: &Decoded, spec: &Spec) -> Result<Output> {
        spec.validate()?;
        self.render_timed(decoded, spec, Timings::default())
    }

    fn render_timed(&mut self, decoded: &Decoded, spec: &Spec, mut timings: Timings) -> Result<Output> {
        let start = Instant::now();
        let orientation = decoded.info.orientation;
        let (display_w, display_h) = decoded.info.display_size();
        let target = plan(
            display_w,
            display_h,
            spec.target_width(),
            spec.target_height(),
            spec.fit_mode(),
            spec.enlarges(),
        );
        // Enlargement is the only way an output can outgrow the input; it must stay within the limits.
        self.check_output(target.width, target.height)?;
        let stored = stored_plan(target, orientation.swaps_dimensions());
        let mut image = self.resizer.resize(
            &decoded.image,
            stored.width,
            stored.height,
            stored.crop,
            spec.filter_kind(),
        )?;
        orient::apply(&mut image, orientation);
        if let Some(icc) = &decoded.icc_profile {
            color::to_srgb(&mut image, icc);
        }
        let resized = Instant::now();
        let format = spec.output_format().resolve(decoded.info.format);
        let (width, height) = (image.width(), image.height());
        let (bytes, format) = encode::encode(image, format, spec.background_rgb())?;
        timings.resize = resized - start;
        timings.encode = resized.elapsed();
        Ok(Output {
            bytes,
            format,
            width,
            height,
            timings,
        })
    }

    fn check_output(&self, width: u32, height: u32) -> Result<()> {
        let l = &self.limits;
        for (limit, max, actual) in [
            (Limit::Width, u64::from(l.max_width), u64::from(width)),
            (Limit::Height, u64::from(l.max_height), u64::from(height)),
            (Limit::Pixels, l.max_pixels, u64::from(width) * u64::from(height)),
        ] {
            if actual > max {
                return Err(Error::limit(limit, max, actual));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Class, ErrorKind, Fit, OutputFormat};
    use image::{DynamicImage, ImageEncoder, Rgba, RgbaImage};

    fn png_of(img: &RgbaImage) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        out
    }

    /// Transparent border around an opaque green square.
    fn framed() -> Vec<u8> {
        png_of(&RgbaImage::from_fn(60, 60, |x, y| {
            if (15..45).contains(&x) && (15..45).contains(&y) {
                Rgba([0, 200, 0, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        }))
    }

    fn decode(out: &Output) -> DynamicImage {
        image::load_from_memory(&out.bytes).unwrap()
    }

    #[test]
    fn alpha_survives_png_and_webp_and_is_flattened_into_jpeg() {
        let mut p = Processor::new(Limits::default());
        let specs = [
            Spec::width(30).format(OutputFormat::Png),
            Spec::width(30).format(OutputFormat::WebP { quality: 90 }),
            Spec::width(30)
                .format(OutputFormat::Jpeg { quality: 90 })
                .background([255, 0, 0]),
        ];
        let outs = p.process_many(&framed(), &specs).unwrap();
        for out in &outs[..2] {
            let img = decode(out).to_rgba8();
            assert_eq!(
                img.get_pixel(0, 0)[3],
                0,
                "{}: corner stays transparent",
                out.format
            );
            assert_eq!(
                img.get_pixel(15, 15)[3],
                255,
                "{}: centre stays opaque",
                out.format
            );
        }
        let jpeg = decode(&outs[2]).to_rgb8();
        let corner = jpeg.get_pixel(0, 0).0;
        assert!(
            corner[0] > 230 && corner[1] < 30 && corner[2] < 30,
            "corner shows the red background: {corner:?}"
        );
    }

    #[test]
    fn invalid_specs_fail_before_the_input_is_read() {
        let mut p = Processor::new(Limits::default());
        let err = p.process(b"garbage", &Spec::width(0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSpec);
        assert_eq!(err.class(), Class::Config);
    }

    #[test]
    fn enlargement_cannot_outgrow_the_limits() {
        let limits = Limits {
            max_width: 100,
            max_height: 100,
            ..Limits::default()
        };
        let mut p = Processor::new(limits);
        let err = p.process(&framed(), &Spec::width(200).enlarge(true)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::LimitExceeded {
                    limit: Limit::Width,
                    max: 100,
                    actual: 200
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn renditions_come_back_in_spec_order_with_their_sizes() {
        let mut p = Processor::new(Limits::default());
        let bytes = crate::doc_png(400, 300);
        let specs = [
            Spec::width(100),
            Spec::size(50, 50).fit(Fit::Cover),
            Spec::height(30).format(OutputFormat::Png),
        ];
        let sizes: Vec<_> = p
            .process_many(&bytes, &specs)
            .unwrap()
            .iter()
            .map(|o| (o.width, o.height))
            .collect();
        assert_eq!(sizes, [(100, 75), (50, 50), (40, 30)]);
    }

    #[test]
    fn outputs_carry_no_input_metadata() {
        let mut p = Processor::new(Limits::default());
        let jpeg = p
            .process(
                &crate::doc_png(64, 64),
                &Spec::width(32).format(OutputFormat::Jpeg { quality: 80 }),
            )
            .unwrap();
        let has = |needle: &[u8]| jpeg.bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"Exif") && !has(b"ICC_PROFILE") && !has(b"http://ns.adobe.com"));
    }

    #[test]
    fn same_format_follows_the_input() {
        assert_eq!(OutputFormat::Same.resolve(Format::Gif), OutputFormat::Png);
        assert_eq!(
            OutputFormat::Same.resolve(Format::Jpeg),
            OutputFormat::Jpeg {
                quality: crate::DEFAULT_QUALITY
            }
        );
        let mut p = Processor::new(Limits::default());
        assert_eq!(
            p.process(&crate::doc_png(8, 8), &Spec::width(4)).unwrap().format,
            Format::Png
        );
    }
}
