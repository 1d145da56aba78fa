//! Animation: the renditions that keep every frame of an animated GIF, WebP or APNG. Frames are decoded
//! (composited onto the canvas as their disposal says), resized, oriented and encoded into animated WebP
//! one at a time, so memory holds one frame of the input and the encoders' few frames of the output,
//! never the animation.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage, Frames, ImageDecoder};
use imgkit_webp_anim::{Encoder, Options};

use crate::error::{Error, Result};
use crate::output::{displayed_crop, Output, Timings};
use crate::resize::Resizer;
use crate::scale::{Region, View};
use crate::{color, encode, focus, orient, placeholder, Focus, Format, ImageInfo, OutputFormat, Plan, Spec};

/// An animated input that passed the limits, and what it is rendered with.
pub(crate) struct Animation<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) info: &'a ImageInfo,
    pub(crate) icc_profile: Option<&'a [u8]>,
    /// The decoder's allocation budget, as for a still.
    pub(crate) limits: image::Limits,
}

/// One animated rendition being made.
struct Rendition<'s> {
    spec: &'s Spec,
    plan: &'s Plan,
    region: Region,
    encoder: Encoder,
    /// The first frame, finished: the placeholder's pixels, and the still an animation over its byte
    /// budget falls back to.
    first: Option<DynamicImage>,
    timings: Timings,
}

/// Renders `specs` (each one that [`animates`](crate::planning::animates)) of `animation`, every frame;
/// the one at `hash`, if any, also makes the source's ThumbHash from its first frame. `shared` is the
/// probe's time, reported on each output.
pub(crate) fn render(
    animation: &Animation<'_>,
    specs: &[Spec],
    plans: &[Plan],
    hash: Option<usize>,
    shared: Timings,
    resizer: &mut Resizer,
) -> Result<Vec<Output>> {
    let info = animation.info;
    let full = (info.width, info.height);
    let mut frames = decode_frames(animation)?;
    let loop_count = u16::try_from(info.plays).unwrap_or(u16::MAX);
    let mut renditions = specs
        .iter()
        .zip(plans)
        .map(|(spec, plan)| {
            let (width, height) = if info.orientation.swaps_dimensions() {
                (plan.height, plan.width)
            } else {
                (plan.width, plan.height)
            };
            let quality = match spec.format().resolve(info.format) {
                OutputFormat::WebP { quality } => quality,
                _ => return Err(internal("an animated rendition is not WebP")),
            };
            let options = Options::new(quality).with_loop_count(loop_count);
            Ok(Rendition {
                spec,
                plan,
                region: Region::centred(full, plan.crop),
                encoder: Encoder::new(width, height, options).map_err(encode_error)?,
                first: None,
                timings: shared,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (mut decoding, mut focusing) = (Duration::ZERO, Duration::ZERO);
    let mut thumbhash = None;
    let mut count = 0;
    // Frames past the count the limits were checked against are not read.
    while count < info.frames {
        let start = Instant::now();
        let Some(frame) = frames.next() else { break };
        let frame = frame.map_err(|e| frame_error(info.format, count, e))?;
        let delay = delay_ms(frame.delay());
        let canvas = DynamicImage::ImageRgba8(frame.into_buffer());
        if (canvas.width(), canvas.height()) != full {
            return Err(Error::malformed(
                info.format,
                format!(
                    "frame {} is {}x{}, not the {}x{} canvas the header declares",
                    count + 1,
                    canvas.width(),
                    canvas.height(),
                    full.0,
                    full.1
                ),
            ));
        }
        decoding += start.elapsed();
        if count == 0 {
            // Every frame is cropped where the first frame's content puts the crop: a crop that moved
            // from frame to frame would shake.
            let start = Instant::now();
            for r in renditions.iter_mut() {
                if let (Some(crop), focus @ (Focus::Entropy | Focus::Attention)) =
                    (r.plan.crop, r.spec.focus())
                {
                    let (left, top) = focus::crop_origin(&canvas, full, crop, focus, resizer)?;
                    r.region = Region {
                        left,
                        top,
                        ..r.region
                    };
                }
            }
            focusing = start.elapsed();
        }
        for (k, r) in renditions.iter_mut().enumerate() {
            let start = Instant::now();
            let region = r.region.in_view(View::full(full));
            let mut image = resizer.resize(&canvas, r.plan.width, r.plan.height, region, r.spec.filter())?;
            orient::apply(&mut image, info.orientation);
            if let Some(icc) = animation.icc_profile {
                color::to_srgb(&mut image, icc);
            }
            let image = image.into_rgba8();
            let finished = Instant::now();
            r.timings.resize += finished - start;
            if count == 0 {
                let first = DynamicImage::ImageRgba8(image.clone());
                if hash == Some(k) {
                    thumbhash = Some(placeholder::thumbhash(&first, resizer)?);
                    r.timings.placeholder = finished.elapsed();
                }
                r.first = Some(first);
            }
            let start = Instant::now();
            r.encoder.add_rgba(image.as_raw(), delay).map_err(encode_error)?;
            r.timings.encode += start.elapsed();
        }
        count += 1;
    }
    if count == 0 {
        return Err(Error::malformed(info.format, "the animation has no frame"));
    }
    renditions
        .into_iter()
        .map(|r| {
            let mut timings = Timings {
                decode: decoding,
                focus: focusing,
                ..r.timings
            };
            let start = Instant::now();
            let animated = r.encoder.finish().map_err(encode_error)?;
            let first = r.first.ok_or_else(|| internal("no first frame was kept"))?;
            let (width, height) = (first.width(), first.height());
            let over = r.spec.max_bytes().is_some_and(|max| animated.len() as u64 > max);
            let (bytes, frames) = if over {
                // Still within the budget rather than refused: the first frame, at the highest quality that fits.
                let format = r.spec.format().resolve(info.format);
                let (bytes, _) =
                    encode::within_budget(first, format, r.spec.background(), r.spec.max_bytes())?;
                (bytes, 1)
            } else {
                // libwebp folds a frame identical to the one before it (to its lossy eye) into that
                // one's duration: count what the file holds. A single frame left is written as a still.
                let held = crate::probe::scan::webp_walk(&animated, u32::MAX).0;
                (animated, held.max(1))
            };
            timings.encode += start.elapsed();
            Ok(Output {
                bytes,
                format: Format::WebP,
                width,
                height,
                resized_from: full,
                timings,
                thumbhash: None,
                crop: r.plan.crop.map(|_| displayed_crop(r.region, info)),
                frames,
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(|mut outputs| {
            if let Some(k) = hash {
                outputs[k].thumbhash = thumbhash;
            }
            outputs
        })
}

/// The input's frames, composited onto its canvas. (Its loop count is the probe's: `image` reads a GIF
/// without a NETSCAPE block as looping forever, where browsers play it once.)
fn decode_frames<'a>(animation: &Animation<'a>) -> Result<Frames<'a>> {
    let format = animation.info.format;
    let fail = |e| Error::from_decoder(format, e);
    let cursor = Cursor::new(animation.bytes);
    let limits = animation.limits.clone();
    match format {
        Format::Gif => {
            let mut decoder = GifDecoder::new(cursor).map_err(fail)?;
            decoder.set_limits(limits).map_err(fail)?;
            Ok(decoder.into_frames())
        }
        Format::WebP => {
            let mut decoder = WebPDecoder::new(cursor).map_err(fail)?;
            decoder.set_limits(limits).map_err(fail)?;
            Ok(decoder.into_frames())
        }
        Format::Png => {
            let decoder = PngDecoder::with_limits(cursor, limits).map_err(fail)?;
            let decoder = decoder.apng().map_err(fail)?;
            Ok(decoder.into_frames())
        }
        _ => Err(internal("an animated rendition of a format without frames")),
    }
}

/// A frame's delay in whole milliseconds, rounded.
fn delay_ms(delay: image::Delay) -> u32 {
    let (numer, denom) = delay.numer_denom_ms();
    let ms = (u64::from(numer) + u64::from(denom) / 2) / u64::from(denom.max(1));
    u32::try_from(ms).unwrap_or(u32::MAX)
}

fn frame_error(format: Format, index: u32, err: image::ImageError) -> Error {
    match Error::from_decoder(format, err) {
        Error::Malformed {
            format,
            reason,
            source,
        } => Error::Malformed {
            format,
            reason: format!("frame {}: {reason}", u64::from(index) + 1),
            source,
        },
        other => other,
    }
}

fn encode_error(err: imgkit_webp_anim::Error) -> Error {
    Error::Encode {
        format: Format::WebP,
        reason: err.to_string(),
    }
}

fn internal(reason: &str) -> Error {
    Error::Internal {
        stage: "animate",
        reason: reason.into(),
    }
}
