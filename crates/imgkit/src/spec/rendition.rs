//! A named spec: the unit of configuration in the CLI and the Lambda, and where its outputs are named.

use std::ffi::{OsStr, OsString};
use std::str::FromStr;

use super::Spec;
use crate::error::{Error, Result};

/// The output naming scheme of both adapters, relative to their output root (a directory, or a bucket
/// and prefix): `<rendition>/<source name>.<extension>`, or `<source name>.<extension>` without a
/// rendition name. The source's whole name is kept, its own extension too, and the output's extension
/// appended, so that `a.jpg`, `a.png` and `a` never share an output; the same source always has the
/// same outputs. `source` may hold `/`-separated folders, which are kept.
///
/// ```
/// assert_eq!(imgkit::output_name(Some("thumb"), "photos/a.jpg", "webp"), "thumb/photos/a.jpg.webp");
/// assert_eq!(imgkit::output_name(None, "a", "png"), "a.png");
/// ```
pub fn output_name<S: AsRef<OsStr> + ?Sized>(
    rendition: Option<&str>,
    source: &S,
    extension: &str,
) -> OsString {
    let mut name = OsString::new();
    if let Some(rendition) = rendition {
        name.push(rendition);
        name.push("/");
    }
    name.push(source);
    name.push(".");
    name.push(extension);
    name
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
