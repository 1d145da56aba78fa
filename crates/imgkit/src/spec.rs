//! What one rendition should look like: size, fit, filter, output format. Validated before any decoding.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::geometry::{plan, Plan};
use crate::{Fit, Format};

/// Largest output side a spec may ask for (the same scale as [`Limits::max_width`](crate::Limits)).
pub const MAX_SIDE: u32 = 16384;
/// Largest side a WebP can have (a format limit of WebP itself).
const MAX_WEBP_SIDE: u32 = 16383;
/// JPEG quality used for [`OutputFormat::Same`] and when a rendition string gives none: the lowest whose
/// SSIMULACRA2 score reaches that of sharp's default JPEG (q80, libjpeg-turbo) on every shared photo's
/// 400 px thumbnail, at 0.99x its bytes (`benches/compare/bytes.py`; README, "JPEG bytes").
pub const DEFAULT_QUALITY: u8 = 83;
/// WebP quality used for [`OutputFormat::Same`] and when a rendition string gives none: sharp's default
/// (the same libwebp, so the same score at the same bytes).
pub const DEFAULT_WEBP_QUALITY: u8 = 80;
/// AVIF quality when a rendition string gives none (AVIF's scale is its own: see
/// [`OutputFormat::Avif`]): the lowest whose score reaches that of sharp's default AVIF (q50) on every
/// shared photo. sharp's libaom at its default effort keeps 4:4:4 chroma and takes 13x rav1e's time at
/// speed 10, so this needs 2.5x its bytes (`benches/compare/bytes.py`).
pub const DEFAULT_AVIF_QUALITY: u8 = 64;
/// rav1e's speed preset for AVIF unless set (0 slowest … 10 fastest): the fastest, the only one that
/// keeps a 400×300 thumbnail under 100 ms on one core (41–61 ms on the shared photos). Speed 8 takes
/// 106–196 ms and needs 0.83–1.02× WebP's bytes at equal SSIM, where 10 needs 0.95–1.38× (README,
/// "AVIF output").
pub const DEFAULT_AVIF_SPEED: u8 = 10;
/// Largest AVIF output in pixels: encoding time grows with the pixel count (0.38–0.51 µs a pixel at the
/// default speed on one core, so 1.5–2.0 s at this cap). Validation refuses a spec whose box is larger,
/// or a one-side spec whose side squared is; an output that an input's shape still takes past it (a
/// tall image at a given width) is refused before decoding, as [`Limit::AvifPixels`](crate::Limit).
pub const MAX_AVIF_PIXELS: u64 = 4_000_000;
/// The lowest quality a rendition with a byte budget ([`Spec::max_bytes`]) is encoded at: below it
/// JPEG's blocks and WebP's and AVIF's smearing show at any size, so a rendition that does not fit at
/// it is refused ([`Error::OverBudget`](crate::Error::OverBudget)) rather than delivered broken.
pub const MIN_BUDGET_QUALITY: u8 = 30;

/// Resampling filter for resizing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Filter {
    /// Lanczos with 3 lobes: sharpest, the usual choice for downscaling photos.
    #[default]
    Lanczos3,
    /// Catmull-Rom bicubic: slightly softer, a little faster.
    CatmullRom,
    /// Mitchell–Netravali bicubic: soft, no ringing.
    Mitchell,
    /// Bilinear: fast, soft.
    Bilinear,
    /// Box (area average): fastest convolution.
    Box,
    /// Nearest neighbour: no filtering at all (pixel art).
    Nearest,
}

impl Filter {
    /// Every filter, sharpest first.
    pub const ALL: [Filter; 6] = [
        Filter::Lanczos3,
        Filter::CatmullRom,
        Filter::Mitchell,
        Filter::Bilinear,
        Filter::Box,
        Filter::Nearest,
    ];

    /// The name [`FromStr`] reads and [`Display`](fmt::Display) writes: `lanczos3`, `catmullrom`,
    /// `mitchell`, `bilinear`, `box`, `nearest`.
    pub fn name(self) -> &'static str {
        match self {
            Filter::Lanczos3 => "lanczos3",
            Filter::CatmullRom => "catmullrom",
            Filter::Mitchell => "mitchell",
            Filter::Bilinear => "bilinear",
            Filter::Box => "box",
            Filter::Nearest => "nearest",
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A filter's name, any case; also `lanczos`, `catmull-rom` and `bicubic`.
///
/// ```
/// use imgkit::Filter;
/// assert_eq!("Bicubic".parse::<Filter>()?, Filter::CatmullRom);
/// assert!("sinc".parse::<Filter>().is_err());
/// # Ok::<(), imgkit::Error>(())
/// ```
impl FromStr for Filter {
    type Err = Error;

    fn from_str(s: &str) -> Result<Filter> {
        let lower = s.trim().to_ascii_lowercase();
        let alias = match lower.as_str() {
            "lanczos" => Some(Filter::Lanczos3),
            "catmull-rom" | "bicubic" => Some(Filter::CatmullRom),
            _ => None,
        };
        alias
            .or_else(|| Filter::ALL.into_iter().find(|f| f.name() == lower))
            .ok_or_else(|| {
                let names: Vec<&str> = Filter::ALL.iter().map(|f| f.name()).collect();
                Error::spec(
                    "filter",
                    format!("must be one of {}, got {s:?}", names.join(", ")),
                )
            })
    }
}

/// A background colour, `RRGGBB` in hexadecimal (an optional leading `#`).
///
/// ```
/// use imgkit::Rgb;
/// assert_eq!("#ff8000".parse::<Rgb>()?, Rgb([255, 128, 0]));
/// assert_eq!(Rgb([255, 128, 0]).to_string(), "ff8000");
/// assert!("orange".parse::<Rgb>().is_err());
/// # Ok::<(), imgkit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub [u8; 3]);

impl FromStr for Rgb {
    type Err = Error;

    fn from_str(s: &str) -> Result<Rgb> {
        let hex = s.trim().trim_start_matches('#');
        let bad = || Error::spec("background", format!("must be 6 hex digits RRGGBB, got {hex:?}"));
        if hex.len() != 6 || !hex.is_ascii() {
            return Err(bad());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        Ok(Rgb([byte(0)?, byte(2)?, byte(4)?]))
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "{r:02x}{g:02x}{b:02x}")
    }
}

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
    /// the `avif` Cargo feature (on in the CLI and the Lambda function); at most [`MAX_AVIF_PIXELS`].
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

/// One rendition: target size, fit, filter, output format and background.
///
/// A plain `Copy` value with chainable setters and safe defaults: Lanczos3, [`Fit::Inside`], no
/// enlargement, same format as the input, white background.
///
/// ```
/// use imgkit::{Fit, OutputFormat, Spec};
/// let thumb = Spec::size(200, 200).fit(Fit::Cover).format(OutputFormat::WebP { quality: 80 });
/// assert!(thumb.validate().is_ok());
/// assert_eq!("200x200,cover,webp:80".parse::<Spec>()?, thumb);
/// let err = Spec::width(0).validate().unwrap_err();
/// assert_eq!(err.to_string(), "invalid spec: width must be 1..=16384, got 0");
/// # Ok::<(), imgkit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    width: Option<u32>,
    height: Option<u32>,
    fit: Fit,
    enlarge: bool,
    filter: Filter,
    format: OutputFormat,
    background: [u8; 3],
    max_bytes: Option<u64>,
}

impl Spec {
    /// Scale to this width, keeping the aspect ratio.
    pub fn width(width: u32) -> Spec {
        Spec::new(Some(width), None)
    }

    /// Scale to this height, keeping the aspect ratio.
    pub fn height(height: u32) -> Spec {
        Spec::new(None, Some(height))
    }

    /// Fit into a `width × height` box (see [`Spec::fit`]).
    pub fn size(width: u32, height: u32) -> Spec {
        Spec::new(Some(width), Some(height))
    }

    /// A spec with an optional width and height (at least one is required by [`Spec::validate`]).
    pub fn new(width: Option<u32>, height: Option<u32>) -> Spec {
        Spec {
            width,
            height,
            fit: Fit::Inside,
            enlarge: false,
            filter: Filter::Lanczos3,
            format: OutputFormat::Same,
            background: [255, 255, 255],
            max_bytes: None,
        }
    }

    /// How to fit into a box when both sides are given. Default [`Fit::Inside`].
    #[must_use]
    pub fn fit(mut self, fit: Fit) -> Spec {
        self.fit = fit;
        self
    }

    /// Allow upscaling images smaller than the target. Default `false`.
    #[must_use]
    pub fn enlarge(mut self, enlarge: bool) -> Spec {
        self.enlarge = enlarge;
        self
    }

    /// Resampling filter. Default [`Filter::Lanczos3`].
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Spec {
        self.filter = filter;
        self
    }

    /// Output format. Default [`OutputFormat::Same`].
    #[must_use]
    pub fn format(mut self, format: OutputFormat) -> Spec {
        self.format = format;
        self
    }

    /// At most `bytes` of output: the highest quality, from the format's own down to
    /// [`MIN_BUDGET_QUALITY`], whose encoding fits, found by a bisection of at most eight encodings. An
    /// output that does not fit even at that quality is refused with
    /// [`Error::OverBudget`](crate::Error::OverBudget). Needs a format with a quality (JPEG, WebP,
    /// AVIF, or `same` for an input written as one of them).
    ///
    /// ```
    /// use imgkit::{Limits, OutputFormat, Processor, Spec};
    /// let photo = imgkit_testkit::encode::photo_jpeg(1200, 800, 95);
    /// let spec = Spec::width(600).format(OutputFormat::Jpeg { quality: 95 }).max_bytes(Some(30_000));
    /// let out = Processor::new(Limits::default()).process(&photo, &spec)?;
    /// assert!(out.bytes.len() <= 30_000);
    /// assert_eq!("600w,jpeg:95,max=30k".parse::<Spec>()?, spec);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    #[must_use]
    pub fn max_bytes(mut self, bytes: Option<u64>) -> Spec {
        self.max_bytes = bytes;
        self
    }

    /// The byte budget, if any.
    pub fn byte_budget(&self) -> Option<u64> {
        self.max_bytes
    }

    /// Colour that transparent pixels are flattened onto when the output has no alpha (JPEG).
    /// Default white.
    #[must_use]
    pub fn background(mut self, rgb: [u8; 3]) -> Spec {
        self.background = rgb;
        self
    }

    /// The output size and crop of this spec for a source displayed at `width × height` (see [`plan`]).
    ///
    /// ```
    /// use imgkit::{Fit, Spec};
    /// let p = Spec::size(300, 300).fit(Fit::Cover).plan_for(4000, 3000);
    /// assert_eq!((p.width, p.height), (300, 300));
    /// ```
    pub fn plan_for(&self, width: u32, height: u32) -> Plan {
        plan(width, height, self.width, self.height, self.fit, self.enlarge)
    }

    /// Target width, if any.
    pub fn target_width(&self) -> Option<u32> {
        self.width
    }

    /// Target height, if any.
    pub fn target_height(&self) -> Option<u32> {
        self.height
    }

    /// The fit mode.
    pub fn fit_mode(&self) -> Fit {
        self.fit
    }

    /// Whether upscaling is allowed.
    pub fn enlarges(&self) -> bool {
        self.enlarge
    }

    /// The resampling filter.
    pub fn filter_kind(&self) -> Filter {
        self.filter
    }

    /// The requested output format.
    pub fn output_format(&self) -> OutputFormat {
        self.format
    }

    /// The flattening background.
    pub fn background_rgb(&self) -> [u8; 3] {
        self.background
    }

    /// Checks every field; the error names the field and the value.
    pub fn validate(&self) -> Result<()> {
        if self.width.is_none() && self.height.is_none() {
            return Err(Error::spec(
                "size",
                "needs a width, a height or both, got neither",
            ));
        }
        let max_side = if matches!(self.format, OutputFormat::WebP { .. }) {
            MAX_WEBP_SIDE
        } else {
            MAX_SIDE
        };
        for (field, value) in [("width", self.width), ("height", self.height)] {
            if let Some(v) = value.filter(|v| !(1..=max_side).contains(v)) {
                return Err(Error::spec(field, format!("must be 1..={max_side}, got {v}")));
            }
        }
        if let OutputFormat::Jpeg { quality }
        | OutputFormat::WebP { quality }
        | OutputFormat::Avif { quality, .. } = self.format
        {
            if !(1..=100).contains(&quality) {
                return Err(Error::spec("quality", format!("must be 1..=100, got {quality}")));
            }
        }
        if let Some(max) = self.max_bytes {
            if max == 0 {
                return Err(Error::spec("max", "must be at least 1 byte, got 0"));
            }
            if self.format == OutputFormat::Png {
                return Err(Error::spec(
                    "max",
                    "needs a format with a quality (jpeg, webp, avif or same), got png",
                ));
            }
        }
        if let OutputFormat::Avif { speed, .. } = self.format {
            if !Format::Avif.encoder_compiled() {
                return Err(Error::spec(
                    "format",
                    "avif needs imgkit built with its `avif` Cargo feature",
                ));
            }
            if speed > 10 {
                return Err(Error::spec("speed", format!("must be 0..=10, got {speed}")));
            }
            // A box bounds the output; one side alone is judged by its square.
            let side = |v: Option<u32>| v.map_or(0, u64::from);
            let least = match (self.width, self.height) {
                (Some(w), Some(h)) => u64::from(w) * u64::from(h),
                _ => side(self.width).max(side(self.height)).pow(2),
            };
            if least > MAX_AVIF_PIXELS {
                return Err(Error::spec(
                    "size",
                    format!(
                        "an AVIF this size has {least} pixels or more, over the cap of {MAX_AVIF_PIXELS} \
                         (encoding time grows with pixels)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Parses the compact rendition syntax shared by the CLI and the Lambda settings:
/// comma-separated tokens, in any order after the size.
///
/// - size: `400` or `400w` (width), `300h` (height), `400x300` (box)
/// - fit: `inside`, `contain` (= inside), `cover`, `fill`
/// - format: `same`, `png`, `jpeg`/`jpg`, `webp` or `avif`, each but `same` and `png` with optional
///   `:quality`, and `avif` with an optional `:speed` after it
/// - filter: `lanczos3`, `catmullrom`, `mitchell`, `bilinear`, `box`, `nearest`
/// - `enlarge`; `bg=RRGGBB`
/// - `max=BYTES`: a byte budget ([`Spec::max_bytes`]), a number with an optional `k` (thousand) or `m`
///   (million): `max=40k`
///
/// The result is validated.
impl FromStr for Spec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Spec> {
        let mut tokens = s.split(',').map(str::trim);
        let size = tokens.next().unwrap_or_default();
        let mut spec = parse_size(size)?;
        for token in tokens {
            let lower = token.to_ascii_lowercase();
            spec = if let Some(rgb) = lower.strip_prefix("bg=") {
                spec.background(rgb.parse::<Rgb>()?.0)
            } else if let Some(max) = lower.strip_prefix("max=") {
                spec.max_bytes(Some(parse_bytes(max)?))
            } else if lower == "enlarge" {
                spec.enlarge(true)
            } else if let Ok(fit) = lower.parse::<Fit>() {
                spec.fit(fit)
            } else if let Ok(filter) = lower.parse::<Filter>() {
                spec.filter(filter)
            } else {
                match lower.parse::<OutputFormat>() {
                    Ok(format) => spec.format(format),
                    Err(
                        e @ Error::InvalidSpec {
                            field: "quality" | "speed",
                            ..
                        },
                    ) => return Err(e),
                    Err(_) => {
                        return Err(Error::spec(
                            "option",
                            format!("is not one of fit/format/filter/enlarge/bg=, got {token:?}"),
                        ))
                    }
                }
            };
        }
        spec.validate()?;
        Ok(spec)
    }
}

/// `40000`, `40k` or `1.5m`: bytes, in thousands or in millions (as page-weight budgets count).
fn parse_bytes(text: &str) -> Result<u64> {
    let bad = || {
        Error::spec(
            "max",
            format!("must be bytes like 40000, 40k or 1.5m, got {text:?}"),
        )
    };
    let (number, unit) = match text.as_bytes().last() {
        Some(b'k') => (&text[..text.len() - 1], 1e3),
        Some(b'm') => (&text[..text.len() - 1], 1e6),
        _ => (text, 1.0),
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * unit).round();
    if !bytes.is_finite() || !(0.0..=1e15).contains(&bytes) {
        return Err(bad());
    }
    Ok(bytes as u64)
}

fn parse_size(token: &str) -> Result<Spec> {
    let bad = || {
        Error::spec(
            "size",
            format!("must look like 400, 400w, 300h or 400x300, got {token:?}"),
        )
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let t = token.to_ascii_lowercase();
    if let Some((w, h)) = t.split_once('x') {
        Ok(Spec::size(num(w)?, num(h)?))
    } else if let Some(h) = t.strip_suffix('h') {
        Ok(Spec::height(num(h)?))
    } else {
        Ok(Spec::width(num(t.strip_suffix('w').unwrap_or(&t))?))
    }
}

/// A named spec, e.g. `thumb=200x200,cover,webp`: the unit of configuration in the CLI and the Lambda.
///
/// ```
/// use imgkit::Rendition;
/// let all = Rendition::parse_list("thumb=200x200,cover,webp; medium=800w,inside,jpeg:82")?;
/// assert_eq!(all[1].name, "medium");
/// # Ok::<(), imgkit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rendition {
    /// Name, used in output paths: ASCII letters, digits, `-` and `_`, 1–64 characters.
    pub name: String,
    /// What the rendition looks like: size, fit, filter, format, background.
    pub spec: Spec,
}

impl Rendition {
    /// Parses a `;`-separated list of renditions; names must be unique and the list non-empty.
    pub fn parse_list(s: &str) -> Result<Vec<Rendition>> {
        let list: Vec<Rendition> = s
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::parse)
            .collect::<Result<_>>()?;
        if list.is_empty() {
            return Err(Error::spec(
                "renditions",
                "must name at least one rendition, got none",
            ));
        }
        for (i, r) in list.iter().enumerate() {
            if list[..i].iter().any(|other| other.name == r.name) {
                return Err(Error::spec(
                    "name",
                    format!("must be unique, got {:?} twice", r.name),
                ));
            }
        }
        Ok(list)
    }
}

impl FromStr for Rendition {
    type Err = Error;

    fn from_str(s: &str) -> Result<Rendition> {
        let (name, spec) = s
            .split_once('=')
            .ok_or_else(|| Error::spec("rendition", format!("must look like name=spec, got {s:?}")))?;
        let name = name.trim();
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || name.len() > 64 || !name.chars().all(valid) {
            return Err(Error::spec(
                "name",
                format!("must be 1-64 of [A-Za-z0-9_-], got {name:?}"),
            ));
        }
        Ok(Rendition {
            name: name.to_string(),
            spec: spec.parse()?,
        })
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.width, self.height) {
            (Some(w), Some(h)) => write!(f, "{w}x{h}")?,
            (Some(w), None) => write!(f, "{w}w")?,
            (None, Some(h)) => write!(f, "{h}h")?,
            (None, None) => f.write_str("0w")?,
        }
        write!(f, ",{},{}", self.fit, self.filter)?;
        match self.format {
            OutputFormat::Same => f.write_str(",same")?,
            OutputFormat::Jpeg { quality } => write!(f, ",jpeg:{quality}")?,
            OutputFormat::Png => f.write_str(",png")?,
            OutputFormat::WebP { quality } => write!(f, ",webp:{quality}")?,
            OutputFormat::Avif { quality, speed } => write!(f, ",avif:{quality}:{speed}")?,
        }
        if self.enlarge {
            f.write_str(",enlarge")?;
        }
        if let Some(max) = self.max_bytes {
            write!(f, ",max={max}")?;
        }
        write!(f, ",bg={}", Rgb(self.background))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use proptest::prelude::*;

    fn err(s: &str) -> String {
        s.parse::<Spec>().unwrap_err().to_string()
    }

    #[test]
    fn byte_budgets_parse_and_need_a_quality() {
        let spec = |s: &str| s.parse::<Spec>().map(|spec| spec.byte_budget());
        assert_eq!(spec("400w,jpeg:82,max=40k").ok(), Some(Some(40_000)));
        assert_eq!(spec("400w,webp,max=1.5m").ok(), Some(Some(1_500_000)));
        assert_eq!(spec("400w,max=12345").ok(), Some(Some(12_345)));
        assert_eq!(
            err("400w,png,max=40k"),
            "invalid spec: max needs a format with a quality (jpeg, webp, avif or same), got png"
        );
        assert_eq!(
            err("400w,max=0"),
            "invalid spec: max must be at least 1 byte, got 0"
        );
        assert!(err("400w,max=lots").contains("must be bytes like 40000, 40k or 1.5m"));
        assert!(err("400w,max=-5k").contains("must be bytes like"));
    }

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!("400".parse::<Spec>().ok(), Some(Spec::width(400)));
        assert_eq!("400w".parse::<Spec>().ok(), Some(Spec::width(400)));
        assert_eq!("300h".parse::<Spec>().ok(), Some(Spec::height(300)));
        let s: Spec = "1600w, inside, jpeg:85, catmullrom, enlarge, bg=000000"
            .parse()
            .unwrap();
        assert_eq!(
            s,
            Spec::width(1600)
                .format(OutputFormat::Jpeg { quality: 85 })
                .filter(Filter::CatmullRom)
                .enlarge(true)
                .background([0, 0, 0])
        );
        assert_eq!("10x10,contain".parse::<Spec>().ok(), Some(Spec::size(10, 10)));
    }

    #[test]
    fn errors_name_field_and_value() {
        assert_eq!(err("0w"), "invalid spec: width must be 1..=16384, got 0");
        assert_eq!(
            err("20000x10"),
            "invalid spec: width must be 1..=16384, got 20000"
        );
        assert_eq!(
            err("16384w,webp"),
            "invalid spec: width must be 1..=16383, got 16384"
        );
        assert_eq!(err("10,jpeg:0"), "invalid spec: quality must be 1..=100, got 0");
        assert_eq!(
            err("10,jpeg:101"),
            "invalid spec: quality must be 1..=100, got 101"
        );
        assert!(err("10,jpeg:x").contains("quality"));
        assert!(err("abc").contains("size"));
        assert!(err("10,sideways").contains("\"sideways\""));
        assert!(err("10,bg=12").contains("background"));
        assert_eq!(
            Spec::new(None, None).validate().unwrap_err().kind(),
            ErrorKind::InvalidSpec
        );
    }

    #[test]
    fn avif_specs_are_refused_past_the_pixel_cap_or_without_the_encoder() {
        let result = "2000x2000,avif".parse::<Spec>();
        if cfg!(feature = "avif") {
            assert_eq!(
                result.ok(),
                Some(Spec::size(2000, 2000).format(OutputFormat::Avif {
                    quality: DEFAULT_AVIF_QUALITY,
                    speed: DEFAULT_AVIF_SPEED
                }))
            );
            assert!(err("2001x2000,avif").contains("over the cap of 4000000"));
            assert!(err("2001w,avif:50").contains("over the cap"));
            assert!("4000w,jpeg".parse::<Spec>().is_ok(), "the cap is AVIF's alone");
            let fast = Spec::width(10).format(OutputFormat::Avif {
                quality: 50,
                speed: 11,
            });
            assert!(fast.validate().unwrap_err().to_string().contains("speed"));
        } else {
            assert!(result.unwrap_err().to_string().contains("`avif` Cargo feature"));
        }
    }

    #[test]
    fn rendition_lists_need_unique_valid_names() {
        assert!(Rendition::parse_list("a=10;a=20")
            .unwrap_err()
            .to_string()
            .contains("unique"));
        assert!(Rendition::parse_list("bad name=10").is_err());
        assert!(Rendition::parse_list(" ; ").is_err());
        assert_eq!(
            Rendition::parse_list("a=10; b=20h").map(|l| l.len()).ok(),
            Some(2)
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(w in 1u32..16384, h in 1u32..16384, which in 0u8..3, q in 1u8..=100,
                               fit in 0u8..3, enlarge: bool, bg: [u8; 3], max in proptest::option::of(1u64..1 << 40)) {
            let base = match which { 0 => Spec::width(w), 1 => Spec::height(h), _ => Spec::size(w, h) };
            let fit = [Fit::Inside, Fit::Cover, Fit::Fill][fit as usize];
            let spec = base.fit(fit).enlarge(enlarge).background(bg).format(OutputFormat::Jpeg { quality: q })
                .max_bytes(max);
            prop_assert_eq!(spec.to_string().parse::<Spec>().ok(), Some(spec));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,40}") {
            let _ = s.parse::<Spec>();
            let _ = Rendition::parse_list(&s);
        }
    }
}
