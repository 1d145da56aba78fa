//! The encoded format of an output, and its default qualities.

use std::str::FromStr;

use crate::error::{Error, Result};
use crate::Format;

/// JPEG quality used for [`OutputFormat::Same`] and when a rendition string gives none: the lowest whose
/// SSIMULACRA2 score reaches that of sharp's default JPEG (q80, libjpeg-turbo) on every shared photo's
/// 400 px thumbnail (`benches/compare/bytes.py`; the bytes it takes: README, "JPEG bytes").
pub const DEFAULT_QUALITY: u8 = 83;
/// WebP quality used for [`OutputFormat::Same`] and when a rendition string gives none: sharp's default
/// (the same libwebp, so the same score at the same bytes).
pub const DEFAULT_WEBP_QUALITY: u8 = 80;
/// AVIF quality when a rendition string gives none (AVIF's scale is its own: see
/// [`OutputFormat::Avif`]): the lowest whose score reaches that of sharp's default AVIF (q50) on every
/// shared photo. sharp's libaom at its default effort keeps 4:4:4 chroma and takes many times rav1e's
/// time at speed 10, so this needs more bytes than it (`benches/compare/bytes.py`; README, "JPEG bytes").
pub const DEFAULT_AVIF_QUALITY: u8 = 64;
/// rav1e's speed preset for AVIF unless set (0 slowest … 10 fastest): the fastest, the only one that
/// keeps a 400×300 thumbnail under 100 ms on one core; slower presets save some bytes for two to three
/// times the time (measured per speed in the README, "AVIF output").
pub const DEFAULT_AVIF_SPEED: u8 = 10;

/// The encoded format of an output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutputFormat {
    /// The input's format where imgkit can write it (JPEG, PNG, WebP, at [`DEFAULT_QUALITY`] and
    /// [`DEFAULT_WEBP_QUALITY`]);
    /// PNG for GIF, TIFF and BMP inputs; JPEG for HEIC and AVIF photos.
    #[default]
    Same,
    /// Progressive JPEG (mozjpeg's tables and optimised Huffman codes), 4:2:0 chroma subsampling; alpha is
    /// flattened onto the spec's background.
    Jpeg {
        /// 1–100.
        quality: u8,
    },
    /// PNG, fast deflate with adaptive filtering.
    Png,
    /// Lossy WebP (libwebp), alpha kept.
    WebP {
        /// 1–100.
        quality: u8,
    },
    /// AVIF: 8-bit AV1 (rav1e, pure Rust) with 4:2:0 chroma, alpha kept as an auxiliary image. Needs
    /// the `avif` Cargo feature (on in the CLI and the Lambda function); at most [`MAX_AVIF_PIXELS`](crate::MAX_AVIF_PIXELS).
    Avif {
        /// 1–100, mapped linearly onto AV1's quantiser (100 is 0, 1 is 252); default
        /// [`DEFAULT_AVIF_QUALITY`].
        quality: u8,
        /// rav1e's speed preset, 0 (slowest, smallest) to 10 (fastest); default [`DEFAULT_AVIF_SPEED`].
        speed: u8,
    },
}

/// `same`, `png`, `jpeg` or `jpg`, `webp`, `avif`, any case; JPEG and WebP take an optional `:quality`
/// (1–100, default [`DEFAULT_QUALITY`] and [`DEFAULT_WEBP_QUALITY`]); AVIF an optional `:quality` (default [`DEFAULT_AVIF_QUALITY`])
/// and after it an optional `:speed` (0–10, default [`DEFAULT_AVIF_SPEED`]).
///
/// ```
/// use imgkit::OutputFormat;
/// assert_eq!("webp:70".parse::<OutputFormat>()?, OutputFormat::WebP { quality: 70 });
/// assert_eq!(
///     "avif:50".parse::<OutputFormat>()?,
///     OutputFormat::Avif { quality: 50, speed: imgkit::DEFAULT_AVIF_SPEED }
/// );
/// assert_eq!("avif:50:8".parse::<OutputFormat>()?, OutputFormat::Avif { quality: 50, speed: 8 });
/// assert!("webp:50:8".parse::<OutputFormat>().is_err());
/// assert_eq!("JPG".parse::<OutputFormat>()?, OutputFormat::Jpeg { quality: imgkit::DEFAULT_QUALITY });
/// assert!("gif".parse::<OutputFormat>().is_err());
/// # Ok::<(), imgkit::Error>(())
/// ```
impl FromStr for OutputFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<OutputFormat> {
        let lower = s.trim().to_ascii_lowercase();
        // `avif` alone takes a second number, its speed.
        let (name, rest) = lower
            .split_once(':')
            .map_or((lower.as_str(), None), |(n, r)| (n, Some(r)));
        let (quality, speed) = match rest.map(|r| r.split_once(':').map_or((r, None), |(q, s)| (q, Some(s))))
        {
            Some((q, speed)) => {
                let q = match q.parse::<u64>() {
                    Ok(v) => u8::try_from(v)
                        .ok()
                        .filter(|v| (1..=100).contains(v))
                        .ok_or_else(|| Error::spec("quality", format!("must be 1..=100, got {v}")))?,
                    Err(_) => return Err(Error::spec("quality", format!("must be 1..=100, got {q:?}"))),
                };
                let speed = match speed {
                    Some(_) if name != "avif" => {
                        return Err(Error::spec(
                            "format",
                            format!("only avif takes a speed, got {s:?}"),
                        ))
                    }
                    Some(v) => Some(
                        v.parse::<u8>()
                            .ok()
                            .filter(|v| *v <= 10)
                            .ok_or_else(|| Error::spec("speed", format!("must be 0..=10, got {v:?}")))?,
                    ),
                    None => None,
                };
                (Some(q), speed)
            }
            None => (None, None),
        };
        match (name, quality) {
            ("same", _) if lower == "same" => Ok(OutputFormat::Same),
            ("png", _) if lower == "png" => Ok(OutputFormat::Png),
            ("jpeg" | "jpg", quality) => Ok(OutputFormat::Jpeg {
                quality: quality.unwrap_or(DEFAULT_QUALITY),
            }),
            ("webp", quality) => Ok(OutputFormat::WebP {
                quality: quality.unwrap_or(DEFAULT_WEBP_QUALITY),
            }),
            ("avif", quality) => Ok(OutputFormat::Avif {
                quality: quality.unwrap_or(DEFAULT_AVIF_QUALITY),
                speed: speed.unwrap_or(DEFAULT_AVIF_SPEED),
            }),
            _ => Err(Error::spec(
                "format",
                format!("must be same, png, jpeg[:Q], webp[:Q] or avif[:Q[:SPEED]], got {s:?}"),
            )),
        }
    }
}

impl OutputFormat {
    /// Its quality, where it has one (JPEG, WebP, AVIF).
    pub(crate) fn quality(self) -> Option<u8> {
        match self {
            OutputFormat::Jpeg { quality }
            | OutputFormat::WebP { quality }
            | OutputFormat::Avif { quality, .. } => Some(quality),
            _ => None,
        }
    }

    /// The same format at `quality` where it has one (JPEG, WebP, AVIF); others unchanged.
    #[must_use]
    pub fn with_quality(self, quality: u8) -> OutputFormat {
        match self {
            OutputFormat::Jpeg { .. } => OutputFormat::Jpeg { quality },
            OutputFormat::WebP { .. } => OutputFormat::WebP { quality },
            OutputFormat::Avif { speed, .. } => OutputFormat::Avif { quality, speed },
            other => other,
        }
    }

    /// The concrete format written for an input of format `input`.
    pub fn resolve(self, input: Format) -> OutputFormat {
        match (self, input) {
            (OutputFormat::Same, Format::Jpeg) => OutputFormat::Jpeg {
                quality: DEFAULT_QUALITY,
            },
            (OutputFormat::Same, Format::WebP) => OutputFormat::WebP {
                quality: DEFAULT_WEBP_QUALITY,
            },
            // Phone photos: JPEG is what every viewer reads, whatever this build can write.
            (OutputFormat::Same, Format::Heic | Format::Avif) => OutputFormat::Jpeg {
                quality: DEFAULT_QUALITY,
            },
            (OutputFormat::Same, _) => OutputFormat::Png,
            (other, _) => other,
        }
    }

    /// The container format written, or `None` for `Same` (it depends on the input).
    pub fn format(self) -> Option<Format> {
        match self {
            OutputFormat::Same => None,
            OutputFormat::Jpeg { .. } => Some(Format::Jpeg),
            OutputFormat::Png => Some(Format::Png),
            OutputFormat::WebP { .. } => Some(Format::WebP),
            OutputFormat::Avif { .. } => Some(Format::Avif),
        }
    }

    /// Every format this can write, whatever the input: one, or for [`OutputFormat::Same`] each that
    /// [`resolve`](OutputFormat::resolve) can give. For finding outputs before the input is decoded.
    ///
    /// ```
    /// use imgkit::{Format, OutputFormat};
    /// assert_eq!(OutputFormat::Png.possible_formats(), [Format::Png]);
    /// assert_eq!(OutputFormat::Same.possible_formats(), [Format::Jpeg, Format::Png, Format::WebP]);
    /// ```
    pub fn possible_formats(self) -> Vec<Format> {
        let mut formats: Vec<Format> = Vec::new();
        for input in Format::ALL {
            if let Some(f) = self.resolve(input).format() {
                if !formats.contains(&f) {
                    formats.push(f);
                }
            }
        }
        formats
    }
}
