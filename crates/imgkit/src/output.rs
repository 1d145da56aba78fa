//! What a rendition comes back as: the encoded bytes, their size and format, and where the time went.

use std::time::Duration;

use crate::scale::Region;
use crate::{Format, ImageInfo};

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
    /// Size (stored orientation) of the pixels this rendition was resampled from: the full image, a
    /// DCT-scaled decode of it, or a larger rendition made by the same call.
    pub resized_from: (u32, u32),
    /// Where the time went. Probe and decode are shared by all renditions of one call to
    /// [`Processor::process_many`] and reported on each.
    pub timings: Timings,
    /// The source's ThumbHash (see [`Processor::placeholder`]), made from the smallest rendition of the
    /// call and the same on each of its outputs; `None` unless asked for.
    pub thumbhash: Option<Vec<u8>>,
    /// For a [`Fit::Cover`](crate::Fit::Cover) rendition, the part of the source it shows: `[left, top,
    /// width, height]` in full-size pixels of the displayed (EXIF-oriented) source.
    pub crop: Option<[u32; 4]>,
    /// Frames in `bytes`: 1 for a still; for a rendition that keeps an animation's frames (see
    /// [`Spec::with_still`](crate::Spec::with_still)), the frames the WebP holds: every frame of the
    /// source, less any that libwebp folded into the one before because they look the same (their
    /// durations add up, so the animation shows the same thing for as long).
    pub frames: u32,
}

/// Wall time per pipeline stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timings {
    /// Sniffing, container scan, header parse and limit checks.
    pub probe: Duration,
    /// Decoding the first frame to pixels (every frame, for an animated rendition). Where the largest rendition is resized from the rows as they
    /// are decoded (a JPEG, when no other rendition needs the decoded image), its resize is in here.
    pub decode: Duration,
    /// Resampling, orientation and colour conversion.
    pub resize: Duration,
    /// Encoding.
    pub encode: Duration,
    /// Choosing where content-aware cover crops go ([`Focus`]), shared by the renditions of one call.
    pub focus: Duration,
    /// The ThumbHash, on the output it was made from (zero on the others).
    pub placeholder: Duration,
}

/// A full-size region of the stored image as `[left, top, width, height]` of the displayed one, rounded.
pub(crate) fn displayed_crop(region: Region, info: &ImageInfo) -> [u32; 4] {
    let stored = (f64::from(info.width), f64::from(info.height));
    let rect = [region.left, region.top, region.width, region.height];
    info.orientation
        .display_rect(rect, stored)
        .map(|v| v.round() as u32)
}
