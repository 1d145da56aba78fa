//! Hard bounds on what an input may cost, checked in one place before any pixel buffer exists.

use crate::error::{Error, Limit, Result};
use crate::{Format, Formats, ImageInfo};

const MIB: u64 = 1024 * 1024;

/// Bounds checked against every input before it is decoded.
///
/// A plain struct with safe defaults (see each field), in the spirit of `image::Limits`. All checks happen
/// on values read from headers and container structure, *before* the decoder allocates the pixel buffer,
/// using saturating `u64` arithmetic so hostile headers cannot overflow them.
///
/// ```
/// use imgkit::{Format, Limits};
/// let limits = Limits { max_pixels: 24_000_000, ..Limits::default() };
/// assert_eq!(limits.max_width, 16384);
/// assert!(limits.allowed_formats.contains(Format::WebP));
/// assert!(!limits.allowed_formats.contains(Format::Tiff));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes. Bounds the copy a decoder may make of the input and the time spent
    /// scanning it. Default 32 MiB (a 50 MP JPEG at high quality is about 25 MiB).
    pub max_input_bytes: u64,
    /// Largest accepted width in pixels, as declared by the header. Default 16384 (libvips' and WebP's scale).
    pub max_width: u32,
    /// Largest accepted height in pixels, as declared by the header. Default 16384.
    pub max_height: u32,
    /// Largest accepted `width × height` of the decoded frame. Default 50,000,000 (imgproxy's default;
    /// above any phone camera). This is the pixel-flood guard.
    pub max_pixels: u64,
    /// Largest decoded pixel buffer in bytes (`width × height × bytes per pixel` in the decoder's native
    /// colour type), also handed to the decoder as its allocation budget. Default 256 MiB.
    pub max_alloc: u64,
    /// Most frames an animated input may declare or hold. Default 1024.
    pub max_frames: u32,
    /// Most pixels an animation may decode to in all, `frames × width × height` of its canvas: the work
    /// of an animated rendition, which decodes and resizes every frame (one at a time, so memory stays
    /// that of one frame). Checked before the first frame is decoded. Default 400,000,000 (100 frames of
    /// 4 MP; about 6 s of one core to decode and resize).
    pub max_animation_pixels: u64,
    /// Most pixels an animated rendition may have in all, `frames × width × height` of its output: the
    /// encoding work and the size of the file. Checked before decoding. Default 50,000,000 (100 frames
    /// of 800×600).
    pub max_animated_output_pixels: u64,
    /// Most metadata bytes (PNG iCCP, zTXt, iTXt, tEXt content, measured *after* inflation) an input may
    /// carry. Guards against decompression bombs hidden in chunks that decoders inflate eagerly.
    /// Default 4 MiB.
    pub max_metadata_bytes: u64,
    /// Most ancillary PNG chunks (everything except image data), or HEIF boxes at every level, an input may
    /// carry. Default 1024 (an iPhone photo's grid of 48 tiles needs a box per tile and a few dozen more).
    pub max_chunks: u32,
    /// Input formats accepted. Default JPEG, PNG, GIF, WebP, HEIC and AVIF (the last two also need their
    /// Cargo feature and a program that serves the decoding sandbox); TIFF and BMP need their feature.
    /// SVG and non-image types are always rejected.
    pub allowed_formats: Formats,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 32 * MIB,
            max_width: 16384,
            max_height: 16384,
            max_pixels: 50_000_000,
            max_alloc: 256 * MIB,
            max_frames: 1024,
            max_animation_pixels: 400_000_000,
            max_animated_output_pixels: 50_000_000,
            max_metadata_bytes: 4 * MIB,
            max_chunks: 1024,
            allowed_formats: Formats::DEFAULT,
        }
    }
}

impl Limits {
    /// Checks the input length. Runs first: nothing else looks at an oversized input.
    pub fn check_input_len(&self, len: usize) -> Result<()> {
        check(Limit::InputBytes, self.max_input_bytes, len as u64)
    }

    /// Checks that a sniffed format is accepted and compiled in.
    pub fn check_format(&self, format: Format) -> Result<()> {
        if !self.allowed_formats.contains(format) {
            return Err(Error::UnsupportedFormat {
                format: format.name().into(),
                why: ": not in Limits::allowed_formats",
            });
        }
        if !format.decoder_compiled() {
            return Err(Error::UnsupportedFormat {
                format: format.name().into(),
                why: ": imgkit was built without this decoder's Cargo feature",
            });
        }
        if matches!(format, Format::Heic | Format::Avif) {
            // Decoded only in the sandbox: refused from the first bytes where this program has none.
            crate::sandboxed::check_available(format)?;
        }
        Ok(())
    }

    /// Checks everything [`probe`](crate::probe) measured, in a fixed order: container structure
    /// (chunks, metadata), then width, height, pixels, frames and the decoded size.
    ///
    /// ```
    /// use imgkit::{probe, Limits};
    /// # let png = imgkit_testkit::png(64, 48);
    /// let probed = probe(&png, &Limits::default())?;
    /// let small = Limits { max_width: 32, ..Limits::default() };
    /// let err = small.check(probed.info()).unwrap_err();
    /// assert_eq!(err.to_string(), "width 64 exceeds max_width 32");
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn check(&self, info: &ImageInfo) -> Result<()> {
        self.check_container(info.chunks, info.metadata_bytes)?;
        self.check_header(info)
    }

    pub(crate) fn check_container(&self, chunks: u32, metadata_bytes: u64) -> Result<()> {
        check(Limit::Chunks, self.max_chunks.into(), chunks.into())?;
        check(Limit::MetadataBytes, self.max_metadata_bytes, metadata_bytes)
    }

    pub(crate) fn check_header(&self, info: &ImageInfo) -> Result<()> {
        self.check_size(info.width, info.height, info.frames, info.decoded_bytes)
    }

    /// The header's numbers, in the order the errors promise: width, height, pixels, frames, allocation.
    pub(crate) fn check_size(&self, width: u32, height: u32, frames: u32, decoded_bytes: u64) -> Result<()> {
        check(Limit::Width, self.max_width.into(), width.into())?;
        check(Limit::Height, self.max_height.into(), height.into())?;
        check(
            Limit::Pixels,
            self.max_pixels,
            u64::from(width) * u64::from(height),
        )?;
        check(Limit::Frames, self.max_frames.into(), frames.into())?;
        check(Limit::Alloc, self.max_alloc, decoded_bytes)
    }

    /// An animated rendition of `output` pixels per frame, of an input of `info`'s canvas and frames.
    pub(crate) fn check_animation(&self, info: &ImageInfo, output: (u32, u32)) -> Result<()> {
        let frames = u64::from(info.frames);
        check(
            Limit::AnimationPixels,
            self.max_animation_pixels,
            frames.saturating_mul(info.pixels()),
        )?;
        let per_frame = u64::from(output.0) * u64::from(output.1);
        check(
            Limit::AnimatedOutputPixels,
            self.max_animated_output_pixels,
            frames.saturating_mul(per_frame),
        )
    }

    /// The same bounds in the decoder's terms, set on it right before it decodes (defence in depth).
    pub(crate) fn to_image_limits(self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc);
        limits
    }
}

fn check(limit: Limit, max: u64, actual: u64) -> Result<()> {
    if actual > max {
        Err(Error::limit(limit, max, actual))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn input_len_is_inclusive() {
        let limits = Limits {
            max_input_bytes: 10,
            ..Limits::default()
        };
        assert!(limits.check_input_len(10).is_ok());
        let err = limits.check_input_len(11).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Limit(Limit::InputBytes));
        assert_eq!(err.to_string(), "input bytes 11 exceeds max_input_bytes 10");
    }

    #[test]
    fn disallowed_format_is_unsupported() {
        let limits = Limits {
            allowed_formats: Formats::DEFAULT.without(Format::Gif),
            ..Limits::default()
        };
        assert!(matches!(
            limits.check_format(Format::Gif),
            Err(Error::UnsupportedFormat { .. })
        ));
        assert!(limits.check_format(Format::Png).is_ok());
    }

    #[test]
    fn uncompiled_format_is_unsupported_even_when_allowed() {
        let limits = Limits {
            allowed_formats: Formats::DEFAULT.with(Format::Tiff),
            ..Limits::default()
        };
        assert_eq!(limits.check_format(Format::Tiff).is_ok(), cfg!(feature = "tiff"));
    }
}
