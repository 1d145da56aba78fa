//! The whole path: probe → limits → plan → decode → focus → resize → orient → colour → placeholder →
//! encode.

use std::time::{Duration, Instant};

use image::DynamicImage;

use crate::decode::{self, decode_checked, Decoded};
use crate::error::{Error, Result};
use crate::focus;
use crate::output::{displayed_crop, Output, Timings};
use crate::placeholder;
use crate::planning::{self, Planned};
use crate::probe::Checked;
use crate::resize::{self, Resizer, RowResize};
use crate::scale::{self, Region, ShrinkOnLoad, View};
use crate::{animate, color, encode, orient, Filter, Focus, ImageInfo, Limits, Plan, Probed, Spec};

/// Turns untrusted bytes into renditions under a set of [`Limits`].
///
/// Holds the resizer's scratch buffers, so keep one per thread and reuse it.
///
/// ```
/// use imgkit::{Fit, Limits, OutputFormat, Processor, Spec};
/// # let bytes = imgkit_testkit::png(640, 480);
/// let mut processor = Processor::new(Limits::default());
/// let thumb = processor.process(&bytes, &Spec::new().with_width(160).with_format(OutputFormat::Jpeg { quality: 80 }))?;
/// assert_eq!((thumb.width, thumb.height), (160, 120));
///
/// // One decode, several renditions.
/// let specs = [Spec::new().with_width(320), Spec::new().with_size(100, 100).with_fit(Fit::Cover)];
/// let outs = processor.process_many(&bytes, &specs)?;
/// assert_eq!((outs[1].width, outs[1].height), (100, 100));
/// # Ok::<(), imgkit::Error>(())
/// ```
pub struct Processor {
    limits: Limits,
    resizer: Resizer,
    shrink: ShrinkOnLoad,
    /// The scaled JPEG decoder's memory, kept from one input to the next.
    jpeg: imgkit_jpeg::Buffers,
    /// Whether the decode's one rendition is made from its rows (see `stream`); off only in tests, to
    /// compare with the whole decode.
    from_rows: bool,
    /// Renditions made from decoded rows, for tests to see the path taken.
    streamed: u64,
    /// Whether each call also makes the source's ThumbHash.
    placeholder: bool,
}

impl Processor {
    /// A processor enforcing `limits`.
    pub fn new(limits: Limits) -> Processor {
        Processor {
            limits,
            resizer: Resizer::default(),
            shrink: ShrinkOnLoad::Measured,
            jpeg: imgkit_jpeg::Buffers::default(),
            from_rows: true,
            streamed: 0,
            placeholder: false,
        }
    }

    /// Sets shrink-on-load: how far below full size a JPEG is decoded (1/2, 1/4 or 1/8, in the DCT domain,
    /// which skips most of the decode), and whether smaller renditions start from larger ones (when one
    /// keeps twice their size, or `margin` times under [`ShrinkOnLoad::Margin`]).
    ///
    /// The default, [`ShrinkOnLoad::Measured`], takes the fastest scale whose residual shrink (what the
    /// resize still does) is at least [`MEASURED_MIN_RESIDUAL`](crate::MEASURED_MIN_RESIDUAL) for that
    /// scale; `None` (or [`ShrinkOnLoad::Exact`]) decodes at full size and resizes every rendition from it:
    /// exact, and slower; `Some(margin)` keeps every rendition `margin` times its size (libvips' rule is 2).
    ///
    /// ```
    /// use imgkit::{Limits, Processor, Spec};
    /// # let jpeg = imgkit_testkit::jpeg(1600, 1200);
    /// let thumb = Processor::new(Limits::default()).process(&jpeg, &Spec::new().with_width(200))?;
    /// assert_eq!(thumb.resized_from, (400, 300)); // 1/4: 2x left to resize (1/8 would leave 1x)
    ///
    /// let exact = Processor::new(Limits::default()).shrink_on_load(None).process(&jpeg, &Spec::new().with_width(200))?;
    /// assert_eq!(exact.resized_from, (1600, 1200));
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn shrink_on_load(mut self, rule: impl Into<ShrinkOnLoad>) -> Processor {
        self.shrink = rule.into();
        self
    }

    /// Also makes each source's [ThumbHash](https://evanw.github.io/thumbhash/), a placeholder of about 25
    /// bytes that a page shows blurred while the rendition loads: from the smallest rendition's finished
    /// pixels (first fitted in 100×100), and set on every output as [`Output::thumbhash`]. Off by default;
    /// it costs a 100-pixel resize and the hash, about a millisecond ([`Timings::placeholder`]).
    ///
    /// ```
    /// use imgkit::{Limits, Processor, Spec};
    /// # let jpeg = imgkit_testkit::jpeg(640, 480);
    /// let mut processor = Processor::new(Limits::default()).placeholder(true);
    /// let outs = processor.process_many(&jpeg, &[Spec::new().with_width(320), Spec::new().with_width(64)])?;
    /// assert!(outs[0].thumbhash.is_some());
    /// assert_eq!(outs[0].thumbhash, outs[1].thumbhash);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn placeholder(mut self, on: bool) -> Processor {
        self.placeholder = on;
        self
    }

    /// The limits this processor enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Produces one rendition of `bytes`.
    pub fn process(&mut self, bytes: &[u8], spec: &Spec) -> Result<Output> {
        let mut outputs = self.process_many(bytes, std::slice::from_ref(spec))?;
        outputs.pop().ok_or_else(|| internal("no output"))
    }

    /// Produces one rendition per spec from a single decode, returned in the order of `specs`: probes
    /// `bytes` under this processor's limits, then [`process_probed`](Processor::process_probed).
    pub fn process_many(&mut self, bytes: &[u8], specs: &[Spec]) -> Result<Vec<Output>> {
        specs.iter().try_for_each(Spec::validate)?;
        let probed = crate::probe(bytes, &self.limits)?;
        let planned = Planned::new(probed, specs, &self.limits)?;
        self.process_planned(planned)
    }

    /// Produces one rendition per spec from a single decode of an input [`probe`](crate::probe)d
    /// already, returned in the order of `specs`: the bytes decoded are exactly the ones probed, and their
    /// header is not read again. An input probed under other limits is probed again under this
    /// processor's.
    ///
    /// Every spec is validated before the input is decoded, so a configuration error never costs a decode.
    /// The decode is sized for the largest rendition (see [`shrink_on_load`](Processor::shrink_on_load)),
    /// and renditions are made largest first, each from the smallest already-made rendition that still
    /// holds the margin's multiple of its size, so extra small renditions cost little. When only the
    /// largest is made from the decode and imgkit-jpeg decodes it, that rendition is resized from the
    /// rows as they are decoded, and the decoded image is never held whole.
    ///
    /// ```
    /// use imgkit::{probe, Limits, Processor, Spec};
    /// # let bytes = imgkit_testkit::png(640, 480);
    /// let probed = probe(&bytes, &Limits::default())?;
    /// let name = format!("thumb-of-a-{}.png", probed.info().format);
    /// let outs = Processor::new(Limits::default()).process_probed(probed, &[Spec::new().with_width(64)])?;
    /// assert_eq!((outs[0].width, outs[0].height, name.as_str()), (64, 48, "thumb-of-a-png.png"));
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn process_probed(&mut self, input: Probed<'_>, specs: &[Spec]) -> Result<Vec<Output>> {
        let planned = self.plan(input, specs)?;
        self.process_planned(planned)
    }

    /// Validates `specs` and plans each rendition of a [`probe`](crate::probe)d input: output size and
    /// source crop, checked against this processor's limits. An input probed under other limits is
    /// probed again under this processor's. The plan tells an adapter what the work will cost
    /// ([`Planned::peak_bytes`]) before it commits to it; [`process_planned`](Processor::process_planned)
    /// then renders exactly this plan.
    ///
    /// ```
    /// use imgkit::{probe, Limits, Processor, Spec};
    /// # let png = imgkit_testkit::png(640, 480);
    /// let mut processor = Processor::new(Limits::default());
    /// let planned = processor.plan(probe(&png, processor.limits())?, &[Spec::new().with_width(64)])?;
    /// assert!(planned.peak_bytes() < 64 << 20);
    /// let outs = processor.process_planned(planned)?;
    /// assert_eq!((outs[0].width, outs[0].height), (64, 48));
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn plan<'a>(&self, input: Probed<'a>, specs: &[Spec]) -> Result<Planned<'a>> {
        specs.iter().try_for_each(Spec::validate)?;
        let input = if input.limits == self.limits {
            input
        } else {
            crate::probe(input.bytes(), &self.limits)?
        };
        Planned::new(input, specs, &self.limits)
    }

    /// Renders a [`plan`](Processor::plan): one rendition per spec from a single decode, in the order of
    /// the specs, as [`process_probed`](Processor::process_probed) describes.
    pub fn process_planned(&mut self, planned: Planned<'_>) -> Result<Vec<Output>> {
        let Planned {
            probed,
            specs,
            plans,
            animated,
        } = planned;
        let hash = self.placeholder.then(|| smallest(&plans)).flatten();
        let mut outputs = if animated.contains(&true) {
            self.render_mixed(probed, &specs, &plans, &animated, hash)?
        } else {
            self.render_stills(probed.checked, probed.took, &specs, &plans, hash)?
        };
        if let Some(hash) = outputs.iter().find_map(|o| o.thumbhash.clone()) {
            outputs.iter_mut().for_each(|o| o.thumbhash = Some(hash.clone()));
        }
        Ok(outputs)
    }

    /// An animation's renditions: those that keep every frame made frame by frame ([`animate`]), the
    /// others from its first frame as for any still; returned in the order of the specs.
    fn render_mixed(
        &mut self,
        probed: Probed<'_>,
        specs: &[Spec],
        plans: &[Plan],
        animated: &[bool],
        hash: Option<usize>,
    ) -> Result<Vec<Output>> {
        let (moving, still): (Vec<usize>, Vec<usize>) = (0..specs.len()).partition(|&i| animated[i]);
        let subset = |indices: &[usize]| {
            let specs: Vec<Spec> = indices.iter().map(|&i| specs[i]).collect();
            let plans: Vec<Plan> = indices.iter().map(|&i| plans[i]).collect();
            let hash = hash.and_then(|h| indices.iter().position(|&i| i == h));
            (specs, plans, hash)
        };
        let limits = probed.limits.to_image_limits();
        let took = probed.took;
        let checked = probed.checked;
        let (bytes, info, icc_profile) = (checked.bytes, checked.info.clone(), checked.icc_profile.clone());
        let mut outputs: Vec<Option<Output>> = vec![None; specs.len()];
        if !still.is_empty() {
            let (specs, plans, hash) = subset(&still);
            let outs = self.render_stills(checked, took, &specs, &plans, hash)?;
            for (i, out) in still.iter().zip(outs) {
                outputs[*i] = Some(out);
            }
        }
        let animation = animate::Animation {
            bytes,
            info: &info,
            icc_profile: icc_profile.as_deref(),
            limits,
        };
        let (specs, plans, hash) = subset(&moving);
        let shared = Timings {
            probe: took,
            ..Timings::default()
        };
        let outs = animate::render(&animation, &specs, &plans, hash, shared, &mut self.resizer)?;
        for (i, out) in moving.iter().zip(outs) {
            outputs[*i] = Some(out);
        }
        outputs
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| internal("a rendition was skipped"))
    }

    /// Renditions of a still (or of an animation's first frame) from one decode, in the order of the
    /// specs; the one at `hash`, if any, also makes the ThumbHash.
    fn render_stills(
        &mut self,
        checked: Checked<'_>,
        probe_time: Duration,
        specs: &[Spec],
        plans: &[Plan],
        hash: Option<usize>,
    ) -> Result<Vec<Output>> {
        let start = Instant::now();
        let full = (checked.info.width, checked.info.height);
        let shrink = scale::decode_shrink(plans, full, self.shrink);
        let route = scale::route(plans, full, scale::cascade_margin(self.shrink));
        let (info, icc_profile) = (checked.info.clone(), checked.icc_profile.clone());
        // A crop placed by what the image shows needs the decoded image to look at.
        let focused = |i: usize| plans[i].crop.is_some() && specs[i].focus() != Focus::Center;
        let any_focused = (0..specs.len()).any(focused);
        let mut streamed = match route.only_from_decode() {
            Some(i) if !any_focused => self
                .stream(&checked, shrink, &plans[i], specs[i].filter())?
                .map(|image| (i, image)),
            _ => None,
        };
        let decoded = match streamed {
            Some(_) => None,
            None => Some(decode_checked(checked, shrink, &mut self.jpeg)?),
        };
        let mut shared = Timings {
            probe: probe_time,
            decode: start.elapsed(),
            ..Timings::default()
        };
        // Each rendition's part of the full-size image (stored orientation).
        let mut regions: Vec<Region> = plans.iter().map(|p| Region::centred(full, p.crop)).collect();
        if let (true, Some(decoded)) = (any_focused, &decoded) {
            let focus_start = Instant::now();
            for i in (0..specs.len()).filter(|&i| focused(i)) {
                let crop = (regions[i].width, regions[i].height);
                let focus = specs[i].focus();
                let (left, top) = focus::crop_origin(&decoded.image, full, crop, focus, &mut self.resizer)?;
                regions[i] = Region {
                    left,
                    top,
                    ..regions[i]
                };
            }
            shared.focus = focus_start.elapsed();
        }
        let decoded_size = decode::scaled_size(&info, shrink);
        let mut outputs: Vec<Option<Output>> = specs.iter().map(|_| None).collect();
        // Renditions (before orientation and colour conversion) that a later, smaller one starts from.
        let mut kept: Vec<Option<DynamicImage>> = specs.iter().map(|_| None).collect();
        let view_of = |image: &DynamicImage| View::resized((image.width(), image.height()), full);
        for &i in &route.order {
            let resize_start = Instant::now();
            let filter = specs[i].filter();
            let (resized, from) = match (route.from[i], &decoded) {
                (Some(j), _) => {
                    let source = kept[j]
                        .as_ref()
                        .ok_or_else(|| internal("a source rendition was not kept"))?;
                    let from = (source.width(), source.height());
                    (
                        self.resize(source, view_of(source), &plans[i], regions[i], filter)?,
                        from,
                    )
                }
                (None, Some(decoded)) => {
                    let from = (decoded.width(), decoded.height());
                    let view = View::decoded(from, decoded.shrink);
                    let region = regions[i];
                    (
                        self.resize(&decoded.image, view, &plans[i], region, filter)?,
                        from,
                    )
                }
                (None, None) => match streamed.take() {
                    Some((k, image)) if k == i => (image, decoded_size),
                    _ => return Err(internal("a rendition has no source")),
                },
            };
            if route.kept[i] {
                kept[i] = Some(resized.clone());
            }
            let meta = (&info, icc_profile.as_deref());
            let hash = hash == Some(i);
            let mut output = self.finish(resized, meta, &specs[i], (shared, resize_start), from, hash)?;
            output.crop = plans[i].crop.map(|_| displayed_crop(regions[i], &info));
            outputs[i] = Some(output);
        }
        if let Some(decoded) = decoded {
            decoded.recycle(&mut self.jpeg);
        }
        outputs
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| internal("a rendition was skipped"))
    }

    /// The one rendition made from the decode, resized from the rows as imgkit-jpeg decodes them, so the
    /// decoded image never exists whole (a 12 MP photo's 36 MB); `None` where that does not apply: not
    /// a JPEG for imgkit-jpeg, no convolution on both axes, or a file imgkit-jpeg turns down (then the
    /// whole decode gives the verdict, or decodes it with another decoder).
    fn stream(
        &mut self,
        checked: &Checked<'_>,
        shrink: u32,
        plan: &Plan,
        filter: Filter,
    ) -> Result<Option<DynamicImage>> {
        let info = &checked.info;
        let ours = decode::takes_ours(info.format, shrink, checked.progressive);
        if !self.from_rows || !ours || filter == Filter::Nearest {
            return Ok(None);
        }
        let full = (info.width, info.height);
        let size = decode::scaled_size(info, shrink);
        let region = scale::source_region(plan, View::decoded(size, shrink), full);
        if !resize::both_axes(plan.width, plan.height, region) {
            return Ok(None);
        }
        let mut rows = RowResize::new(&mut self.resizer, plan.width, plan.height, region, filter);
        if !decode::stream_jpeg(checked, shrink, &mut self.jpeg, &mut rows)? {
            return Ok(None);
        }
        let (width, height) = rows.source_size().unwrap_or_default();
        decode::check_scaled_size(info, shrink, width as u32, height as u32)?;
        let image = rows.finish()?;
        self.streamed += 1;
        Ok(Some(image))
    }

    /// Renders one spec from an image decoded earlier with [`decode`](crate::decode), e.g. to produce
    /// renditions one at a time. The output's probe and decode timings are zero. A decoded image is one
    /// frame, so this is always a still; animations keep their frames through the `process` methods.
    pub fn render(&mut self, decoded: &Decoded, spec: &Spec) -> Result<Output> {
        spec.validate()?;
        let plan = planning::stored_plan(&decoded.info, spec, &self.limits)?;
        let start = Instant::now();
        let full = (decoded.info.width, decoded.info.height);
        let from = (decoded.width(), decoded.height());
        let view = View::decoded(from, decoded.shrink);
        let mut region = Region::centred(full, plan.crop);
        if let (Some(crop), focus @ (Focus::Entropy | Focus::Attention)) = (plan.crop, spec.focus()) {
            let (left, top) = focus::crop_origin(&decoded.image, full, crop, focus, &mut self.resizer)?;
            region = Region { left, top, ..region };
        }
        let resized = self.resize(&decoded.image, view, &plan, region, spec.filter())?;
        let meta = (&decoded.info, decoded.icc_profile.as_deref());
        let hash = self.placeholder;
        let mut output = self.finish(resized, meta, spec, (Timings::default(), start), from, hash)?;
        output.crop = plan.crop.map(|_| displayed_crop(region, &decoded.info));
        Ok(output)
    }

    /// Resamples `region` (in full-size pixels) of `source`, which shows the whole image as `view` says,
    /// to `plan`'s size.
    fn resize(
        &mut self,
        source: &DynamicImage,
        view: View,
        plan: &Plan,
        region: Region,
        filter: Filter,
    ) -> Result<DynamicImage> {
        let region = region.in_view(view);
        self.resizer
            .resize(source, plan.width, plan.height, region, filter)
    }

    fn finish(
        &mut self,
        mut image: DynamicImage,
        (info, icc_profile): (&ImageInfo, Option<&[u8]>),
        spec: &Spec,
        // What the rendition shares with the call, and when its resize began.
        (mut timings, resize_start): (Timings, Instant),
        resized_from: (u32, u32),
        make_thumbhash: bool,
    ) -> Result<Output> {
        orient::apply(&mut image, info.orientation);
        if let Some(icc) = icc_profile {
            color::to_srgb(&mut image, icc);
        }
        let finished = Instant::now();
        let thumbhash = if make_thumbhash {
            Some(placeholder::thumbhash(&image, &mut self.resizer)?)
        } else {
            None
        };
        let resized = Instant::now();
        let format = spec.format().resolve(info.format);
        let (width, height) = (image.width(), image.height());
        let (bytes, format) = encode::within_budget(image, format, spec.background(), spec.max_bytes())?;
        timings.resize = finished - resize_start;
        timings.placeholder = resized - finished;
        timings.encode = resized.elapsed();
        Ok(Output {
            bytes,
            format,
            width,
            height,
            resized_from,
            timings,
            thumbhash,
            crop: None,
            frames: 1,
        })
    }
}

/// The rendition with the fewest pixels, which the placeholder is made from.
fn smallest(plans: &[Plan]) -> Option<usize> {
    (0..plans.len()).min_by_key(|&i| u64::from(plans[i].width) * u64::from(plans[i].height))
}

fn internal(reason: &str) -> Error {
    Error::Internal {
        stage: "pipeline",
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Class, ErrorKind, Fit, Format, Limit, OutputFormat};
    use image::{DynamicImage, ImageEncoder, Rgba, RgbaImage};

    fn png_of(img: &RgbaImage) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        out
    }

    /// Transparent border around an opaque green square.
    fn framed() -> Vec<u8> {
        png_of(&RgbaImage::from_fn(60, 60, |x, y| {
            if (15..45).contains(&x) && (15..45).contains(&y) {
                Rgba([0, 200, 0, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        }))
    }

    fn decode(out: &Output) -> DynamicImage {
        image::load_from_memory(&out.bytes).unwrap()
    }

    #[cfg(feature = "avif")]
    #[test]
    fn an_avif_the_input_shape_makes_too_large_is_refused_before_decoding() {
        use crate::{Limit, MAX_AVIF_PIXELS};
        let tall = png_of(&RgbaImage::from_pixel(10, 30, Rgba([1, 2, 3, 255])));
        let avif = OutputFormat::Avif {
            quality: 50,
            speed: 10,
        };
        // 1500 wide passes validation (a square would be 2.25 MP) but this input makes it 1500×4500.
        let err = Processor::new(Limits::default())
            .process_many(
                &tall,
                &[Spec::new().with_width(1500).with_enlarge(true).with_format(avif)],
            )
            .unwrap_err();
        assert!(matches!(
            err,
            Error::LimitExceeded {
                limit: Limit::AvifPixels,
                max: MAX_AVIF_PIXELS,
                actual: 6_750_000
            }
        ));
        assert_eq!(err.class(), Class::Rejected);
        let out = Processor::new(Limits::default())
            .process_many(
                &tall,
                &[Spec::new().with_width(20).with_enlarge(true).with_format(avif)],
            )
            .unwrap();
        assert_eq!(
            (out[0].format, out[0].width, out[0].height),
            (Format::Avif, 20, 60)
        );
    }

    #[test]
    fn alpha_survives_png_and_webp_and_is_flattened_into_jpeg() {
        let mut p = Processor::new(Limits::default());
        let specs = [
            Spec::new().with_width(30).with_format(OutputFormat::Png),
            Spec::new()
                .with_width(30)
                .with_format(OutputFormat::WebP { quality: 90 }),
            Spec::new()
                .with_width(30)
                .with_format(OutputFormat::Jpeg { quality: 90 })
                .with_background([255, 0, 0]),
        ];
        let outs = p.process_many(&framed(), &specs).unwrap();
        for out in &outs[..2] {
            let img = decode(out).to_rgba8();
            assert_eq!(
                img.get_pixel(0, 0)[3],
                0,
                "{}: corner stays transparent",
                out.format
            );
            assert_eq!(
                img.get_pixel(15, 15)[3],
                255,
                "{}: centre stays opaque",
                out.format
            );
        }
        let jpeg = decode(&outs[2]).to_rgb8();
        let corner = jpeg.get_pixel(0, 0).0;
        assert!(
            corner[0] > 230 && corner[1] < 30 && corner[2] < 30,
            "corner shows the red background: {corner:?}"
        );
    }

    /// A processor decodes into memory kept from its previous image. Whatever a later decode leaves
    /// unwritten (here: the blocks of a JPEG whose scan data stops halfway, before a proper end marker)
    /// must read as a fresh processor's would, never as the earlier image's pixels.
    #[test]
    fn reused_frame_memory_shows_nothing_of_an_earlier_image() {
        let bright = imgkit_testkit::encode::photo_jpeg(640, 480, 90);
        let whole = imgkit_testkit::encode::photo_jpeg(320, 240, 90);
        let cut = [&whole[..whole.len() / 2], &[0xFF, 0xD9]].concat();
        let lossless = |w| Spec::new().with_width(w).with_format(OutputFormat::Png);
        let inputs: [(&[u8], Spec); 4] = [
            (&cut, lossless(320)),
            (&cut, lossless(80)),
            (&whole, lossless(320)),
            (&framed(), lossless(60)),
        ];
        for (input, spec) in &inputs {
            let fresh = Processor::new(Limits::default()).process(input, spec).unwrap();
            let mut used = Processor::new(Limits::default());
            used.process(&bright, &lossless(640)).unwrap();
            let reused = used.process(input, spec).unwrap();
            assert!(
                decode(&reused) == decode(&fresh),
                "{}x{} output differs after an earlier image",
                fresh.width,
                fresh.height
            );
        }
    }

    /// A rendition made from rows as they are decoded shows what one resized from the whole decode
    /// shows, to rounding: odd sizes, every scale, a cover crop, a transposing orientation,
    /// gray and colour, a progressive file at reduced scale, and more than one rendition per call.
    #[test]
    fn renditions_from_decoded_rows_match_those_from_the_whole_decode() {
        let gray = {
            let rgb = imgkit_testkit::photo(603, 411, 5);
            let mut out = Vec::new();
            let luma = DynamicImage::ImageRgb8(rgb).to_luma8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
                .write_image(luma.as_raw(), 603, 411, image::ExtendedColorType::L8)
                .unwrap();
            out
        };
        let files = [
            ("colour", imgkit_testkit::encode::photo_jpeg(603, 411, 90)),
            ("gray", gray),
            (
                "orientation 6",
                imgkit_testkit::encode::photo_jpeg_oriented(603, 411, 90, 6),
            ),
            (
                "progressive",
                imgkit_testkit::encode::photo_jpeg_progressive(603, 411, 90),
            ),
        ];
        let png = |spec: Spec| spec.with_format(OutputFormat::Png);
        let calls = [
            vec![png(Spec::new().with_width(590))],
            vec![png(Spec::new().with_width(250))],
            vec![png(Spec::new().with_width(70))],
            vec![png(Spec::new().with_size(120, 120).with_fit(Fit::Cover))],
            vec![
                png(Spec::new().with_width(300)),
                png(Spec::new().with_width(100)),
                png(Spec::new().with_width(40)),
            ],
        ];
        for (name, jpeg) in &files {
            for specs in &calls {
                let mut processor = Processor::new(Limits::default());
                let outs = processor.process_many(jpeg, specs).unwrap();
                // Except a progressive file at full size (zune-jpeg's) and a rendition of the image's own
                // size (nothing to resize), the largest rendition is made from rows.
                let first = &outs[0];
                let stored = if *name == "orientation 6" {
                    (first.height, first.width)
                } else {
                    (first.width, first.height)
                };
                let progressive_full = *name == "progressive" && first.resized_from.0 == 603;
                let streams = !progressive_full && stored != first.resized_from;
                assert_eq!(
                    processor.streamed,
                    u64::from(streams),
                    "{name} {specs:?}: streamed"
                );
                let mut whole = Processor::new(Limits::default());
                whole.from_rows = false;
                let wholes = whole.process_many(jpeg, specs).unwrap();
                assert_eq!(whole.streamed, 0);
                for ((spec, out), whole) in specs.iter().zip(&outs).zip(&wholes) {
                    let (a, b) = (decode(out).to_rgb8(), decode(whole).to_rgb8());
                    assert_eq!(a.dimensions(), b.dimensions(), "{name} {spec:?}");
                    let diffs: Vec<u8> = a.iter().zip(b.iter()).map(|(x, y)| x.abs_diff(*y)).collect();
                    let worst = diffs.iter().max().copied().unwrap_or(0);
                    let over = diffs.iter().filter(|&&d| d > 1).count();
                    assert!(
                        worst <= 2 && over <= diffs.len() / 1000,
                        "{name} {spec:?}: {over} values differ, by up to {worst}"
                    );
                }
            }
        }
    }

    #[test]
    fn invalid_specs_fail_before_the_input_is_read() {
        let mut p = Processor::new(Limits::default());
        let err = p.process(b"garbage", &Spec::new().with_width(0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSpec);
        assert_eq!(err.class(), Class::Config);
    }

    #[test]
    fn enlargement_cannot_outgrow_the_limits() {
        let limits = Limits {
            max_width: 100,
            max_height: 100,
            ..Limits::default()
        };
        let mut p = Processor::new(limits);
        let err = p
            .process(&framed(), &Spec::new().with_width(200).with_enlarge(true))
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::LimitExceeded {
                    limit: Limit::Width,
                    max: 100,
                    actual: 200
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn renditions_come_back_in_spec_order_with_their_sizes() {
        let mut p = Processor::new(Limits::default());
        let bytes = imgkit_testkit::png(400, 300);
        let specs = [
            Spec::new().with_width(100),
            Spec::new().with_size(50, 50).with_fit(Fit::Cover),
            Spec::new().with_height(30).with_format(OutputFormat::Png),
        ];
        let sizes: Vec<_> = p
            .process_many(&bytes, &specs)
            .unwrap()
            .iter()
            .map(|o| (o.width, o.height))
            .collect();
        assert_eq!(sizes, [(100, 75), (50, 50), (40, 30)]);
    }

    #[test]
    fn same_format_follows_the_input() {
        assert_eq!(OutputFormat::Same.resolve(Format::Gif), OutputFormat::Png);
        assert_eq!(
            OutputFormat::Same.resolve(Format::Jpeg),
            OutputFormat::Jpeg {
                quality: crate::DEFAULT_QUALITY
            }
        );
        let mut p = Processor::new(Limits::default());
        assert_eq!(
            p.process(&imgkit_testkit::png(8, 8), &Spec::new().with_width(4))
                .unwrap()
                .format,
            Format::Png
        );
    }
}
