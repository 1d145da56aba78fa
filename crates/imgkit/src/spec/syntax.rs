//! The compact rendition syntax (`400x300,cover,webp:80,max=40k`), read and written.

use std::fmt;
use std::str::FromStr;

use super::{Filter, Fit, Focus, OutputFormat, Rgb, Spec};
use crate::error::{Error, Result};

/// Parses the compact rendition syntax shared by the CLI and the Lambda settings:
/// comma-separated tokens, in any order after the size.
///
/// - size: `400` or `400w` (width), `300h` (height), `400x300` (box)
/// - fit: `inside`, `contain` (= inside), `cover`, `fill`
/// - `focus=center|entropy|attention`: where a `cover` crop is placed ([`Focus`])
/// - format: `same`, `png`, `jpeg`/`jpg`, `webp` or `avif`, each but `same` and `png` with optional
///   `:quality`, and `avif` with an optional `:speed` after it
/// - filter: `lanczos3`, `catmullrom`, `mitchell`, `bilinear`, `box`, `nearest`
/// - `still`: the first frame of an animation only ([`Spec::with_still`])
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
        let mut spec = parse_dimensions(size)?;
        for token in tokens {
            let lower = token.to_ascii_lowercase();
            spec = if let Some(rgb) = lower.strip_prefix("bg=") {
                spec.with_background(rgb.parse::<Rgb>()?.0)
            } else if let Some(focus) = lower.strip_prefix("focus=") {
                spec.with_focus(focus.parse::<Focus>()?)
            } else if let Some(max) = lower.strip_prefix("max=") {
                spec.with_max_bytes(Some(parse_bytes(max)?))
            } else if lower == "enlarge" {
                spec.with_enlarge(true)
            } else if lower == "still" {
                spec.with_still(true)
            } else if let Ok(fit) = lower.parse::<Fit>() {
                spec.with_fit(fit)
            } else if let Ok(filter) = lower.parse::<Filter>() {
                spec.with_filter(filter)
            } else {
                match lower.parse::<OutputFormat>() {
                    Ok(format) => spec.with_format(format),
                    Err(
                        e @ Error::InvalidSpec {
                            field: "quality" | "speed",
                            ..
                        },
                    ) => return Err(e),
                    Err(_) => {
                        return Err(Error::spec(
                            "option",
                            format!(
                            "is not one of fit/focus=/format/filter/still/enlarge/bg=/max=, got {token:?}"
                        ),
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

fn parse_dimensions(token: &str) -> Result<Spec> {
    let bad = || {
        Error::spec(
            "size",
            format!("must look like 400, 400w, 300h or 400x300, got {token:?}"),
        )
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let t = token.to_ascii_lowercase();
    if let Some((w, h)) = t.split_once('x') {
        Ok(Spec::new().with_size(num(w)?, num(h)?))
    } else if let Some(h) = t.strip_suffix('h') {
        Ok(Spec::new().with_height(num(h)?))
    } else {
        Ok(Spec::new().with_width(num(t.strip_suffix('w').unwrap_or(&t))?))
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
        if self.focus != Focus::Center {
            write!(f, ",focus={}", self.focus)?;
        }
        match self.format {
            OutputFormat::Same => f.write_str(",same")?,
            OutputFormat::Jpeg { quality } => write!(f, ",jpeg:{quality}")?,
            OutputFormat::Png => f.write_str(",png")?,
            OutputFormat::WebP { quality } => write!(f, ",webp:{quality}")?,
            OutputFormat::Avif { quality, speed } => write!(f, ",avif:{quality}:{speed}")?,
        }
        if self.still {
            f.write_str(",still")?;
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
