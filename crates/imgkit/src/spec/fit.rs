//! How an image is fitted into a target box.

use super::names::{display_and_parse, Named};

/// How an image is fitted into a target box when both width and height are given.
///
/// With only a width or only a height, every mode keeps the aspect ratio and scales to that side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fit {
    /// Scale to fit entirely inside the box, keeping the aspect ratio (sharp's `inside`; `contain` is
    /// accepted as a synonym in rendition strings). The output may be smaller than the box on one side.
    #[default]
    Inside,
    /// Scale to cover the box, keeping the aspect ratio, and crop the overflow evenly from both sides.
    Cover,
    /// Stretch to exactly the box, ignoring the aspect ratio.
    Fill,
}

impl Fit {
    /// Every fit.
    pub const ALL: [Fit; 3] = [Fit::Inside, Fit::Cover, Fit::Fill];

    /// The name `FromStr` reads and `Display` writes: `inside`, `cover`, `fill`.
    pub fn name(self) -> &'static str {
        match self {
            Fit::Inside => "inside",
            Fit::Cover => "cover",
            Fit::Fill => "fill",
        }
    }
}

/// A fit's name, any case; also `contain` for `inside`.
///
/// ```
/// use imgkit::Fit;
/// assert_eq!("contain".parse::<Fit>()?, Fit::Inside);
/// assert_eq!(Fit::Cover.to_string(), "cover");
/// assert!("stretch".parse::<Fit>().is_err());
/// # Ok::<(), imgkit::Error>(())
/// ```
impl Named for Fit {
    const WHAT: &'static str = "fit";
    const ALL: &'static [Fit] = &Fit::ALL;

    fn name(self) -> &'static str {
        Fit::name(self)
    }

    fn alias(word: &str) -> Option<Fit> {
        (word == "contain").then_some(Fit::Inside)
    }
}

display_and_parse!(Fit);
