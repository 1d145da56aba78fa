//! Command-line arguments, turned into a validated [`Job`] before any file is touched.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use imgkit::{Filter, Fit, Limits, OutputFormat, Rendition, Spec};

/// Fast, safe batch resizing of untrusted images.
#[derive(Parser, Debug)]
#[command(name = "imgkit", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Resize every image under the inputs into OUTPUT_DIR, mirroring relative paths.
    ///
    /// Examples:
    ///   imgkit resize photos/ -o thumbs/ --width 400
    ///   imgkit resize a.jpg b.png -o out/ --width 800 --height 800 --fit cover --format webp
    ///   imgkit resize photos/ -o out/ --rendition thumb=200x200,cover,webp --rendition large=1600w,jpeg:85
    #[command(verbatim_doc_comment)]
    Resize(ResizeArgs),
}

#[derive(Args, Debug)]
pub struct ResizeArgs {
    /// Files or directories (walked recursively; hidden entries and symlinks are skipped).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory; created if missing. Must not be inside an input directory.
    #[arg(short, long = "output", value_name = "OUTPUT_DIR")]
    pub output: PathBuf,
    /// Target width in pixels.
    #[arg(long, short = 'W')]
    pub width: Option<u32>,
    /// Target height in pixels.
    #[arg(long, short = 'H')]
    pub height: Option<u32>,
    /// How to fit into a width × height box.
    #[arg(long, value_enum, default_value_t = FitArg::Inside)]
    pub fit: FitArg,
    /// Resampling filter.
    #[arg(long, value_enum, default_value_t = FilterArg::Lanczos3)]
    pub filter: FilterArg,
    /// Output format (`same` keeps JPEG/PNG/WebP and writes PNG for GIF).
    #[arg(long, value_enum, default_value_t = FormatArg::Same)]
    pub format: FormatArg,
    /// JPEG/WebP quality, 1-100.
    #[arg(long, short = 'q', default_value_t = imgkit::DEFAULT_QUALITY)]
    pub quality: u8,
    /// Allow upscaling images smaller than the target.
    #[arg(long)]
    pub enlarge: bool,
    /// Background for flattening transparency into JPEG, as RRGGBB.
    #[arg(long, default_value = "ffffff")]
    pub background: String,
    /// Named rendition `name=spec` (repeatable), e.g. `thumb=200x200,cover,webp`; each goes to
    /// OUTPUT_DIR/name/. Replaces --width/--height/--fit/--filter/--format/--quality.
    #[arg(long = "rendition", short = 'r', value_name = "NAME=SPEC")]
    pub renditions: Vec<String>,
    /// Process every file, not only those with an image file extension (formats are always sniffed
    /// from content; the extension only selects candidates).
    #[arg(long)]
    pub all_files: bool,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long)]
    pub jobs: Option<usize>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FitArg {
    Inside,
    Contain,
    Cover,
    Fill,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FilterArg {
    Lanczos3,
    Catmullrom,
    Mitchell,
    Bilinear,
    Box,
    Nearest,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    Same,
    Jpeg,
    Png,
    Webp,
}

/// A validated resize job.
#[derive(Debug)]
pub struct Job {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    /// `None` name: a single unnamed rendition written straight into the output directory.
    pub renditions: Vec<(Option<String>, Spec)>,
    pub limits: Limits,
    pub all_files: bool,
    pub jobs: Option<usize>,
    pub quiet: bool,
}

impl ResizeArgs {
    pub fn into_job(self) -> Result<Job> {
        let renditions = if self.renditions.is_empty() {
            vec![(None, self.spec()?)]
        } else {
            if self.width.is_some() || self.height.is_some() {
                bail!("--rendition replaces --width/--height: give one or the other");
            }
            let list = Rendition::parse_list(&self.renditions.join(";"))?;
            list.into_iter().map(|r| (Some(r.name), r.spec)).collect()
        };
        if self.jobs == Some(0) {
            bail!("--jobs must be at least 1");
        }
        Ok(Job {
            inputs: self.inputs,
            output: self.output,
            renditions,
            limits: Limits::default(),
            all_files: self.all_files,
            jobs: self.jobs,
            quiet: self.quiet,
        })
    }

    fn spec(&self) -> Result<Spec> {
        let fit = match self.fit {
            FitArg::Inside | FitArg::Contain => Fit::Inside,
            FitArg::Cover => Fit::Cover,
            FitArg::Fill => Fit::Fill,
        };
        let filter = match self.filter {
            FilterArg::Lanczos3 => Filter::Lanczos3,
            FilterArg::Catmullrom => Filter::CatmullRom,
            FilterArg::Mitchell => Filter::Mitchell,
            FilterArg::Bilinear => Filter::Bilinear,
            FilterArg::Box => Filter::Box,
            FilterArg::Nearest => Filter::Nearest,
        };
        let format = match self.format {
            FormatArg::Same => OutputFormat::Same,
            FormatArg::Jpeg => OutputFormat::Jpeg {
                quality: self.quality,
            },
            FormatArg::Png => OutputFormat::Png,
            FormatArg::Webp => OutputFormat::WebP {
                quality: self.quality,
            },
        };
        // Reuse the core's parser for the colour so both adapters accept the same syntax.
        let background = format!("1,bg={}", self.background)
            .parse::<Spec>()
            .context("--background")?
            .background_rgb();
        let spec = Spec::new(self.width, self.height)
            .fit(fit)
            .filter(filter)
            .format(format)
            .enlarge(self.enlarge)
            .background(background);
        spec.validate().context("invalid size or format options")?;
        Ok(spec)
    }
}
