//! Plan: each rendition's output size and source crop, computed once per input from its probed header,
//! checked against the limits, and carried to the decode and the resize; with the memory that costs.

use crate::error::{Error, Limit, Result};
use crate::{scale, Format, ImageInfo, Limits, OutputFormat, Plan, Probed, Spec, MAX_AVIF_PIXELS};

const MIB: u64 = 1024 * 1024;

/// Scratch the resizer and encoders keep whatever the image size.
const FIXED_COST: u64 = 4 * MIB;

/// A probed input with every rendition planned: made by [`Processor::plan`](crate::Processor::plan),
/// rendered by [`Processor::process_planned`](crate::Processor::process_planned). Between the two, an
/// adapter can size what it reserves from [`peak_bytes`](Planned::peak_bytes).
#[derive(Debug)]
pub struct Planned<'a> {
    pub(crate) probed: Probed<'a>,
    pub(crate) specs: Vec<Spec>,
    /// Per spec, in stored orientation (before EXIF rotation).
    pub(crate) plans: Vec<Plan>,
    /// Per spec, whether it keeps every frame ([`animates`]).
    pub(crate) animated: Vec<bool>,
}

impl<'a> Planned<'a> {
    /// Plans each of `specs` (validated already) against the probed header under `limits` (those of the
    /// processor, which `probed` was checked against).
    pub(crate) fn new(probed: Probed<'a>, specs: &[Spec], limits: &Limits) -> Result<Planned<'a>> {
        let info = probed.info();
        let plans = specs
            .iter()
            .map(|spec| stored_plan(info, spec, limits))
            .collect::<Result<Vec<_>>>()?;
        let animated: Vec<bool> = specs.iter().map(|spec| animates(info, spec)).collect();
        for (plan, _) in plans.iter().zip(&animated).filter(|(_, &a)| a) {
            limits.check_animation(info, (plan.width, plan.height))?;
        }
        Ok(Planned {
            probed,
            specs: specs.to_vec(),
            plans,
            animated,
        })
    }

    /// How many frames each rendition is made of, in the order of the specs: every frame of an animation
    /// for a rendition that keeps them, else 1. (The file may hold fewer: see
    /// [`Output::frames`](crate::Output::frames).)
    ///
    /// ```
    /// use imgkit::{probe, Limits, OutputFormat, Processor, Spec};
    /// # let gif = imgkit_testkit::encode::animated_gif(64, 48, &[100, 100, 200]);
    /// let processor = Processor::new(Limits::default());
    /// let webp = Spec::new().with_width(32).with_format(OutputFormat::WebP { quality: 80 });
    /// let specs = [webp, webp.with_still(true), Spec::new().with_width(32).with_format(OutputFormat::Png)];
    /// let planned = processor.plan(probe(&gif, processor.limits())?, &specs)?;
    /// assert_eq!(planned.frames().collect::<Vec<_>>(), [3, 1, 1]);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn frames(&self) -> impl Iterator<Item = u32> + '_ {
        let frames = self.probed.info().frames;
        self.animated.iter().map(move |&a| if a { frames } else { 1 })
    }

    /// The probed input.
    pub fn probed(&self) -> &Probed<'a> {
        &self.probed
    }

    /// Each rendition's output size, in the order of the specs, as displayed (after EXIF rotation).
    ///
    /// ```
    /// use imgkit::{probe, Limits, Processor, Spec};
    /// # let png = imgkit_testkit::png(640, 480);
    /// let processor = Processor::new(Limits::default());
    /// let planned = processor.plan(probe(&png, processor.limits())?, &[Spec::new().with_width(64)])?;
    /// assert_eq!(planned.output_sizes().collect::<Vec<_>>(), [(64, 48)]);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn output_sizes(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let swaps = self.probed.info().orientation.swaps_dimensions();
        self.plans.iter().map(move |p| {
            if swaps {
                (p.height, p.width)
            } else {
                (p.width, p.height)
            }
        })
    }

    /// An upper bound of the memory [`process_planned`](crate::Processor::process_planned) holds at its
    /// peak: the input, the decoder's native buffer plus its 8-bit copy (a full-size decode, though
    /// shrink-on-load often decodes less), and per rendition the resizer's intermediate rows, the result
    /// and its encoding.
    ///
    /// ```
    /// use imgkit::{probe, Limits, Processor, Spec};
    /// # let png = imgkit_testkit::png(640, 480);
    /// let processor = Processor::new(Limits::default());
    /// let planned = processor.plan(probe(&png, processor.limits())?, &[Spec::new().with_width(64)])?;
    /// assert!(planned.peak_bytes() > 640 * 480 * 3);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn peak_bytes(&self) -> u64 {
        let info = self.probed.info();
        let channels = u64::from(info.channels.max(1));
        let eight_bit = info.pixels().saturating_mul(channels);
        let decoded = if info.bits_per_sample > 8 {
            info.decoded_bytes.saturating_add(eight_bit)
        } else {
            eight_bit
        };
        let longest_source = u64::from(info.width.max(info.height));
        let renditions: u64 = self
            .plans
            .iter()
            .map(|p| {
                let out = u64::from(p.width) * u64::from(p.height) * 4;
                // Two-pass convolution keeps (output width × source height) between passes.
                let between = u64::from(p.width.max(p.height)) * longest_source * 4;
                out.saturating_mul(2).saturating_add(between)
            })
            .fold(0, u64::saturating_add);
        let frames = u64::from(info.frames);
        let animations: u64 = self
            .plans
            .iter()
            .zip(&self.animated)
            .filter(|(_, &a)| a)
            .map(|(p, _)| {
                let out = u64::from(p.width) * u64::from(p.height);
                // The decoder's canvas, the frame it hands over and the one kept for disposal; the
                // encoder's few canvases of the output size; the file, at most a byte a pixel.
                let canvases = info.pixels().saturating_mul(4 * 3);
                let encoder = out.saturating_mul(4 * 6);
                canvases
                    .saturating_add(encoder)
                    .saturating_add(frames.saturating_mul(out))
            })
            .fold(0, u64::saturating_add);
        (self.probed.bytes().len() as u64)
            .saturating_add(decoded)
            .saturating_add(renditions)
            .saturating_add(animations)
            .saturating_add(FIXED_COST)
    }
}

/// Whether `spec` keeps every frame of the input: an input of more than one frame in a format decoded
/// frame by frame (GIF, WebP, an 8-bit APNG), written as WebP (asked for, or `same` for a WebP), and not
/// asked to be [`still`](Spec::still). Any other rendition of an animation is its first frame.
pub(crate) fn animates(info: &ImageInfo, spec: &Spec) -> bool {
    let frame_by_frame = match info.format {
        Format::Gif | Format::WebP => true,
        // image's APNG compositor takes 8-bit samples only.
        Format::Png => info.bits_per_sample <= 8,
        _ => false,
    };
    let animates = matches!(spec.format().resolve(info.format), OutputFormat::WebP { .. });
    info.frames > 1 && !spec.still() && frame_by_frame && animates
}

/// Output size and source crop of `spec` in stored orientation, checked against the limits.
pub(crate) fn stored_plan(info: &ImageInfo, spec: &Spec, limits: &Limits) -> Result<Plan> {
    let (display_w, display_h) = info.display_size();
    let target = spec.plan_for(display_w, display_h);
    // Enlargement is the only way an output can outgrow the input; it must stay within the limits.
    check_output(limits, target.width, target.height)?;
    let pixels = u64::from(target.width) * u64::from(target.height);
    if matches!(spec.format(), OutputFormat::Avif { .. }) && pixels > MAX_AVIF_PIXELS {
        return Err(Error::limit(Limit::AvifPixels, MAX_AVIF_PIXELS, pixels));
    }
    Ok(scale::stored_plan(target, info.orientation.swaps_dimensions()))
}

fn check_output(limits: &Limits, width: u32, height: u32) -> Result<()> {
    for (limit, max, actual) in [
        (Limit::Width, u64::from(limits.max_width), u64::from(width)),
        (Limit::Height, u64::from(limits.max_height), u64::from(height)),
        (
            Limit::Pixels,
            limits.max_pixels,
            u64::from(width) * u64::from(height),
        ),
    ] {
        if actual > max {
            return Err(Error::limit(limit, max, actual));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{probe, Limits, Processor, Spec};

    #[test]
    fn the_peak_grows_with_the_image_and_the_renditions() {
        let processor = Processor::new(Limits::default());
        let peak = |png: &[u8], specs: &[Spec]| {
            let probed = probe(png, processor.limits()).unwrap();
            processor.plan(probed, specs).unwrap().peak_bytes()
        };
        let (small, large) = (imgkit_testkit::png(400, 300), imgkit_testkit::png(800, 600));
        let one = [Spec::new().with_width(100)];
        let two = [Spec::new().with_width(100), Spec::new().with_width(200)];
        assert!(peak(&small, &one) >= 400 * 300 * 3 + super::FIXED_COST);
        assert!(peak(&small, &two) > peak(&small, &one));
        assert!(peak(&large, &one) > peak(&small, &one));
    }
}
