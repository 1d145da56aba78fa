//! What one rendition should look like: size, fit, filter, output format, background, byte budget,
//! validated before any decoding; the fit arithmetic it plans with; the compact syntax that names it;
//! and the named renditions the adapters are configured with.

mod filter;
mod fit;
mod focus;
mod geometry;
pub(crate) mod names;
mod output_format;
mod rendition;
mod rgb;
mod syntax;

pub use filter::Filter;
pub use fit::Fit;
pub use focus::Focus;
pub use geometry::{plan, Plan};
pub use output_format::{
    OutputFormat, DEFAULT_AVIF_QUALITY, DEFAULT_AVIF_SPEED, DEFAULT_QUALITY, DEFAULT_WEBP_QUALITY,
};
pub use rendition::{output_name, Rendition};
pub use rgb::Rgb;

use crate::error::{Error, Result};
use crate::Format;

/// Largest output side a spec may ask for (the same scale as [`Limits::max_width`](crate::Limits)).
pub const MAX_SIDE: u32 = 16384;
/// Largest side a WebP can have (a format limit of WebP itself).
const MAX_WEBP_SIDE: u32 = 16383;
/// Largest AVIF output in pixels: encoding time grows with the pixel count, and this cap keeps one
/// encode to a couple of seconds on one core (README, "AVIF output"). Validation refuses a spec whose box is larger,
/// or a one-side spec whose side squared is; an output that an input's shape still takes past it (a
/// tall image at a given width) is refused before decoding, as [`Limit::AvifPixels`](crate::Limit).
pub const MAX_AVIF_PIXELS: u64 = 4_000_000;
/// The lowest quality a rendition with a byte budget ([`Spec::max_bytes`]) is encoded at: below it
/// JPEG's blocks and WebP's and AVIF's smearing show at any size, so a rendition that does not fit at
/// it is refused ([`Error::OverBudget`](crate::Error::OverBudget)) rather than delivered broken.
pub const MIN_BUDGET_QUALITY: u8 = 30;

/// One rendition: target size, fit, filter, output format and background.
///
/// A plain `Copy` value with `with_*` builders, plain getters and safe defaults: Lanczos3,
/// [`Fit::Inside`], no enlargement, same format as the input, white background.
///
/// ```
/// use imgkit::{Fit, OutputFormat, Spec};
/// let thumb = Spec::new()
///     .with_size(200, 200)
///     .with_fit(Fit::Cover)
///     .with_format(OutputFormat::WebP { quality: 80 });
/// assert_eq!((thumb.width(), thumb.fit()), (Some(200), Fit::Cover));
/// assert!(thumb.validate().is_ok());
/// assert_eq!("200x200,cover,webp:80".parse::<Spec>()?, thumb);
/// let err = Spec::new().with_width(0).validate().unwrap_err();
/// assert_eq!(err.to_string(), "invalid spec: width must be 1..=16384, got 0");
/// # Ok::<(), imgkit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    width: Option<u32>,
    height: Option<u32>,
    fit: Fit,
    focus: Focus,
    still: bool,
    enlarge: bool,
    filter: Filter,
    format: OutputFormat,
    background: [u8; 3],
    max_bytes: Option<u64>,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec::new()
    }
}

impl Spec {
    /// A spec with safe defaults and no size yet (at least one side is required by
    /// [`Spec::validate`]): [`Fit::Inside`] (a cover crop centred), no enlargement, [`Filter::Lanczos3`],
    /// [`OutputFormat::Same`], white background, no byte budget.
    pub const fn new() -> Spec {
        Spec {
            width: None,
            height: None,
            fit: Fit::Inside,
            focus: Focus::Center,
            still: false,
            enlarge: false,
            filter: Filter::Lanczos3,
            format: OutputFormat::Same,
            background: [255, 255, 255],
            max_bytes: None,
        }
    }

    /// Scale to this width, keeping the aspect ratio (unless a height is set too).
    #[must_use]
    pub fn with_width(mut self, width: u32) -> Spec {
        self.width = Some(width);
        self
    }

    /// Scale to this height, keeping the aspect ratio (unless a width is set too).
    #[must_use]
    pub fn with_height(mut self, height: u32) -> Spec {
        self.height = Some(height);
        self
    }

    /// Fit into a `width × height` box (see [`Spec::with_fit`]).
    #[must_use]
    pub fn with_size(self, width: u32, height: u32) -> Spec {
        self.with_bounds(Some(width), Some(height))
    }

    /// An optional width and an optional height, as a command line gives them.
    #[must_use]
    pub fn with_bounds(mut self, width: Option<u32>, height: Option<u32>) -> Spec {
        self.width = width;
        self.height = height;
        self
    }

    /// How to fit into a box when both sides are given. Default [`Fit::Inside`].
    #[must_use]
    pub fn with_fit(mut self, fit: Fit) -> Spec {
        self.fit = fit;
        self
    }

    /// Where a [`Fit::Cover`] crop is placed. Default [`Focus::Center`].
    ///
    /// ```
    /// use imgkit::{Fit, Focus, Spec};
    /// let thumb = Spec::new().with_size(200, 200).with_fit(Fit::Cover).with_focus(Focus::Attention);
    /// assert_eq!("200x200,cover,focus=attention".parse::<Spec>()?, thumb);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    #[must_use]
    pub fn with_focus(mut self, focus: Focus) -> Spec {
        self.focus = focus;
        self
    }

    /// Only the first frame of an animation, even in a format that animates. Default `false`: an animated
    /// GIF, WebP or APNG written as WebP keeps every frame, with its delays and loop count.
    ///
    /// ```
    /// use imgkit::Spec;
    /// let still = "200x200,cover,webp,still".parse::<Spec>()?;
    /// assert!(still.still());
    /// assert_eq!(still.to_string().parse::<Spec>()?, still);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    #[must_use]
    pub fn with_still(mut self, still: bool) -> Spec {
        self.still = still;
        self
    }

    /// Allow upscaling images smaller than the target. Default `false`.
    #[must_use]
    pub fn with_enlarge(mut self, enlarge: bool) -> Spec {
        self.enlarge = enlarge;
        self
    }

    /// Resampling filter. Default [`Filter::Lanczos3`].
    #[must_use]
    pub fn with_filter(mut self, filter: Filter) -> Spec {
        self.filter = filter;
        self
    }

    /// Output format. Default [`OutputFormat::Same`].
    #[must_use]
    pub fn with_format(mut self, format: OutputFormat) -> Spec {
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
    /// let spec = Spec::new()
    ///     .with_width(600)
    ///     .with_format(OutputFormat::Jpeg { quality: 95 })
    ///     .with_max_bytes(Some(30_000));
    /// let out = Processor::new(Limits::default()).process(&photo, &spec)?;
    /// assert!(out.bytes.len() <= 30_000);
    /// assert_eq!("600w,jpeg:95,max=30k".parse::<Spec>()?, spec);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    #[must_use]
    pub fn with_max_bytes(mut self, bytes: Option<u64>) -> Spec {
        self.max_bytes = bytes;
        self
    }

    /// Colour that transparent pixels are flattened onto when the output has no alpha (JPEG).
    /// Default white.
    #[must_use]
    pub fn with_background(mut self, rgb: [u8; 3]) -> Spec {
        self.background = rgb;
        self
    }

    /// The output size and crop of this spec for a source displayed at `width × height` (see [`plan`]).
    ///
    /// ```
    /// use imgkit::{Fit, Spec};
    /// let p = Spec::new().with_size(300, 300).with_fit(Fit::Cover).plan_for(4000, 3000);
    /// assert_eq!((p.width, p.height), (300, 300));
    /// ```
    pub fn plan_for(&self, width: u32, height: u32) -> Plan {
        plan(width, height, self.width, self.height, self.fit, self.enlarge)
    }

    /// Target width, if any.
    pub fn width(&self) -> Option<u32> {
        self.width
    }

    /// Target height, if any.
    pub fn height(&self) -> Option<u32> {
        self.height
    }

    /// How the image fits a box.
    pub fn fit(&self) -> Fit {
        self.fit
    }

    /// Where a cover crop is placed.
    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// Whether an animation gives only its first frame.
    pub fn still(&self) -> bool {
        self.still
    }

    /// Whether upscaling is allowed.
    pub fn enlarge(&self) -> bool {
        self.enlarge
    }

    /// The resampling filter.
    pub fn filter(&self) -> Filter {
        self.filter
    }

    /// The requested output format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The flattening background.
    pub fn background(&self) -> [u8; 3] {
        self.background
    }

    /// The byte budget, if any.
    pub fn max_bytes(&self) -> Option<u64> {
        self.max_bytes
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
        let spec = |s: &str| s.parse::<Spec>().map(|spec| spec.max_bytes());
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
        assert_eq!("400".parse::<Spec>().ok(), Some(Spec::new().with_width(400)));
        assert_eq!("400w".parse::<Spec>().ok(), Some(Spec::new().with_width(400)));
        assert_eq!("300h".parse::<Spec>().ok(), Some(Spec::new().with_height(300)));
        let s: Spec = "1600w, inside, jpeg:85, catmullrom, enlarge, bg=000000"
            .parse()
            .unwrap();
        assert_eq!(
            s,
            Spec::new()
                .with_width(1600)
                .with_format(OutputFormat::Jpeg { quality: 85 })
                .with_filter(Filter::CatmullRom)
                .with_enlarge(true)
                .with_background([0, 0, 0])
        );
        assert_eq!(
            "10x10,contain".parse::<Spec>().ok(),
            Some(Spec::new().with_size(10, 10))
        );
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
            Spec::new().with_bounds(None, None).validate().unwrap_err().kind(),
            ErrorKind::InvalidSpec
        );
    }

    #[test]
    fn avif_specs_are_refused_past_the_pixel_cap_or_without_the_encoder() {
        let result = "2000x2000,avif".parse::<Spec>();
        if cfg!(feature = "avif") {
            assert_eq!(
                result.ok(),
                Some(Spec::new().with_size(2000, 2000).with_format(OutputFormat::Avif {
                    quality: DEFAULT_AVIF_QUALITY,
                    speed: DEFAULT_AVIF_SPEED
                }))
            );
            assert!(err("2001x2000,avif").contains("over the cap of 4000000"));
            assert!(err("2001w,avif:50").contains("over the cap"));
            assert!("4000w,jpeg".parse::<Spec>().is_ok(), "the cap is AVIF's alone");
            let fast = Spec::new().with_width(10).with_format(OutputFormat::Avif {
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
                               fit in 0u8..3, focus in 0u8..3, enlarge: bool, bg: [u8; 3], max in proptest::option::of(1u64..1 << 40)) {
            let base = match which { 0 => Spec::new().with_width(w), 1 => Spec::new().with_height(h), _ => Spec::new().with_size(w, h) };
            let fit = [Fit::Inside, Fit::Cover, Fit::Fill][fit as usize];
            let spec = base.with_fit(fit).with_focus(Focus::ALL[focus as usize]).with_enlarge(enlarge).with_background(bg).with_format(OutputFormat::Jpeg { quality: q })
                .with_max_bytes(max);
            prop_assert_eq!(spec.to_string().parse::<Spec>().ok(), Some(spec));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,40}") {
            let _ = s.parse::<Spec>();
            let _ = Rendition::parse_list(&s);
        }
    }
}
