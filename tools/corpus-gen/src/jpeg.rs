//! JPEG encoding (jpeg-encoder) and the marker surgery the hostile set needs.

use std::ops::Range;

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use crate::picture::Picture;
use crate::{err, Result};

/// Marker bytes (ITU T.81 table B.1).
pub(crate) const SOF0: u8 = 0xC0;
pub(crate) const SOS: u8 = 0xDA;
pub(crate) const COM: u8 = 0xFE;

/// Which pixel layout to hand the encoder.
#[derive(Clone, Copy)]
pub(crate) enum Color {
    Rgb,
    Gray,
    Cmyk,
}

/// Encoder settings; `Default` is a plain baseline 4:2:0 JPEG at quality 85.
pub(crate) struct Options {
    pub(crate) quality: u8,
    pub(crate) color: Color,
    pub(crate) sampling: SamplingFactor,
    pub(crate) progressive: bool,
    pub(crate) restart_interval: Option<u16>,
    /// Raw APPn segments `(n, payload)`, e.g. `(1, exif)`.
    pub(crate) app_segments: Vec<(u8, Vec<u8>)>,
    pub(crate) icc_profile: Option<Vec<u8>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            quality: 85,
            color: Color::Rgb,
            sampling: SamplingFactor::F_2_2,
            progressive: false,
            restart_interval: None,
            app_segments: Vec::new(),
            icc_profile: None,
        }
    }
}

/// Encodes `pic` (alpha is ignored: JPEG has none).
pub(crate) fn encode(pic: &Picture, opts: Options) -> Result<Vec<u8>> {
    let (w, h) = (u16::try_from(pic.width)?, u16::try_from(pic.height)?);
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, opts.quality);
    enc.set_sampling_factor(opts.sampling);
    enc.set_progressive(opts.progressive);
    if let Some(interval) = opts.restart_interval {
        enc.set_restart_interval(interval);
    }
    for (n, payload) in opts.app_segments {
        enc.add_app_segment(n, payload)?;
    }
    if let Some(icc) = &opts.icc_profile {
        enc.add_icc_profile(icc)?;
    }
    let (data, color) = match opts.color {
        Color::Rgb => (pic.rgb8(), ColorType::Rgb),
        Color::Gray => (pic.gray8(), ColorType::Luma),
        Color::Cmyk => (pic.cmyk8(), ColorType::Cmyk),
    };
    enc.encode(&data, w, h, color)?;
    Ok(out)
}

/// Offset of the first header segment with `marker` (searching up to and including the first
/// SOS), walking segment lengths rather than scanning bytes so table contents cannot fool it.
pub(crate) fn find_segment(jpeg: &[u8], marker: u8) -> Result<usize> {
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        if jpeg[at] != 0xFF {
            return Err(err(format!("expected a marker at offset {at}")));
        }
        let m = jpeg[at + 1];
        if m == marker {
            return Ok(at);
        }
        if m == SOS {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    Err(err(format!("marker FF{marker:02X} not found")))
}

/// Inserts a segment right after SOI.
pub(crate) fn insert_after_soi(jpeg: &[u8], marker: u8, payload: &[u8]) -> Result<Vec<u8>> {
    let len = u16::try_from(payload.len() + 2)?;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    Ok(out)
}

/// Byte range of everything from the first SOS marker up to (not including) the final EOI.
/// jpeg-encoder always ends its output with EOI.
pub(crate) fn scans(jpeg: &[u8]) -> Result<Range<usize>> {
    let start = find_segment(jpeg, SOS)?;
    if !jpeg.ends_with(&[0xFF, 0xD9]) {
        return Err(err("JPEG does not end with EOI"));
    }
    Ok(start..jpeg.len() - 2)
}

/// Number of SOS markers in `bytes`. Entropy-coded data byte-stuffs every 0xFF (FF 00), so a
/// literal FF DA can only be a real marker.
pub(crate) fn count_sos(bytes: &[u8]) -> usize {
    bytes.windows(2).filter(|w| w == &[0xFF, SOS]).count()
}
