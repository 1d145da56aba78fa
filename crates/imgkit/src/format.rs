//! The image formats imgkit knows, and sets of them.

use std::fmt;

/// An image container format, as identified from magic bytes (never from a file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// JPEG / JFIF / EXIF.
    Jpeg,
    /// PNG (APNG is read as its default image).
    Png,
    /// GIF 87a/89a (animations are read as their first frame).
    Gif,
    /// WebP, lossy or lossless (animations are read as their first frame).
    WebP,
    /// TIFF: decoded only with the `tiff` Cargo feature and when allowed in [`crate::Limits`].
    Tiff,
    /// BMP: decoded only with the `bmp` Cargo feature and when allowed in [`crate::Limits`].
    Bmp,
    /// AVIF (AV1 in HEIF): read and written with the `avif` Cargo feature. Decoded by libheif with
    /// dav1d in the decoding sandbox (see [`crate::serve_sandbox_if_child`]).
    Avif,
    /// HEIC (HEVC in HEIF, the iPhone camera's format): read with the `heic` Cargo feature, by libheif
    /// with libde265 in the decoding sandbox. Never written.
    Heic,
}

impl Format {
    pub(crate) const ALL: [Format; 8] = [
        Format::Jpeg,
        Format::Png,
        Format::Gif,
        Format::WebP,
        Format::Tiff,
        Format::Bmp,
        Format::Avif,
        Format::Heic,
    ];

    /// Lower-case short name, as used in manifests, reports and log fields (`"jpeg"`, `"webp"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::WebP => "webp",
            Format::Tiff => "tiff",
            Format::Bmp => "bmp",
            Format::Avif => "avif",
            Format::Heic => "heic",
        }
    }

    /// The IANA media type, for `Content-Type` headers.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::WebP => "image/webp",
            Format::Tiff => "image/tiff",
            Format::Bmp => "image/bmp",
            Format::Avif => "image/avif",
            Format::Heic => "image/heic",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Tiff => "tif",
            other => other.name(),
        }
    }

    /// Whether this build of imgkit contains a decoder for the format (TIFF, BMP, AVIF and HEIC are
    /// Cargo features).
    pub fn decoder_compiled(self) -> bool {
        match self {
            Format::Jpeg | Format::Png | Format::Gif | Format::WebP => true,
            Format::Tiff => cfg!(feature = "tiff"),
            Format::Bmp => cfg!(feature = "bmp"),
            Format::Avif => cfg!(feature = "avif"),
            Format::Heic => cfg!(feature = "heic"),
        }
    }

    /// Whether this build of imgkit can write the format (AVIF is the `avif` Cargo feature; GIF, TIFF
    /// and BMP are never written).
    pub fn encoder_compiled(self) -> bool {
        match self {
            Format::Jpeg | Format::Png | Format::WebP => true,
            Format::Avif => cfg!(feature = "avif"),
            Format::Gif | Format::Tiff | Format::Bmp | Format::Heic => false,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The format for `image`'s decoders; HEIF formats never reach them.
    pub(crate) fn to_image(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::Gif => image::ImageFormat::Gif,
            Format::WebP => image::ImageFormat::WebP,
            Format::Tiff => image::ImageFormat::Tiff,
            Format::Bmp => image::ImageFormat::Bmp,
            Format::Avif | Format::Heic => image::ImageFormat::Avif,
        }
    }

    pub(crate) fn from_image(format: image::ImageFormat) -> Option<Format> {
        Some(match format {
            image::ImageFormat::Jpeg => Format::Jpeg,
            image::ImageFormat::Png => Format::Png,
            image::ImageFormat::Gif => Format::Gif,
            image::ImageFormat::WebP => Format::WebP,
            image::ImageFormat::Tiff => Format::Tiff,
            image::ImageFormat::Bmp => Format::Bmp,
            image::ImageFormat::Avif => Format::Avif,
            _ => return None,
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Format`]s, e.g. the formats a deployment accepts as input.
///
/// ```
/// use imgkit::{Format, Formats};
/// let formats = Formats::DEFAULT.with(Format::Tiff).without(Format::Gif);
/// assert!(formats.contains(Format::Tiff) && !formats.contains(Format::Gif));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Formats(u8);

impl Formats {
    /// No format at all.
    pub const NONE: Formats = Formats(0);
    /// JPEG, PNG, GIF and WebP (pure-Rust decoders), and the phone formats HEIC and AVIF, which are
    /// decoded only where their Cargo feature is compiled in and only inside the decoding sandbox.
    pub const DEFAULT: Formats = Formats(
        1 << Format::Jpeg as u8
            | 1 << Format::Png as u8
            | 1 << Format::Gif as u8
            | 1 << Format::WebP as u8
            | 1 << Format::Avif as u8
            | 1 << Format::Heic as u8,
    );

    /// This set plus `format`.
    #[must_use]
    pub const fn with(self, format: Format) -> Formats {
        Formats(self.0 | 1 << format as u8)
    }

    /// This set without `format`.
    #[must_use]
    pub const fn without(self, format: Format) -> Formats {
        Formats(self.0 & !(1 << format as u8))
    }

    /// Whether `format` is in the set.
    pub fn contains(self, format: Format) -> bool {
        self.0 & format.bit() != 0
    }

    /// The formats in the set, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Format> {
        Format::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl Default for Formats {
    fn default() -> Self {
        Formats::DEFAULT
    }
}

impl fmt::Debug for Formats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
