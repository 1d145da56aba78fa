//! The corpus manifest: what each file is and what the library must answer for it.

use std::fmt;

use crate::{err, Result};

/// Header line of `manifest.tsv`.
pub const HEADER: &str = "file\texpect\tdetail\tsource\tthumb\tnote";

/// Width that the `thumb` column assumes the image is resized to.
pub const THUMB_WIDTH: u32 = 40;

/// The four formats the library accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JPEG / JFIF.
    Jpeg,
    /// PNG (and APNG).
    Png,
    /// GIF87a / GIF89a.
    Gif,
    /// WebP (lossy, lossless, extended, animated).
    Webp,
}

impl Format {
    /// All variants, for parsing.
    pub const ALL: [Format; 4] = [Format::Jpeg, Format::Png, Format::Gif, Format::Webp];

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::Webp => "webp",
        }
    }

    /// The format of a manifest spelling.
    pub fn parse(s: &str) -> Result<Format> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| err(format!("bad format {s:?}")))
    }
}

/// Error kinds the library reports, spelled as in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// Empty or unrecognised bytes.
    UnknownFormat,
    /// Recognised, but not an allowed format (SVG, PDF, ZIP, ELF, BMP, TIFF...).
    UnsupportedFormat,
    /// The magic-byte sniffers disagree.
    FormatMismatch,
    /// Structurally broken (container scan, header parse or decode failed).
    Malformed,
    /// Zero width or height that the decoder itself accepted.
    EmptyImage,
    /// Width above the limit.
    MaxWidth,
    /// Height above the limit.
    MaxHeight,
    /// Width times height above the limit.
    MaxPixels,
    /// Decoded buffer size above the limit.
    MaxAlloc,
    /// Animation frame count above the limit.
    MaxFrames,
    /// Frames times canvas pixels above the limit (animated renditions only).
    MaxAnimationPixels,
    /// Frames times output pixels above the limit (animated renditions only).
    MaxAnimatedOutputPixels,
    /// Inflated metadata (iCCP/zTXt/iTXt) above the limit.
    MaxMetadataBytes,
    /// Ancillary chunk count above the limit.
    MaxChunks,
}

impl Reject {
    /// All variants, for parsing.
    pub const ALL: [Reject; 14] = [
        Reject::UnknownFormat,
        Reject::UnsupportedFormat,
        Reject::FormatMismatch,
        Reject::Malformed,
        Reject::EmptyImage,
        Reject::MaxWidth,
        Reject::MaxHeight,
        Reject::MaxPixels,
        Reject::MaxAlloc,
        Reject::MaxFrames,
        Reject::MaxAnimationPixels,
        Reject::MaxAnimatedOutputPixels,
        Reject::MaxMetadataBytes,
        Reject::MaxChunks,
    ];

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::UnknownFormat => "unknown_format",
            Reject::UnsupportedFormat => "unsupported_format",
            Reject::FormatMismatch => "format_mismatch",
            Reject::Malformed => "malformed",
            Reject::EmptyImage => "empty_image",
            Reject::MaxWidth => "limit:max_width",
            Reject::MaxHeight => "limit:max_height",
            Reject::MaxPixels => "limit:max_pixels",
            Reject::MaxAlloc => "limit:max_alloc",
            Reject::MaxFrames => "limit:max_frames",
            Reject::MaxAnimationPixels => "limit:max_animation_pixels",
            Reject::MaxAnimatedOutputPixels => "limit:max_animated_output_pixels",
            Reject::MaxMetadataBytes => "limit:max_metadata_bytes",
            Reject::MaxChunks => "limit:max_chunks",
        }
    }

    /// The error kind of a manifest spelling.
    pub fn parse(s: &str) -> Result<Reject> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| err(format!("bad error kind {s:?}")))
    }
}

/// The expected outcome of processing one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Accepted; `width x height` is the size as displayed (EXIF orientation applied).
    Ok {
        /// Real format of the bytes.
        format: Format,
        /// Displayed width.
        width: u32,
        /// Displayed height.
        height: u32,
    },
    /// Refused with this error kind.
    Reject(Reject),
}

/// Size after resizing to [`THUMB_WIDTH`] keeping the aspect ratio, never enlarging.
pub fn thumb(width: u32, height: u32) -> (u32, u32) {
    if width <= THUMB_WIDTH {
        return (width, height);
    }
    // f64::round rounds half away from zero, as the manifest format specifies.
    let h = (f64::from(height) * f64::from(THUMB_WIDTH) / f64::from(width)).round();
    (THUMB_WIDTH, (h as u32).max(1))
}

/// One manifest row (the file's bytes live elsewhere).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Path relative to the corpus directory, e.g. `valid/png-rgb8.png`.
    pub file: String,
    /// Expected outcome.
    pub expect: Expect,
    /// One sentence: what the file is and why it exists.
    pub note: String,
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expect {
            Expect::Ok {
                format,
                width,
                height,
            } => {
                let (tw, th) = thumb(width, height);
                let format = format.as_str();
                write!(
                    f,
                    "{}\tok\t{format}\t{width}x{height}\t{tw}x{th}\t{}",
                    self.file, self.note
                )
            }
            Expect::Reject(kind) => {
                write!(f, "{}\treject\t{}\t-\t-\t{}", self.file, kind.as_str(), self.note)
            }
        }
    }
}

/// Renders the whole manifest: header, comments, rows sorted by file name.
pub fn render(rows: &[Row]) -> String {
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by(|a, b| a.file.cmp(&b.file));
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    out.push_str("# Generated by tools/corpus-gen; do not edit by hand. Regenerate with:\n");
    out.push_str("#   cargo run --release -p imgkit-corpus-gen -- corpus\n");
    out.push_str(
        "# source = displayed WxH (EXIF orientation applied); thumb = size after resize to width 40.\n",
    );
    for row in sorted {
        out.push_str(&row.to_string());
        out.push('\n');
    }
    out
}

pub(crate) fn parse_wxh(s: &str) -> Result<(u32, u32)> {
    let (w, h) = s.split_once('x').ok_or_else(|| err(format!("bad size {s:?}")))?;
    Ok((w.parse()?, h.parse()?))
}

/// Parses a manifest, validating every column (including that `thumb` agrees with `source`).
pub fn parse(text: &str) -> Result<Vec<Row>> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(err("manifest header missing or wrong"));
    }
    let mut rows = Vec::new();
    for line in lines.filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, expect, detail, source, thumb_col, note] = cols[..] else {
            return Err(err(format!("expected 6 columns: {line:?}")));
        };
        let expect = match expect {
            "ok" => {
                let format = Format::parse(detail)?;
                let (width, height) = parse_wxh(source)?;
                if parse_wxh(thumb_col)? != thumb(width, height) {
                    return Err(err(format!("{file}: thumb column disagrees with source")));
                }
                Expect::Ok {
                    format,
                    width,
                    height,
                }
            }
            "reject" => {
                if source != "-" || thumb_col != "-" {
                    return Err(err(format!("{file}: reject rows have '-' sizes")));
                }
                Expect::Reject(Reject::parse(detail)?)
            }
            other => return Err(err(format!("bad expect {other:?}"))),
        };
        if note.is_empty() {
            return Err(err(format!("{file}: empty note")));
        }
        rows.push(Row {
            file: file.to_owned(),
            expect,
            note: note.to_owned(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumb_rules() {
        assert_eq!(thumb(40, 300), (40, 300));
        assert_eq!(thumb(17, 300), (17, 300));
        assert_eq!(thumb(1, 1), (1, 1));
        assert_eq!(thumb(320, 200), (40, 25));
        assert_eq!(thumb(64, 48), (40, 30));
        assert_eq!(thumb(48, 64), (40, 53)); // 53.33
        assert_eq!(thumb(80, 1), (40, 1)); // 0.5 rounds away from zero
        assert_eq!(thumb(1000, 1), (40, 1)); // 0.04 -> 0 -> clamped to 1
        assert_eq!(thumb(240, 3), (40, 1)); // 0.5 -> 1
        assert_eq!(thumb(80, 3), (40, 2)); // 1.5 -> 2
    }

    #[test]
    fn render_parse_roundtrip() {
        let rows = vec![
            Row {
                file: "valid/b.png".into(),
                expect: Expect::Ok {
                    format: Format::Png,
                    width: 33,
                    height: 17,
                },
                note: "b".into(),
            },
            Row {
                file: "hostile/a.png".into(),
                expect: Expect::Reject(Reject::MaxChunks),
                note: "a".into(),
            },
        ];
        let parsed = parse(&render(&rows)).unwrap();
        assert_eq!(parsed[0], rows[1]);
        assert_eq!(parsed[1], rows[0]);
    }
}
