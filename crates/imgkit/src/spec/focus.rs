//! Where a `cover` crop is placed.

use super::names::{display_and_parse, Named};

/// Where a [`Fit::Cover`](crate::Fit::Cover) crop is placed on the axis it cuts; other fits do not
/// crop, and ignore it.
///
/// The two content-aware strategies look at the decoded image (already reduced by shrink-on-load, and
/// shrunk further to at most 256 pixels a side), so they cost a few milliseconds at most.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Focus {
    /// The middle: the overflow is cut evenly from both sides.
    #[default]
    Center,
    /// The window whose luminance has the highest Shannon entropy: the busiest part of the picture.
    Entropy,
    /// Centred on what draws the eye, as sharp's strategy of that name (libvips' smartcrop) finds it:
    /// luminance edges, skin tones and strongly saturated colours, summed into a 32×32 grid, blurred,
    /// and the crop centred on the peak.
    Attention,
}

impl Focus {
    /// Every focus.
    pub const ALL: [Focus; 3] = [Focus::Center, Focus::Entropy, Focus::Attention];

    /// The name `FromStr` reads and `Display` writes: `center`, `entropy`, `attention`.
    pub fn name(self) -> &'static str {
        match self {
            Focus::Center => "center",
            Focus::Entropy => "entropy",
            Focus::Attention => "attention",
        }
    }
}

/// A focus's name, any case; also `centre`.
///
/// ```
/// use imgkit::Focus;
/// assert_eq!("Attention".parse::<Focus>()?, Focus::Attention);
/// assert_eq!("centre".parse::<Focus>()?, Focus::Center);
/// assert!("face".parse::<Focus>().is_err());
/// # Ok::<(), imgkit::Error>(())
/// ```
impl Named for Focus {
    const WHAT: &'static str = "focus";
    const ALL: &'static [Focus] = &Focus::ALL;

    fn name(self) -> &'static str {
        Focus::name(self)
    }

    fn alias(word: &str) -> Option<Focus> {
        (word == "centre").then_some(Focus::Center)
    }
}

display_and_parse!(Focus);
