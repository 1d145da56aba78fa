//! Command-line arguments, turned into a validated [`Job`] before any file is touched.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use imgkit::{Filter, Fit, Limits, OutputFormat, Rendition, Spec};

use crate::walk::{globs, WalkOptions};

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
    /// Recommend Lambda memory, timeout, SQS visibility timeout and concurrency for a workload.
    ///
    /// Calibrates the real pipeline on this machine (build with --release), prints a table over memory
    /// sizes with the cheapest that fits and meets the latency target marked, and its assumptions.
    ///
    /// Examples:
    ///   imgkit sizing --max-megapixels 24 --batch-size 10 --latency-ms 10000
    ///   imgkit sizing -r 1600w,jpeg:85 -r 200x200,cover,webp --params-out deploy/params.json
    #[command(verbatim_doc_comment)]
    Sizing(crate::sizing::SizingArgs),
    /// Show what each file is (format, size, frames, orientation, colour type) and whether it passes
    /// the limits, and why not, from its header alone. Exit status 1 if any file would be rejected.
    ///
    /// Examples:
    ///   imgkit probe upload.jpg
    ///   imgkit probe --json corpus/hostile/*
    #[command(verbatim_doc_comment)]
    Probe(ProbeArgs),
}

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// Files to probe.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// One JSON array on stdout instead of a line per file.
    #[arg(long)]
    pub json: bool,
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
    /// Read renditions from FILE, one `name=spec` per line (`#` starts a comment); adds to --rendition.
    #[arg(long, value_name = "FILE")]
    pub renditions_file: Option<PathBuf>,
    /// Only files whose path relative to the input matches one of these globs (repeatable), e.g. `**/*.jpg`.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files whose relative path matches (repeatable), e.g. `raw/**`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also walk hidden (dot) files and directories.
    #[arg(long)]
    pub hidden: bool,
    /// Follow symbolic links while walking.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Memory for images in flight, e.g. 512M or 4G (default: half of the available memory). Files wait
    /// for room; a file that alone needs more is rejected.
    #[arg(long, value_name = "SIZE", value_parser = crate::budget::parse_size)]
    pub max_memory: Option<u64>,
    /// Redo files whose outputs are already newer than the input (skipped by default).
    #[arg(long)]
    pub force: bool,
    /// Show what would be written or skipped; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write a JSON report with one entry per input (outcome, reason, outputs, sizes, timings).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print a line per file.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print nothing but errors (no progress bar, no summary).
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
    pub walk: WalkOptions,
    pub jobs: Option<usize>,
    pub max_memory: u64,
    pub force: bool,
    pub dry_run: bool,
    pub report: Option<PathBuf>,
    pub verbose: bool,
    pub quiet: bool,
}

impl ResizeArgs {
    pub fn into_job(self) -> Result<Job> {
        let mut named = self.renditions.clone();
        if let Some(file) = &self.renditions_file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--renditions-file {}", file.display()))?;
            named.extend(
                text.lines()
                    .map(|l| l.split('#').next().unwrap_or("").trim())
                    .filter(|l| !l.is_empty())
                    .map(String::from),
            );
        }
        let renditions = if named.is_empty() {
            vec![(None, self.spec()?)]
        } else {
            if self.width.is_some() || self.height.is_some() {
                bail!("--rendition replaces --width/--height: give one or the other");
            }
            let list = Rendition::parse_list(&named.join(";"))?;
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
            walk: WalkOptions {
                all_files: self.all_files,
                include: globs(&self.include, "--include")?,
                exclude: globs(&self.exclude, "--exclude")?,
                hidden: self.hidden,
                follow_symlinks: self.follow_symlinks,
            },
            jobs: self.jobs,
            max_memory: self.max_memory.unwrap_or_else(crate::budget::default_total),
            force: self.force,
            dry_run: self.dry_run,
            report: self.report,
            verbose: self.verbose,
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
