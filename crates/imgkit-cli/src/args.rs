//! Command-line arguments, turned into a validated [`Job`] before any file is touched. Names (fit, filter,
//! format, colour) are parsed by the core's `FromStr`, as in rendition strings and the Lambda settings.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use imgkit::{Filter, Fit, Focus, Limits, OutputFormat, Rendition, Rgb, Spec};

use crate::resize::{self, globs, Job, ScanCommand, Scanner, WalkOptions};

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
    /// How to fit into a width × height box: inside (or contain), cover, fill.
    #[arg(long, default_value_t = Fit::Inside)]
    pub fit: Fit,
    /// Where a cover crop goes: center, entropy (the busiest part), attention (edges, saturation and skin
    /// tones, like sharp's strategy of that name).
    #[arg(long, default_value_t = Focus::Center)]
    pub focus: Focus,
    /// Resampling filter: lanczos3, catmullrom, mitchell, bilinear, box, nearest.
    #[arg(long, default_value_t = Filter::Lanczos3)]
    pub filter: Filter,
    /// Output format: same (keeps JPEG/PNG/WebP, writes PNG for GIF), jpeg, png, webp, avif.
    #[arg(long, default_value = "same")]
    pub format: OutputFormat,
    /// JPEG/WebP/AVIF quality, 1-100 [default: 82; AVIF 60, which scores like WebP at 82].
    #[arg(long, short = 'q')]
    pub quality: Option<u8>,
    /// Only the first frame of an animated GIF, WebP or APNG, even as WebP (which otherwise keeps every
    /// frame, its delays and loop count).
    #[arg(long)]
    pub still: bool,
    /// Allow upscaling images smaller than the target.
    #[arg(long)]
    pub enlarge: bool,
    /// Background for flattening transparency into JPEG, as RRGGBB.
    #[arg(long, default_value = "ffffff")]
    pub background: Rgb,
    /// Named rendition `name=spec` (repeatable), e.g. `thumb=200x200,cover,webp`; each goes to
    /// OUTPUT_DIR/name/. Replaces --width/--height/--fit/--focus/--filter/--format/--quality/--still.
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
    #[arg(long, value_name = "SIZE", value_parser = resize::parse_size)]
    pub max_memory: Option<u64>,
    /// Run a malware scanner on each input before imgkit reads it; `{}` stands for the file, e.g.
    /// `--scan-command 'clamdscan --no-summary {}'`.
    ///
    /// The path is passed as one argument whatever its name: the command is split into words as a shell
    /// would, but run without one. The scanner's exit status decides: 0 clean, the file is processed; 1
    /// the file is rejected as `malware`; any other status, a signal, a timeout or a command that cannot
    /// be started, the file is failed (worth retrying). Rejected or failed files write nothing; the rest
    /// of the batch goes on. Every input is scanned, also those whose outputs are up to date. Not run
    /// with --dry-run.
    #[arg(long, value_name = "CMD", value_parser = ScanCommand::parse)]
    pub scan_command: Option<ScanCommand>,
    /// Seconds one --scan-command may take before it is killed (with any process it started) and the
    /// file is failed.
    #[arg(long, value_name = "SECS", default_value_t = 300, requires = "scan_command",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub scan_timeout: u64,
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
            max_memory: self.max_memory.unwrap_or_else(resize::default_memory),
            scan: self
                .scan_command
                .map(|command| Scanner::new(command, Duration::from_secs(self.scan_timeout))),
            force: self.force,
            dry_run: self.dry_run,
            report: self.report,
            verbose: self.verbose,
            quiet: self.quiet,
        })
    }

    fn spec(&self) -> Result<Spec> {
        let spec = Spec::new()
            .with_bounds(self.width, self.height)
            .with_fit(self.fit)
            .with_focus(self.focus)
            .with_filter(self.filter)
            .with_format(self.quality.map_or(self.format, |q| self.format.with_quality(q)))
            .with_still(self.still)
            .with_enlarge(self.enlarge)
            .with_background(self.background.0);
        spec.validate().context("invalid size or format options")?;
        Ok(spec)
    }
}
