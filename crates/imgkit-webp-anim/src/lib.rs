//! # imgkit-webp-anim
//!
//! Animated WebP out of frames that arrive one at a time: each frame is handed to libwebp's animation
//! encoder (`WebPAnimEncoder`) as it comes, with its own duration, so the caller holds one frame, never the
//! animation. The encoder keeps a few canvases of the output size and the frames it has compressed.
//!
//! Why not the `webp` crate's `AnimEncoder`, over the same libwebp: it keeps every frame, and a converted
//! copy of each, until the end; and it ends the animation with a timestamp of 0, which libwebp refuses as
//! going backwards, so the last frame is given the average duration of the others instead of its own.
//!
//! Only freshly resized pixels are ever given to this encoder; untrusted WebP input is decoded by
//! pure-Rust code elsewhere.
//!
//! ```
//! use imgkit_webp_anim::{Encoder, Options};
//! let (red, blue) = ([200, 0, 0, 255].repeat(4 * 3), [0, 0, 200, 255].repeat(4 * 3));
//! let mut encoder = Encoder::new(4, 3, Options::new(80).with_loop_count(2))?;
//! encoder.add_rgba(&red, 100)?;
//! encoder.add_rgba(&blue, 250)?;
//! let webp = encoder.finish()?;
//! assert_eq!(&webp[8..12], b"WEBP");
//! # Ok::<(), imgkit_webp_anim::Error>(())
//! ```
// The FFI calls below are this crate's whole reason to exist; each says why it is sound.
#![allow(unsafe_code)]

use std::ptr::NonNull;

use libwebp_sys as sys;

/// Why an animation could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A frame's pixels are not `width × height` RGBA.
    #[error("a frame of {len} bytes is not {width}x{height} RGBA ({expected} bytes)")]
    FrameSize {
        /// Bytes given.
        len: usize,
        /// The animation's width.
        width: u32,
        /// The animation's height.
        height: u32,
        /// `width × height × 4`.
        expected: usize,
    },
    /// The frames' durations add up past what a WebP timestamp holds (`i32` milliseconds).
    #[error("the animation lasts over {max_ms} ms")]
    TooLong {
        /// The longest animation, in milliseconds.
        max_ms: u64,
    },
    /// [`Encoder::finish`] without a frame.
    #[error("an animation needs at least one frame")]
    NoFrames,
    /// libwebp refused: its own words where it gives them.
    #[error("libwebp could not {what}: {why}")]
    Libwebp {
        /// What was being done.
        what: &'static str,
        /// libwebp's message, or its error code.
        why: String,
    },
}

/// What the encoder is set to: quality, loop count. Built with [`Options::new`] and the `with_` methods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    quality: u8,
    loop_count: u16,
    key_frames: (u16, u16),
}

impl Options {
    /// Lossy frames at `quality` (0–100, as libwebp's `-q`; higher is larger and better), looping
    /// forever.
    pub fn new(quality: u8) -> Options {
        Options {
            quality: quality.min(100),
            loop_count: 0,
            key_frames: KEY_FRAMES,
        }
    }

    /// How many times the animation plays; 0 (the default) is forever. (A GIF's NETSCAPE loop count n
    /// means n + 1 plays: convert before.)
    pub fn with_loop_count(mut self, loop_count: u16) -> Options {
        self.loop_count = loop_count;
        self
    }

    /// Least and most frames from one key frame to the next (libwebp's `kmin` and `kmax`; it keeps
    /// `kmin` above half of `kmax`). Default `(0, 0)`: none forced, libwebp's own default, which lets
    /// lossy error pile up over smooth frames that change little; gif2webp sets `(3, 5)` for lossy
    /// frames, which bounds that at 40-50% more encoding time.
    pub fn with_key_frames(mut self, min: u16, max: u16) -> Options {
        self.key_frames = (min, max);
        self
    }
}

/// The longest a frame is shown, in milliseconds (4.6 hours): libwebp refuses a step between two
/// timestamps of 2^24 ms or more.
pub const MAX_FRAME_MS: u32 = (1 << 24) - 1;

/// No key frames forced: libwebp's default, and libvips' (so sharp's). gif2webp's lossy setting, a key
/// frame every 3 to 5 frames, cost 40-50% more encoding time on pans across real photos for no gain
/// in fidelity (`cargo run --release --example keyframes`); it only helps smooth synthetic content,
/// where lossy error piles up over frames that change little (see the test below).
const KEY_FRAMES: (u16, u16) = (0, 0);

/// The longest animation a WebP's millisecond timestamps (C `int`) hold.
const MAX_MS: u64 = i32::MAX as u64;

/// libwebp's animation encoder, fed one frame at a time; [`finish`](Encoder::finish) gives the file.
pub struct Encoder {
    raw: NonNull<sys::WebPAnimEncoder>,
    config: sys::WebPConfig,
    width: u32,
    height: u32,
    /// When the next frame starts: the durations so far.
    elapsed_ms: u64,
    frames: u32,
}

impl Encoder {
    /// An encoder for a `width × height` canvas (each at most 16383, WebP's largest).
    pub fn new(width: u32, height: u32, options: Options) -> Result<Encoder, Error> {
        let refused = |what| Error::Libwebp {
            what,
            why: "invalid arguments".into(),
        };
        let mut config = sys::WebPConfig::new_with_preset(
            sys::WebPPreset::WEBP_PRESET_DEFAULT,
            f32::from(options.quality),
        )
        .map_err(|()| refused("set up its encoder configuration"))?;
        // As for still WebP output: alpha compressed losslessly.
        config.alpha_compression = 1;
        // SAFETY: `config` is an initialised WebPConfig that outlives the call, which only reads it.
        if unsafe { sys::WebPValidateConfig(&config) } == 0 {
            return Err(refused("accept the quality"));
        }
        let mut anim = std::mem::MaybeUninit::<sys::WebPAnimEncoderOptions>::uninit();
        // SAFETY: the init function writes every field of the struct it is given (it returns 0, writing
        // nothing, only when the ABI version does not match, and then the struct is not read).
        let anim = unsafe {
            if sys::WebPAnimEncoderOptionsInitInternal(anim.as_mut_ptr(), sys::WebPGetMuxABIVersion()) == 0 {
                return Err(refused("set up its animation options"));
            }
            anim.assume_init()
        };
        let key_frames = match options.key_frames {
            (_, 0) => (i32::MAX - 1, i32::MAX),
            (min, max) => (i32::from(min), i32::from(max)),
        };
        let anim = sys::WebPAnimEncoderOptions {
            anim_params: sys::WebPMuxAnimParams {
                bgcolor: 0,
                loop_count: i32::from(options.loop_count),
            },
            kmin: key_frames.0,
            kmax: key_frames.1,
            ..anim
        };
        let (w, h) = (side(width)?, side(height)?);
        // SAFETY: `anim` is initialised and only read during the call; a null return is handled.
        let raw = unsafe { sys::WebPAnimEncoderNewInternal(w, h, &anim, sys::WebPGetMuxABIVersion()) };
        let raw = NonNull::new(raw).ok_or_else(|| refused("start an animation of that size"))?;
        Ok(Encoder {
            raw,
            config,
            width,
            height,
            elapsed_ms: 0,
            frames: 0,
        })
    }

    /// Adds the next frame, `width × height` RGBA (not premultiplied), shown for `duration_ms` (at most
    /// [`MAX_FRAME_MS`]; a longer one is shortened to it). A frame identical to the one before it is folded
    /// into that one's duration by libwebp, as gif2webp does.
    pub fn add_rgba(&mut self, rgba: &[u8], duration_ms: u32) -> Result<(), Error> {
        let expected = self.width as usize * self.height as usize * 4;
        if rgba.len() != expected {
            return Err(Error::FrameSize {
                len: rgba.len(),
                width: self.width,
                height: self.height,
                expected,
            });
        }
        let start = self.timestamp()?;
        let mut picture = Picture::new(self.width, self.height)?;
        let stride = (self.width * 4) as i32;
        // SAFETY: the picture is initialised with this size and `use_argb`; `rgba` holds `stride × height`
        // bytes (checked above) and is only read; libwebp allocates the picture's own copy.
        if unsafe { sys::WebPPictureImportRGBA(&mut picture.0, rgba.as_ptr(), stride) } == 0 {
            return Err(Error::Libwebp {
                what: "import a frame",
                why: "out of memory".into(),
            });
        }
        // SAFETY: `raw` is a live encoder; the picture and config are valid for the call. The encoder
        // copies the frame's pixels, so the picture may be freed when the call returns.
        let ok = unsafe { sys::WebPAnimEncoderAdd(self.raw.as_ptr(), &mut picture.0, start, &self.config) };
        if ok == 0 {
            return Err(self.error("encode a frame"));
        }
        self.elapsed_ms += u64::from(duration_ms.min(MAX_FRAME_MS));
        self.frames += 1;
        Ok(())
    }

    /// Frames added so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Ends the animation where the last frame's duration ends, and gives the file.
    pub fn finish(self) -> Result<Vec<u8>, Error> {
        if self.frames == 0 {
            return Err(Error::NoFrames);
        }
        let end = self.timestamp()?;
        // SAFETY: a null frame is libwebp's documented end marker; its timestamp sets the last duration.
        if unsafe { sys::WebPAnimEncoderAdd(self.raw.as_ptr(), std::ptr::null_mut(), end, std::ptr::null()) }
            == 0
        {
            return Err(self.error("end the animation"));
        }
        let mut data = sys::WebPData::default();
        // SAFETY: `raw` is a live encoder and `data` an empty WebPData it fills.
        if unsafe { sys::WebPAnimEncoderAssemble(self.raw.as_ptr(), &mut data) } == 0 {
            return Err(self.error("assemble the file"));
        }
        let bytes = if data.bytes.is_null() {
            Vec::new()
        } else {
            // SAFETY: on success `data` points at `size` bytes libwebp allocated, read here once before
            // they are freed.
            unsafe { std::slice::from_raw_parts(data.bytes, data.size) }.to_vec()
        };
        // SAFETY: frees what Assemble allocated; `data` is not used after.
        unsafe { sys::WebPDataClear(&mut data) };
        Ok(bytes)
    }

    fn timestamp(&self) -> Result<i32, Error> {
        i32::try_from(self.elapsed_ms).map_err(|_| Error::TooLong { max_ms: MAX_MS })
    }

    fn error(&self, what: &'static str) -> Error {
        // SAFETY: `raw` is live; the message is a NUL-terminated string the encoder owns, copied here.
        let why = unsafe {
            let message = sys::WebPAnimEncoderGetError(self.raw.as_ptr());
            if message.is_null() {
                String::from("no reason given")
            } else {
                std::ffi::CStr::from_ptr(message).to_string_lossy().into_owned()
            }
        };
        Error::Libwebp { what, why }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: `raw` came from WebPAnimEncoderNew and is deleted once, here.
        unsafe { sys::WebPAnimEncoderDelete(self.raw.as_ptr()) }
    }
}

/// A WebPPicture that frees its pixels when dropped.
struct Picture(sys::WebPPicture);

impl Picture {
    fn new(width: u32, height: u32) -> Result<Picture, Error> {
        let mut picture = sys::WebPPicture::new().map_err(|()| Error::Libwebp {
            what: "set up a picture",
            why: "ABI version mismatch".into(),
        })?;
        picture.use_argb = 1;
        picture.width = side(width)?;
        picture.height = side(height)?;
        Ok(Picture(picture))
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: the picture was initialised; freeing an unallocated one is a no-op.
        unsafe { sys::WebPPictureFree(&mut self.0) }
    }
}

/// A side length as libwebp takes it, within WebP's largest (16383).
fn side(length: u32) -> Result<i32, Error> {
    match length {
        1..=16383 => Ok(length as i32),
        _ => Err(Error::Libwebp {
            what: "take the size",
            why: format!("{length} is not a WebP side (1-16383)"),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image_webp::{LoopCount, WebPDecoder};
    use std::io::Cursor;

    fn flat(rgba: [u8; 4], w: u32, h: u32) -> Vec<u8> {
        rgba.repeat((w * h) as usize)
    }

    /// Every frame, its duration, and the loop count read back by the pure-Rust decoder.
    fn read(webp: &[u8]) -> (Vec<(Vec<u8>, u32)>, LoopCount) {
        let mut decoder = WebPDecoder::new(Cursor::new(webp)).unwrap();
        assert!(decoder.is_animated());
        let (w, h) = decoder.dimensions();
        let channels = if decoder.has_alpha() { 4 } else { 3 };
        let mut frames = Vec::new();
        for _ in 0..decoder.num_frames() {
            let mut buf = vec![0; (w * h * channels) as usize];
            let duration = decoder.read_frame(&mut buf).unwrap();
            frames.push((buf, duration));
        }
        (frames, decoder.loop_count())
    }

    #[test]
    fn frames_durations_and_the_loop_count_come_back() {
        let colours = [[220, 20, 20, 255], [20, 220, 20, 255], [20, 20, 220, 128]];
        let durations = [80, 0, 370];
        let mut encoder = Encoder::new(6, 5, Options::new(90).with_loop_count(3)).unwrap();
        for (colour, duration) in colours.iter().zip(durations) {
            encoder.add_rgba(&flat(*colour, 6, 5), duration).unwrap();
        }
        assert_eq!(encoder.frames(), 3);
        let (frames, loops) = read(&encoder.finish().unwrap());
        assert_eq!(loops, LoopCount::Times(3.try_into().unwrap()));
        // The last frame keeps its own duration, not the average of the others.
        assert_eq!(frames.iter().map(|f| f.1).collect::<Vec<_>>(), durations);
        for ((pixels, _), colour) in frames.iter().zip(colours) {
            let centre = &pixels[(2 * 6 + 3) * 4..][..4];
            assert!(
                centre.iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 6),
                "{centre:?} is not {colour:?}"
            );
        }
    }

    /// A smooth picture panned a pixel a frame: without key frames, libwebp keeps the previous frame's
    /// pixels where they changed little, and the error piles up; key frames every 3 to 5 frames bound it.
    #[test]
    fn key_frames_bound_the_drift_of_late_frames() {
        let (w, h, n) = (96u32, 64u32, 60u32);
        // A soft landscape of gradients, panned one pixel a frame.
        let frame = |t: u32| -> Vec<u8> {
            (0..w * h)
                .flat_map(|i| {
                    let (x, y) = (f64::from(i % w + t), f64::from(i / w));
                    let v = |k: f64| {
                        (128.0 + 60.0 * (x / (17.0 * k)).sin() + 40.0 * (y / (11.0 * k)).cos()) as u8
                    };
                    [v(1.0), v(1.3), v(1.7), 255]
                })
                .collect()
        };
        let worst_drop = |options: Options| {
            let mut encoder = Encoder::new(w, h, options).unwrap();
            for t in 0..n {
                encoder.add_rgba(&frame(t), 50).unwrap();
            }
            let (frames, _) = read(&encoder.finish().unwrap());
            // Each frame shown against the source frame shown at the same time (look-alikes are folded).
            let mut start = 0;
            let scores: Vec<f64> = frames
                .iter()
                .map(|(got, duration)| {
                    let want = frame(start / 50);
                    start += duration;
                    let channels = got.len() / (w * h) as usize;
                    let (mut sum, mut count) = (0.0, 0.0);
                    for (p, q) in want.chunks(4).zip(got.chunks(channels)) {
                        for c in 0..3 {
                            sum += (f64::from(p[c]) - f64::from(q[c])).powi(2);
                            count += 1.0;
                        }
                    }
                    10.0 * (255.0f64.powi(2) / (sum / count).max(1e-9)).log10()
                })
                .collect();
            scores[0] - scores.iter().copied().fold(f64::INFINITY, f64::min)
        };
        // Measured: 9.1 dB without key frames, 6.5 with.
        let (free, keyed) = (
            worst_drop(Options::new(82)),
            worst_drop(Options::new(82).with_key_frames(3, 5)),
        );
        assert!(
            keyed < 8.0 && free > keyed + 1.0,
            "worst frame below the first: {free:.1} dB free, {keyed:.1} keyed"
        );
    }

    #[test]
    fn loops_forever_by_default() {
        let mut encoder = Encoder::new(2, 2, Options::new(50)).unwrap();
        encoder.add_rgba(&flat([1, 2, 3, 255], 2, 2), 40).unwrap();
        encoder.add_rgba(&flat([200, 2, 3, 255], 2, 2), 40).unwrap();
        assert_eq!(read(&encoder.finish().unwrap()).1, LoopCount::Forever);
    }

    #[test]
    fn wrong_sizes_and_no_frames_are_errors() {
        let mut encoder = Encoder::new(4, 4, Options::new(50)).unwrap();
        let err = encoder.add_rgba(&[0; 15], 10).unwrap_err();
        assert_eq!(err.to_string(), "a frame of 15 bytes is not 4x4 RGBA (64 bytes)");
        assert!(matches!(encoder.finish(), Err(Error::NoFrames)));
        assert!(Encoder::new(0, 4, Options::new(50)).is_err());
        assert!(Encoder::new(16384, 4, Options::new(50)).is_err());
    }

    #[test]
    fn durations_past_a_webp_timestamp_are_refused() {
        let mut encoder = Encoder::new(2, 2, Options::new(50)).unwrap();
        let mut added = 0;
        let err = loop {
            let colour = [added as u8, 2, 3, 255];
            match encoder.add_rgba(&flat(colour, 2, 2), u32::MAX) {
                Ok(()) => added += 1,
                Err(err) => break err,
            }
        };
        assert!(matches!(err, Error::TooLong { .. }), "{err}");
        // Each is shortened to MAX_FRAME_MS: 129 start within i32 milliseconds, the 130th would not.
        assert_eq!(added, 129);
    }
}
