//! `scanloop batch export`: a batch's export written to a file, for runs too large to
//! download comfortably. The file is written as `FILE.part` and renamed to `FILE` only when
//! complete, so a half file never looks finished; a failure or Ctrl-C removes it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::{AsyncWriteExt, BufWriter};

use super::batch::{self, Kind, Refused, Sink, Source, Stopped};
use super::images::ImageFormat;
use super::sheet::SheetText;
use crate::cli::{ExportArgs, ExportFormat};
use crate::db::{Db, DbError};
use crate::domain::Generation;
use crate::qr::{Logo, OptionsText};

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    // Options that cannot be read are refused before the database is opened.
    kind(&args, None)?;
    let settings = Arc::new(args.config.settings(args.config.bind)?);
    let db = Db::connect(&args.config.database_url).await?;
    let batch = match db.batch(args.batch_id).await {
        Ok(batch) => batch,
        Err(DbError::NotFound) => bail!("no batch has id {}", args.batch_id),
        Err(err) => return Err(err.into()),
    };
    let logo = match db.batch_logo(batch.id).await? {
        Some(png) => Some(Arc::new(
            Logo::from_png(png).context("the stored logo cannot be read")?,
        )),
        None => None,
    };
    let kind = kind(&args, logo)?;
    match batch.generation {
        Generation::Ready => {}
        Generation::Generating => bail!(
            "batch {} is still generating its codes ({} of {} written); export it when it is ready",
            batch.id,
            batch.codes_generated,
            batch.codes_total()
        ),
        Generation::Failed => bail!("batch {} failed to generate and has no codes", batch.id),
    }
    let total = batch.codes_total();
    let source = Source {
        db,
        settings,
        batch,
    };
    batch::check(&source, &kind)
        .await
        .map_err(|err| match err {
            Refused::Options(err) => anyhow::anyhow!("{err}"),
            Refused::Failed(err) => anyhow::anyhow!(err),
        })?;
    let started = Instant::now();
    let bytes = write_file(&source, kind, &args.out, total).await?;
    println!(
        "wrote {total} codes of batch {} to {} ({:.1} MB) in {:.1} s",
        source.batch.id,
        args.out.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What to write, from the flags; the same checks and messages as the API.
fn kind(args: &ExportArgs, logo: Option<Arc<Logo>>) -> anyhow::Result<Kind> {
    let print = &args.print;
    let options = OptionsText {
        size: print.size.as_deref(),
        module_mm: print.module_mm.as_deref(),
        size_mm: print.size_mm.as_deref(),
        dpi: print.dpi.as_deref(),
        margin: print.margin.as_deref(),
        ecc: print.ecc.as_deref(),
        fg: print.fg.as_deref(),
        bg: print.bg.as_deref(),
        invert: print.invert.as_deref(),
        logo: print.logo.as_deref(),
    }
    .parse(logo)?;
    Ok(match args.format {
        ExportFormat::Csv => Kind::Csv,
        ExportFormat::Svg => Kind::Zip(ImageFormat::Svg, options),
        ExportFormat::Png => Kind::Zip(ImageFormat::Png, options),
        ExportFormat::Pdf => {
            if print.size.is_some() {
                bail!(
                    "--size is for screens: give --module-mm or --size-mm for sheets, or neither to fit the label"
                );
            }
            let sheet = &args.sheet;
            let sheet = SheetText {
                page: sheet.page.as_deref(),
                label_mm: sheet.label_mm.as_deref(),
                cols: sheet.cols.as_deref(),
                rows: sheet.rows.as_deref(),
                sheet_margin_mm: sheet.sheet_margin_mm.as_deref(),
                gap_mm: sheet.gap_mm.as_deref(),
                crop_marks: sheet.crop_marks.then_some("true"),
            }
            .parse()?;
            Kind::Sheet(sheet, options)
        }
    })
}

/// Writes through `OUT.part` and renames it to `out` when complete; returns the bytes.
async fn write_file(source: &Source, kind: Kind, out: &Path, total: i64) -> anyhow::Result<u64> {
    let part = part_path(out);
    let file = tokio::fs::File::create(&part)
        .await
        .with_context(|| format!("cannot create {}", part.display()))?;
    let mut sink = FileSink {
        file: BufWriter::with_capacity(1 << 20, file),
        progress: progress_bar(total),
        bytes: 0,
    };
    let written = tokio::select! {
        written = batch::write(source, kind, &mut sink) => written.map_err(|err| match err {
            Stopped::ReaderGone => anyhow::anyhow!("the file could not be written"),
            Stopped::Failed(err) => err,
        }),
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    let finished = match written {
        Ok(()) => sink.finish().await,
        Err(err) => Err(err),
    };
    sink.progress.finish_and_clear();
    if let Err(err) = finished {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(err.context(format!("nothing was written to {}", out.display())));
    }
    tokio::fs::rename(&part, out)
        .await
        .with_context(|| format!("cannot rename {} to {}", part.display(), out.display()))?;
    Ok(sink.bytes)
}

/// `labels.zip` -> `labels.zip.part`, beside it so the rename stays on one file system.
fn part_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    out.with_file_name(name)
}

/// A bar on a terminal; nothing in a file, a pipe or CI's log.
fn progress_bar(total: i64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total.max(0) as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:40} {human_pos}/{human_len} codes, {elapsed} so far, {eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}

struct FileSink {
    file: BufWriter<tokio::fs::File>,
    progress: ProgressBar,
    bytes: u64,
}

impl FileSink {
    /// Flushes and syncs, so a renamed file is whole on disk.
    async fn finish(&mut self) -> anyhow::Result<()> {
        self.file.flush().await?;
        self.file.get_ref().sync_all().await?;
        Ok(())
    }
}

impl Sink for FileSink {
    async fn write(&mut self, bytes: Vec<u8>) -> Result<(), Stopped> {
        self.file.write_all(&bytes).await?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    fn done(&mut self, codes: u64) {
        self.progress.inc(codes);
    }
}

#[cfg(test)]
mod tests {
    use super::part_path;
    use std::path::Path;

    #[test]
    fn the_part_file_sits_beside_the_output() {
        assert_eq!(
            part_path(Path::new("out/labels.zip")),
            Path::new("out/labels.zip.part")
        );
        assert_eq!(
            part_path(Path::new("codes.csv")),
            Path::new("codes.csv.part")
        );
    }
}
