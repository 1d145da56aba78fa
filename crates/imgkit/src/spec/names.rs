//! One mechanism for the enums a rendition names by a word (`Fit`, `Filter`): the list of values, each
//! one's name, a few accepted aliases, and from those `Display` and `FromStr` with an error that lists
//! the names.

use crate::error::{Error, Result};

/// An enum whose values are written and read as words.
pub(crate) trait Named: Copy + 'static {
    /// What the value is, for errors: `fit`, `filter`.
    const WHAT: &'static str;
    /// Every value, in the order the error lists them.
    const ALL: &'static [Self];
    /// The word for this value.
    fn name(self) -> &'static str;
    /// Other words accepted for a value (lower case).
    fn alias(_word: &str) -> Option<Self> {
        None
    }
}

/// Reads `text` (any case, trimmed) as one of `T`'s names or aliases.
pub(crate) fn parse<T: Named>(text: &str) -> Result<T> {
    let lower = text.trim().to_ascii_lowercase();
    T::alias(&lower)
        .or_else(|| T::ALL.iter().copied().find(|v| v.name() == lower))
        .ok_or_else(|| {
            let names: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
            Error::spec(
                T::WHAT,
                format!("must be one of {}, got {text:?}", names.join(", ")),
            )
        })
}

/// `Display` (the name) and `FromStr` ([`parse`]) for a [`Named`] enum.
macro_rules! display_and_parse {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(crate::spec::names::Named::name(*self))
            }
        }

        impl std::str::FromStr for $t {
            type Err = crate::error::Error;

            fn from_str(s: &str) -> crate::error::Result<$t> {
                crate::spec::names::parse(s)
            }
        }
    };
}
pub(crate) use display_and_parse;
