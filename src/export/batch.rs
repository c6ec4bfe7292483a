//! One batch's export written front to back into a `Sink`: the HTTP endpoints stream it to
//! the client, `scanloop batch export` to a file. Codes are read a page at a time in
//! serial order and drawn on every core, so memory stays bounded whatever the batch size.

use std::io::Write as _;
use std::sync::Arc;

use super::images::{self, ImageFormat, name_width};
use super::pdf::{self, PdfStream};
use super::sheet::{Label, Sheet};
use super::zip::ZipStream;
use crate::config::{CodeUrls, Settings};
use crate::db::{Batch, Db, PackedListing};
use crate::domain::LinkStyle;
use crate::domain::time::to_rfc3339;
use crate::qr::{OptionsError, RenderOptions};

/// Codes drawn per round of an export.zip: enough to keep every core busy.
const IMAGES_PER_ROUND: i64 = 512;
/// Codes per round of a CSV.
const ROWS_PER_ROUND: i64 = 10_000;
/// Pages drawn per round of a sheet.
const PAGES_PER_ROUND: usize = 16;

/// Where an export goes.
pub trait Sink {
    /// Takes the next bytes of the file; an error stops the export.
    fn write(&mut self, bytes: Vec<u8>) -> impl Future<Output = Result<(), Stopped>> + Send;
    /// `codes` more codes are in what was written.
    fn done(&mut self, codes: u64);
}

/// Why an export stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    #[error("the reader went away")]
    ReaderGone,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Reading, drawing and writing fail the export alike.
macro_rules! failed_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Stopped {
            fn from(err: $error) -> Self {
                Self::Failed(err.into())
            }
        }
    )*};
}
failed_from!(std::io::Error, crate::db::DbError, tokio::task::JoinError);

/// The batch being exported and where its codes' URLs come from.
pub struct Source {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub batch: Batch,
}

impl Source {
    async fn packed(&self, after: i64, limit: i64) -> Result<PackedListing, Stopped> {
        Ok(self.db.packed_listing(self.batch.id, after, limit).await?)
    }

    fn urls(&self) -> CodeUrls {
        self.settings.code_urls(&self.batch.link_style())
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub enum Kind {
    /// `serial,token,url,status,scans,first_scan_at`.
    Csv,
    /// Every code's image in a ZIP, with a manifest.
    Zip(ImageFormat, RenderOptions),
    /// Label sheets as PDF.
    Sheet(Sheet, RenderOptions),
}

/// Refuses, before anything is written, options the batch's codes cannot be drawn with:
/// tried on its first code (every code of a batch has a URL of the same length).
pub async fn check(source: &Source, kind: &Kind) -> Result<(), Refused> {
    let first = source.packed(0, 1).await.map_err(Refused::Failed)?;
    let Some((serial, token)) = first.serials_and_tokens().next() else {
        return Ok(());
    };
    let url = source.urls().url(token);
    match kind {
        Kind::Csv => Ok(()),
        Kind::Zip(format, options) => {
            images::check(&url, *format, options).map_err(Refused::Options)
        }
        Kind::Sheet(sheet, options) => {
            let label = Label {
                serial,
                token,
                url: &url,
            };
            let width = name_width(source.batch.codes_total());
            sheet
                .render_page(&[label], options, width)
                .map(drop)
                .map_err(Refused::Options)
        }
    }
}

/// Why an export was refused before it started.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error(transparent)]
    Failed(Stopped),
}

/// Writes the export of `kind` into `sink`.
pub async fn write(source: &Source, kind: Kind, sink: &mut impl Sink) -> Result<(), Stopped> {
    match kind {
        Kind::Csv => write_csv(source, sink).await,
        Kind::Zip(format, options) => write_zip(source, format, options, sink).await,
        Kind::Sheet(sheet, options) => write_sheet(source, sheet, options, sink).await,
    }
}

/// `serial,token,url,status,scans,first_scan_at`, one row per code.
async fn write_csv(source: &Source, sink: &mut impl Sink) -> Result<(), Stopped> {
    let urls = source.urls();
    let mut chunk = String::from("serial,token,url,status,scans,first_scan_at\n");
    let mut after = 0;
    loop {
        let page = source.packed(after, ROWS_PER_ROUND).await?;
        chunk.reserve(page.lines.len() + page.codes as usize * 48);
        for line in page.lines.lines() {
            let mut fields = line.splitn(3, ',');
            let (serial, token, rest) = (
                fields.next().unwrap_or_default(),
                fields.next().unwrap_or_default(),
                fields.next().unwrap_or_default(),
            );
            // rest: status,scans,first_scan_at (epoch ms, or empty)
            let (counts, first_scan) = rest.rsplit_once(',').unwrap_or((rest, ""));
            chunk.push_str(serial);
            chunk.push(',');
            chunk.push_str(token);
            chunk.push(',');
            urls.push(&mut chunk, token);
            chunk.push(',');
            chunk.push_str(counts);
            chunk.push(',');
            if let Ok(ms) = first_scan.parse::<i64>() {
                chunk.push_str(&to_rfc3339(ms));
            }
            chunk.push('\n');
        }
        sink.write(std::mem::take(&mut chunk).into_bytes()).await?;
        sink.done(page.codes as u64);
        if page.codes < ROWS_PER_ROUND {
            return Ok(());
        }
        after = page.last_serial;
    }
}

/// A ZIP of every code's image, named by zero-padded serial, after `manifest.csv`.
async fn write_zip(
    source: &Source,
    format: ImageFormat,
    options: RenderOptions,
    sink: &mut impl Sink,
) -> Result<(), Stopped> {
    let mut zip = ZipStream::new(chrono::Utc::now());
    write_manifest(source, &mut zip, sink).await?;
    let width = name_width(source.batch.codes_total());
    let urls = source.urls();
    let mut after = 0;
    loop {
        let packed = source.packed(after, IMAGES_PER_ROUND).await?;
        if packed.codes == 0 {
            break;
        }
        after = packed.last_serial;
        let page: Vec<(i64, String)> = packed
            .serials_and_tokens()
            .map(|(serial, token)| (serial, urls.url(token)))
            .collect();
        let options = options.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            images::render_page(&page, format, &options, width)
        })
        .await??;
        let drawn = rendered.len() as u64;
        for entry in rendered {
            zip.add(entry)?;
        }
        sink.write(zip.take()).await?;
        sink.done(drawn);
    }
    while !zip.finish_step()? {
        sink.write(zip.take()).await?;
    }
    sink.write(zip.take()).await
}

/// `serial,token,url`, and for a batch with a GTIN `gtin,lot,gs1_serial`.
async fn write_manifest(
    source: &Source,
    zip: &mut ZipStream,
    sink: &mut impl Sink,
) -> Result<(), Stopped> {
    let style = source.batch.link_style();
    let urls = source.urls();
    let mut manifest = zip.start_streamed("manifest.csv")?;
    // The GS1 columns are the batch's but the serial: worked out once.
    let (header, gs1_columns) = match &style {
        LinkStyle::Short => ("serial,token,url\n", None),
        LinkStyle::DigitalLink {
            gtin,
            lot,
            per_item,
        } => (
            "serial,token,url,gtin,lot,gs1_serial\n",
            Some((
                format!(
                    ",{},{},",
                    gtin.as_str(),
                    csv_field(lot.as_deref().unwrap_or_default())
                ),
                *per_item,
            )),
        ),
    };
    manifest.write_all(header.as_bytes())?;
    let mut after = 0;
    loop {
        let page = source.packed(after, ROWS_PER_ROUND).await?;
        if page.codes == 0 {
            break;
        }
        after = page.last_serial;
        let mut rows = String::with_capacity(page.codes as usize * 96);
        for line in page.lines.lines() {
            let mut fields = line.split(',');
            let serial = fields.next().unwrap_or_default();
            let token = fields.next().unwrap_or_default();
            rows.push_str(serial);
            rows.push(',');
            rows.push_str(token);
            rows.push(',');
            urls.push(&mut rows, token);
            if let Some((columns, per_item)) = &gs1_columns {
                rows.push_str(columns);
                if *per_item {
                    rows.push_str(token);
                }
            }
            rows.push('\n');
        }
        manifest.write_all(rows.as_bytes())?;
        zip.drain_streamed(&mut manifest)?;
        sink.write(zip.take()).await?;
    }
    zip.finish_streamed(manifest)?;
    Ok(())
}

/// A lot is free text: quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Label sheets as PDF, a round of pages at a time.
async fn write_sheet(
    source: &Source,
    sheet: Sheet,
    options: RenderOptions,
    sink: &mut impl Sink,
) -> Result<(), Stopped> {
    let mut pdf = PdfStream::new();
    if let Some(logo) = &options.logo {
        let (w, h) = logo.dimensions();
        pdf.add_logo(&logo.fitted(options.bg, w.max(h)).image)?;
    }
    let width = name_width(source.batch.codes_total());
    let code_urls = source.urls();
    let per_round = (sheet.per_page() * PAGES_PER_ROUND) as i64;
    let mut after = 0;
    loop {
        let packed = source.packed(after, per_round).await?;
        if packed.codes == 0 {
            break;
        }
        after = packed.last_serial;
        let drawn = packed.codes as u64;
        let codes: Vec<(i64, String, String)> = packed
            .serials_and_tokens()
            .map(|(serial, token)| (serial, token.to_owned(), code_urls.url(token)))
            .collect();
        let options = options.clone();
        let pages =
            tokio::task::spawn_blocking(move || draw_pages(&sheet, &codes, &options, width))
                .await??;
        for page in &pages {
            pdf.add_page(sheet.page.0, sheet.page.1, page);
        }
        sink.write(pdf.take()).await?;
        sink.done(drawn);
    }
    pdf.finish();
    sink.write(pdf.take()).await
}

/// Draws and compresses each page of `codes` on every core, in order.
fn draw_pages(
    sheet: &Sheet,
    codes: &[(i64, String, String)],
    options: &RenderOptions,
    width: usize,
) -> std::io::Result<Vec<Vec<u8>>> {
    let pages: Vec<(usize, usize)> = (0..codes.len())
        .step_by(sheet.per_page())
        .map(|start| (start, (start + sheet.per_page()).min(codes.len())))
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = pages.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = pages
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&(start, end)| {
                            let labels: Vec<Label> = codes[start..end]
                                .iter()
                                .map(|(serial, token, url)| Label {
                                    serial: *serial,
                                    token,
                                    url,
                                })
                                .collect();
                            let content = sheet
                                .render_page(&labels, options, width)
                                .map_err(std::io::Error::other)?;
                            pdf::compress_content(&content)
                        })
                        .collect::<std::io::Result<Vec<Vec<u8>>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(pages.len());
        for worker in workers {
            let part = worker
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a drawing thread panicked")))?;
            all.extend(part);
        }
        Ok(all)
    })
}
