//! Decode, for HEIC and AVIF: libheif (C and C++, with libde265 for HEVC and dav1d for AV1) decodes in
//! a confined child process (`imgkit-sandbox`), never in this one. The parent hands it only bytes whose
//! container passed the limits, and takes back only pixels of the size that container promised.

use image::DynamicImage;

use crate::error::{Error, Result};
use crate::{Format, ImageInfo};

/// The name of the libheif decoder in the sandbox child.
#[cfg(feature = "heif")]
const HEIF: &str = "libheif";

/// Call first thing in `main` of a program that may decode HEIC or AVIF (the CLI and the Lambda
/// function do). In the decoding sandbox's child process it decodes and exits; otherwise it returns at
/// once and lets [`Processor`](crate::Processor) start such children from this executable. Without
/// it (or without the `heic`/`avif` features) those formats are refused with an error that says so.
///
/// ```
/// // First in `main`:
/// imgkit::serve_sandbox_if_child();
/// ```
pub fn serve_sandbox_if_child() {
    #[cfg(feature = "heif")]
    imgkit_sandbox::serve_if_child(&[(HEIF, child::decode)]);
}

/// What this program can read and write where it runs: the formats compiled in, with HEIC and AVIF
/// counted only when a confined sandbox child has just decoded a small sample of each. A deployment
/// calls it once at start-up and logs it, so that a platform which refuses the seccomp filter (or a
/// package missing a codec) shows at once, not at the first phone upload.
///
/// ```
/// let here = imgkit::capabilities();
/// assert!(here.decodes.contains(&imgkit::Format::Jpeg));
/// // This doc test does not serve the sandbox, so HEIC is not among them, and `sandbox` says why.
/// assert!(!here.decodes.contains(&imgkit::Format::Heic));
/// assert!(here.sandbox.is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Input formats that decode here.
    pub decodes: Vec<Format>,
    /// Output formats compiled in.
    pub encodes: Vec<Format>,
    /// `Ok` when the decoding sandbox confined a child that decoded every sample; otherwise the first
    /// reason it did not (not compiled in, not served, no seccomp, a codec that failed).
    pub sandbox: std::result::Result<(), String>,
}

/// Checks what decodes here: see [`Capabilities`]. Starts one sandbox child per HEIF format (a few
/// milliseconds each) where the `heic`/`avif` features are on.
pub fn capabilities() -> Capabilities {
    let limits = crate::Limits::default();
    let mut sandbox = Ok(());
    let decodes = Format::ALL
        .into_iter()
        .filter(|f| f.decoder_compiled())
        .filter(|&f| match sample(f) {
            None => true,
            Some(bytes) => match crate::decode(bytes, &limits) {
                Ok(_) => true,
                Err(e) => {
                    if sandbox.is_ok() {
                        sandbox = Err(format!("{f}: {e}"));
                    }
                    false
                }
            },
        })
        .collect();
    if !cfg!(feature = "heif") {
        sandbox = Err("not compiled in (imgkit's heic and avif features are off)".into());
    }
    Capabilities {
        decodes,
        encodes: Format::ALL.into_iter().filter(|f| f.encoder_compiled()).collect(),
        sandbox,
    }
}

/// A small valid file of each format that only the sandbox decodes (the corpus's 128x64 samples).
fn sample(format: Format) -> Option<&'static [u8]> {
    match format {
        Format::Heic => Some(include_bytes!("../../../corpus/heif/heic-128x64.heic")),
        Format::Avif => Some(include_bytes!("../../../corpus/heif/avif-128x64.avif")),
        _ => None,
    }
}

/// Whether HEIF input can be decoded by this program: refused before decoding otherwise.
pub(crate) fn check_available(format: Format) -> Result<()> {
    #[cfg(feature = "heif")]
    if imgkit_sandbox::Sandbox::current().is_ok() {
        return Ok(());
    }
    Err(Error::UnsupportedFormat {
        format: format.name().into(),
        why: ": it is decoded only in the decoding sandbox, which this program does not serve \
              (imgkit::serve_sandbox_if_child is not called first in main)",
    })
}

/// Decodes checked HEIF bytes in the sandbox, to 8-bit RGB or RGBA in stored orientation.
#[cfg(feature = "heif")]
pub(crate) fn decode(bytes: &[u8], info: &ImageInfo, max_alloc: u64) -> Result<DynamicImage> {
    use image::{RgbImage, RgbaImage};
    use imgkit_sandbox::{Expect, Sandbox, SandboxError};

    let format = info.format;
    let sandbox = Sandbox::current()
        .map_err(|_| {
            check_available(format)
                .err()
                .unwrap_or_else(|| internal("sandbox vanished"))
        })?
        // About a second of CPU per 4 MP is several times what libheif needs; two more for start-up.
        .with_cpu_seconds(2 + info.pixels().div_ceil(4_000_000));
    let expect = Expect {
        width: info.width,
        height: info.height,
        max_alloc,
    };
    let pixels = sandbox.decode(HEIF, bytes, expect).map_err(|e| match e {
        // The child's own words go where the format's name is: the error has no other dynamic field.
        SandboxError::Unavailable(why) => Error::UnsupportedFormat {
            format: format!("{} ({why})", format.name()),
            why: ": the decoding sandbox cannot confine its child on this system (no seccomp)",
        },
        SandboxError::Io(io) => internal(&format!("cannot run the decoding sandbox: {io}")),
        // Refused, killed, timed out or garbage: the input made the decoder fail.
        other => Error::Malformed {
            format,
            reason: other.to_string(),
            source: Some(Box::new(other)),
        },
    })?;
    let (w, h) = (pixels.width, pixels.height);
    let image = match pixels.channels {
        4 => RgbaImage::from_raw(w, h, pixels.data).map(DynamicImage::ImageRgba8),
        _ => RgbImage::from_raw(w, h, pixels.data).map(DynamicImage::ImageRgb8),
    };
    image.ok_or_else(|| internal("sandbox pixels do not fill the image"))
}

/// Without the features nothing reaches here: `check_format` refuses the formats first.
#[cfg(not(feature = "heif"))]
pub(crate) fn decode(_: &[u8], info: &ImageInfo, _: u64) -> Result<DynamicImage> {
    check_available(info.format).map(|()| DynamicImage::new_rgb8(0, 0))
}

#[cfg(feature = "heif")]
fn internal(reason: &str) -> Error {
    Error::Internal {
        stage: "decode",
        reason: reason.into(),
    }
}

/// The child's side: libheif under the sandbox's rlimits and seccomp filter.
#[cfg(feature = "heif")]
mod child {
    use imgkit_sandbox::{Expect, Pixels};
    use libheif_rs::{ColorSpace, DecodingOptions, HeifContext, LibHeif, RgbChroma};

    /// Decodes the primary image without its transforms (the pipeline applies them as an orientation,
    /// after the resize) and without its colour profile (the pipeline converts it).
    pub(super) fn decode(data: &[u8], expect: Expect) -> Result<Pixels, String> {
        let lib = LibHeif::new();
        let mut context = HeifContext::read_from_bytes(data).map_err(|e| e.to_string())?;
        // One thread per image: the batch layer owns parallelism.
        context.set_max_decoding_threads(0);
        let handle = context.primary_image_handle().map_err(|e| e.to_string())?;
        let ispe = (handle.ispe_width(), handle.ispe_height());
        if ispe != (expect.width as i32, expect.height as i32) {
            return Err(format!(
                "libheif reads the image as {}x{}, the container walk as {}x{}",
                ispe.0, ispe.1, expect.width, expect.height
            ));
        }
        let alpha = handle.has_alpha_channel();
        let channels: u8 = if alpha { 4 } else { 3 };
        let len = u64::from(expect.width) * u64::from(expect.height) * u64::from(channels);
        if len > expect.max_alloc {
            return Err(format!(
                "{len} bytes of pixels pass the {} byte budget",
                expect.max_alloc
            ));
        }
        let mut options = DecodingOptions::new().ok_or("libheif gave no decoding options")?;
        options.set_ignore_transformations(true);
        // A tile that fails to decode is an error, not a patch of filler colour in a thumbnail.
        options.set_strict_decoding(true);
        options.set_convert_hdr_to_8bit(true);
        options.set_num_codec_threads(1);
        let chroma = if alpha { RgbChroma::Rgba } else { RgbChroma::Rgb };
        let image = lib
            .decode(&handle, ColorSpace::Rgb(chroma), Some(options))
            .map_err(|e| e.to_string())?;
        let planes = image.planes();
        let plane = planes.interleaved.ok_or("libheif gave no interleaved plane")?;
        if (plane.width, plane.height) != (expect.width, expect.height)
            || plane.storage_bits_per_pixel != 8 * channels
        {
            return Err(format!(
                "libheif decoded {}x{} at {} bits per pixel",
                plane.width, plane.height, plane.storage_bits_per_pixel
            ));
        }
        let row = expect.width as usize * usize::from(channels);
        let mut out = Vec::new();
        out.try_reserve_exact(len as usize)
            .map_err(|e| format!("cannot allocate {len} bytes of pixels: {e}"))?;
        for y in 0..expect.height as usize {
            let start = y * plane.stride;
            let line = plane
                .data
                .get(start..start + row)
                .ok_or("libheif's plane is shorter than its size")?;
            out.extend_from_slice(line);
        }
        Ok(Pixels {
            width: expect.width,
            height: expect.height,
            channels,
            data: out,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{probe, ErrorKind, Limits};

    /// Unit tests never call `serve_sandbox_if_child`: this is a program that does not serve it.
    #[test]
    fn heif_is_refused_from_its_first_bytes_where_the_program_has_no_sandbox() {
        for file in ["heif/heic-128x64.heic", "heif/avif-128x64.avif"] {
            let bytes = imgkit_testkit::manifest::row(file).bytes();
            let err = probe(&bytes, &Limits::default()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnsupportedFormat, "{file}: {err}");
            let why = if cfg!(feature = "heif") {
                "serve_sandbox_if_child"
            } else {
                "Cargo feature"
            };
            assert!(err.to_string().contains(why), "{file}: {err}");
            let sniffed = crate::sniff(&bytes[..64], &Limits::default()).unwrap_err();
            assert_eq!(sniffed.kind(), ErrorKind::UnsupportedFormat, "{file}");
        }
    }
}
