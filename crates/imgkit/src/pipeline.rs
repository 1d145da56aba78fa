//! The whole path: probe → limits → decode → resize → orient → colour → encode.

use std::time::{Duration, Instant};

use crate::decode::{decode, Decoded};
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
        let decoded = decode(checked)?;
        let decoded_at = Instant::now();
        let shared = Timings {
            probe: probed - start,
            decode: decoded_at - probed,
            ..Timings::default()
        };
        specs
            .iter()
            .map(|spec| self.render(&decoded, spec, shared))
            .collect()
    }

    fn render(&mut self, decoded: &Decoded, spec: &Spec, mut timings: Timings) -> Result<Output> {
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
