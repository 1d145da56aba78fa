//! What [`probe`](crate::probe) learns about an input: its format, size, frames, orientation and what
//! the limits are checked against.

use crate::{Format, Orientation};

/// What [`probe`](crate::probe) learned about an input from its header and container structure.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageInfo {
    /// The format, identified from magic bytes by two sniffers that agreed.
    pub format: Format,
    /// Width as stored (before EXIF orientation).
    pub width: u32,
    /// Height as stored (before EXIF orientation).
    pub height: u32,
    /// Channels the decoder produces: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    pub channels: u8,
    /// Bits per sample the decoder produces (8, 16 or 32).
    pub bits_per_sample: u8,
    /// Whether the decoder produces an alpha channel.
    pub has_alpha: bool,
    /// Frames declared or counted (1 for still images; counting stops past `max_frames`).
    pub frames: u32,
    /// How many times an animation plays, 0 for forever (1 for still images): a WebP's loop count and an
    /// APNG's `num_plays` as they are; a GIF's NETSCAPE loop count n as n + 1 plays, and a GIF without one
    /// as one play, as browsers read them.
    pub plays: u32,
    /// EXIF orientation; invalid or unreadable EXIF counts as [`Orientation::Normal`].
    pub orientation: Orientation,
    /// Whether the input embeds an ICC colour profile.
    pub has_icc_profile: bool,
    /// Size of the decoded pixel buffer in bytes.
    pub decoded_bytes: u64,
    /// PNG ancillary chunks other than image data (0 for other formats).
    pub chunks: u32,
    /// Metadata bytes after inflation (PNG text and ICC chunks; 0 for other formats).
    pub metadata_bytes: u64,
}

impl ImageInfo {
    /// `width × height` of one frame.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Width and height as displayed, i.e. after applying the EXIF orientation.
    pub fn display_size(&self) -> (u32, u32) {
        if self.orientation.swaps_dimensions() {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}
