//! The corpus's pictures (imgkit_testkit's deterministic photos) and the palette its indexed files use.

pub(crate) use imgkit_testkit::photo::{clamp01, Picture};

/// 252-colour palette (6 red x 7 green x 6 blue levels): deterministic, needs no quantiser
/// search, and leaves indices 252..=255 free for transparency.
pub(crate) struct CubePalette;

impl CubePalette {
    pub(crate) const LEN: usize = 6 * 7 * 6;

    pub(crate) fn rgb() -> Vec<u8> {
        let mut out = Vec::new();
        for r in 0..6u32 {
            for g in 0..7u32 {
                for b in 0..6u32 {
                    out.extend([r * 51, g * 255 / 6, b * 51].map(|v| v as u8));
                }
            }
        }
        out
    }

    /// Nearest palette index of an opaque colour.
    pub(crate) fn index(p: &[f64; 4]) -> u8 {
        let level = |v: f64, steps: f64| (clamp01(v) * steps + 0.5).floor() as usize;
        (level(p[0], 5.0) * 42 + level(p[1], 6.0) * 6 + level(p[2], 5.0)) as u8
    }

    /// Indices for the whole picture; pixels with alpha below one half map to `transparent`.
    pub(crate) fn indices(pic: &Picture, transparent: Option<u8>) -> Vec<u8> {
        pic.pixels
            .iter()
            .map(|p| match transparent {
                Some(t) if p[3] < 0.5 => t,
                _ => Self::index(p),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_covers_black_and_white() {
        let rgb = CubePalette::rgb();
        assert_eq!(rgb.len(), CubePalette::LEN * 3);
        assert_eq!(CubePalette::index(&[0.0, 0.0, 0.0, 1.0]), 0);
        let white = usize::from(CubePalette::index(&[1.0, 1.0, 1.0, 1.0]));
        assert_eq!(&rgb[white * 3..white * 3 + 3], &[255, 255, 255]);
    }
}
