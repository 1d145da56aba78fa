//! The resampling filter.

use super::names::{display_and_parse, Named};

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

    /// The name `FromStr` reads and `Display` writes: `lanczos3`, `catmullrom`,
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

/// A filter's name, any case; also `lanczos`, `catmull-rom` and `bicubic`.
///
/// ```
/// use imgkit::Filter;
/// assert_eq!("Bicubic".parse::<Filter>()?, Filter::CatmullRom);
/// assert!("sinc".parse::<Filter>().is_err());
/// # Ok::<(), imgkit::Error>(())
/// ```
impl Named for Filter {
    const WHAT: &'static str = "filter";
    const ALL: &'static [Filter] = &Filter::ALL;

    fn name(self) -> &'static str {
        Filter::name(self)
    }

    fn alias(word: &str) -> Option<Filter> {
        match word {
            "lanczos" => Some(Filter::Lanczos3),
            "catmull-rom" | "bicubic" => Some(Filter::CatmullRom),
            _ => None,
        }
    }
}

display_and_parse!(Filter);
