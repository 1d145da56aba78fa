//! A background colour.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

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
