//! A ZIP archive written front to back, for streaming to a client: nothing is ever
//! rewritten, so the bytes can leave as soon as they are made. Entries whose bytes are
//! known up front (rendered images) carry their sizes in the local header; a streamed
//! entry (the manifest) is followed by a data descriptor. ZIP64 records are added only
//! when the archive needs them (more than 65,535 entries, or past 4 GiB), so small
//! exports open in anything.
//!
//! What is kept per entry for the central directory is small and fixed (about 40 bytes
//! plus the name), so a million-code export holds tens of megabytes, not the images.

use std::cell::RefCell;
use std::io::{self, Write};

use flate2::write::DeflateEncoder;
use flate2::{Compress, Compression, FlushCompress, Status};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const VERSION_NEEDED: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Sizes and CRC follow the data, in a data descriptor.
const FLAG_DESCRIPTOR: u16 = 1 << 3;
/// Regular file, rw-r--r--, for unzip on Unix.
const UNIX_FILE_MODE: u32 = 0o100_644 << 16;
const MADE_BY_UNIX: u16 = (3 << 8) | VERSION_ZIP64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Stored = 0,
    Deflated = 8,
}

/// One entry's bytes, compressed (or not) and checksummed, ready to append.
pub struct Prepared {
    pub name: String,
    pub method: Method,
    pub crc: u32,
    pub size: u32,
    pub data: Vec<u8>,
}

impl Prepared {
    /// Deflates text-like content (SVG shrinks several times); stores what is already
    /// compressed (PNG).
    pub fn new(name: String, content: &[u8], method: Method) -> io::Result<Self> {
        let data = match method {
            Method::Stored => content.to_vec(),
            Method::Deflated => deflate(content)?,
        };
        Ok(Self {
            name,
            method,
            crc: crc32fast::hash(content),
            size: u32::try_from(content.len()).map_err(|_| io::Error::other("entry over 4 GiB"))?,
            data,
        })
    }
}

/// Raw deflate with this thread's compressor, reset rather than made anew: allocating and
/// clearing a compressor's tables for every small SVG cost about a tenth of an export's
/// CPU time once encoding got faster.
fn deflate(content: &[u8]) -> io::Result<Vec<u8>> {
    thread_local! {
        static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
    }
    COMPRESSOR.with_borrow_mut(|compressor| {
        compressor.reset();
        let mut out = Vec::with_capacity(content.len() / 2 + 64);
        loop {
            let read = usize::try_from(compressor.total_in()).unwrap_or(usize::MAX);
            let status = compressor
                .compress_vec(
                    &content[read.min(content.len())..],
                    &mut out,
                    FlushCompress::Finish,
                )
                .map_err(io::Error::other)?;
            if status == Status::StreamEnd {
                return Ok(out);
            }
            out.reserve(out.capacity().max(1024));
        }
    })
}

struct Entry {
    name: Box<str>,
    method: Method,
    flags: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u64,
}

/// The archive being written; `take` hands over what has been written since the last call.
pub struct ZipStream {
    out: Vec<u8>,
    written: u64,
    entries: Vec<Entry>,
    dos_time: u16,
    dos_date: u16,
    /// Set when the central directory starts; how many of its entries are written.
    directory_offset: Option<u64>,
    directory_written: usize,
}

impl ZipStream {
    /// Every entry is stamped with `modified` (the export's time).
    pub fn new(modified: chrono::DateTime<chrono::Utc>) -> Self {
        use chrono::{Datelike, Timelike};
        let year = modified.year().clamp(1980, 2107) as u16;
        Self {
            out: Vec::new(),
            written: 0,
            entries: Vec::new(),
            directory_offset: None,
            directory_written: 0,
            dos_time: ((modified.hour() as u16) << 11)
                | ((modified.minute() as u16) << 5)
                | (modified.second() as u16 / 2),
            dos_date: ((year - 1980) << 9)
                | ((modified.month() as u16) << 5)
                | modified.day() as u16,
        }
    }

    /// The bytes written since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    pub fn add(&mut self, entry: Prepared) -> io::Result<()> {
        let compressed =
            u32::try_from(entry.data.len()).map_err(|_| io::Error::other("entry over 4 GiB"))?;
        let record = Entry {
            name: entry.name.into_boxed_str(),
            method: entry.method,
            flags: 0,
            crc: entry.crc,
            compressed,
            size: entry.size,
            offset: self.written,
        };
        self.local_header(&record)?;
        self.write(&entry.data)?;
        self.entries.push(record);
        Ok(())
    }

    /// Starts a deflated entry of unknown length; write to the returned writer, then
    /// `finish_streamed` with it.
    pub fn start_streamed(&mut self, name: &str) -> io::Result<Streamed> {
        let record = Entry {
            name: name.into(),
            method: Method::Deflated,
            flags: FLAG_DESCRIPTOR,
            crc: 0,
            compressed: 0,
            size: 0,
            offset: self.written,
        };
        self.local_header(&record)?;
        Ok(Streamed {
            record,
            encoder: DeflateEncoder::new(Vec::new(), Compression::fast()),
            crc: crc32fast::Hasher::new(),
            size: 0,
        })
    }

    /// Appends what the streamed entry has compressed so far.
    pub fn drain_streamed(&mut self, streamed: &mut Streamed) -> io::Result<()> {
        let chunk = std::mem::take(streamed.encoder.get_mut());
        streamed.record.compressed = add_u32(streamed.record.compressed, chunk.len())?;
        self.write(&chunk)
    }

    pub fn finish_streamed(&mut self, mut streamed: Streamed) -> io::Result<()> {
        streamed.encoder.try_finish()?;
        self.drain_streamed(&mut streamed)?;
        let mut record = streamed.record;
        record.crc = streamed.crc.finalize();
        record.size =
            u32::try_from(streamed.size).map_err(|_| io::Error::other("entry over 4 GiB"))?;
        let mut descriptor = Vec::with_capacity(16);
        put32(&mut descriptor, DATA_DESCRIPTOR);
        put32(&mut descriptor, record.crc);
        put32(&mut descriptor, record.compressed);
        put32(&mut descriptor, record.size);
        self.write(&descriptor)?;
        self.entries.push(record);
        Ok(())
    }

    /// Writes the next part of the central directory, and the end records after its last
    /// entry; true once the archive is complete. Taking the output between calls keeps a
    /// million-entry directory from sitting in memory whole.
    pub fn finish_step(&mut self) -> io::Result<bool> {
        const ENTRIES_PER_STEP: usize = 10_000;
        let directory_offset = *self.directory_offset.get_or_insert(self.written);
        let from = self.directory_written;
        let to = (from + ENTRIES_PER_STEP).min(self.entries.len());
        let mut directory = Vec::new();
        for entry in &self.entries[from..to] {
            central_header(&mut directory, entry, self.dos_time, self.dos_date);
        }
        self.directory_written = to;
        self.write(&directory)?;
        if to < self.entries.len() {
            return Ok(false);
        }
        let directory_size = self.written - directory_offset;
        let end = end_records(
            self.entries.len() as u64,
            directory_offset,
            directory_size,
            self.written,
        );
        self.write(&end)?;
        Ok(true)
    }

    /// Writes the whole central directory and the end records.
    pub fn finish(&mut self) -> io::Result<()> {
        while !self.finish_step()? {}
        Ok(())
    }

    fn local_header(&mut self, entry: &Entry) -> io::Result<()> {
        let mut header = Vec::with_capacity(30 + entry.name.len());
        put32(&mut header, LOCAL_HEADER);
        put16(&mut header, VERSION_NEEDED);
        put16(&mut header, entry.flags);
        put16(&mut header, entry.method as u16);
        put16(&mut header, self.dos_time);
        put16(&mut header, self.dos_date);
        put32(&mut header, entry.crc);
        put32(&mut header, entry.compressed);
        put32(&mut header, entry.size);
        put16(&mut header, entry.name.len() as u16);
        put16(&mut header, 0);
        header.extend_from_slice(entry.name.as_bytes());
        self.write(&header)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// A deflated entry being written; see `ZipStream::start_streamed`.
pub struct Streamed {
    record: Entry,
    encoder: DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    size: u64,
}

impl Write for Streamed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.encoder.write(buf)?;
        self.crc.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.flush()
    }
}

fn central_header(out: &mut Vec<u8>, entry: &Entry, dos_time: u16, dos_date: u16) {
    let far = entry.offset >= u64::from(u32::MAX);
    put32(out, CENTRAL_HEADER);
    put16(out, MADE_BY_UNIX);
    put16(out, if far { VERSION_ZIP64 } else { VERSION_NEEDED });
    put16(out, entry.flags);
    put16(out, entry.method as u16);
    put16(out, dos_time);
    put16(out, dos_date);
    put32(out, entry.crc);
    put32(out, entry.compressed);
    put32(out, entry.size);
    put16(out, entry.name.len() as u16);
    put16(out, if far { 12 } else { 0 });
    put16(out, 0); // comment
    put16(out, 0); // disk
    put16(out, 0); // internal attributes
    put32(out, UNIX_FILE_MODE);
    put32(out, if far { u32::MAX } else { entry.offset as u32 });
    out.extend_from_slice(entry.name.as_bytes());
    if far {
        put16(out, 0x0001); // ZIP64 extra field holding the offset alone
        put16(out, 8);
        put64(out, entry.offset);
    }
}

/// The end of central directory record, preceded by the ZIP64 record and locator when the
/// count, offset or size does not fit the classic fields. `here` is where they start.
fn end_records(count: u64, directory_offset: u64, directory_size: u64, here: u64) -> Vec<u8> {
    let mut end = Vec::new();
    let needs_zip64 = count >= u64::from(u16::MAX)
        || directory_offset >= u64::from(u32::MAX)
        || directory_size >= u64::from(u32::MAX);
    if needs_zip64 {
        put32(&mut end, ZIP64_END_OF_CENTRAL_DIRECTORY);
        put64(&mut end, 44); // size of the rest of this record
        put16(&mut end, MADE_BY_UNIX);
        put16(&mut end, VERSION_ZIP64);
        put32(&mut end, 0); // this disk
        put32(&mut end, 0); // disk with the directory
        put64(&mut end, count);
        put64(&mut end, count);
        put64(&mut end, directory_size);
        put64(&mut end, directory_offset);
        put32(&mut end, ZIP64_LOCATOR);
        put32(&mut end, 0);
        put64(&mut end, here);
        put32(&mut end, 1); // disks
    }
    let count16 = if needs_zip64 { u16::MAX } else { count as u16 };
    let clamp32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    put32(&mut end, END_OF_CENTRAL_DIRECTORY);
    put16(&mut end, 0);
    put16(&mut end, 0);
    put16(&mut end, count16);
    put16(&mut end, count16);
    put32(&mut end, clamp32(directory_size));
    put32(&mut end, clamp32(directory_offset));
    put16(&mut end, 0); // comment
    end
}

fn add_u32(total: u32, more: usize) -> io::Result<u32> {
    u32::try_from(more)
        .ok()
        .and_then(|more| total.checked_add(more))
        .ok_or_else(|| io::Error::other("entry over 4 GiB"))
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    fn time() -> chrono::DateTime<chrono::Utc> {
        "2026-11-29T10:20:30Z".parse().unwrap()
    }

    fn read_all(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
        let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes)).expect("a valid archive");
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut content = Vec::new();
                file.read_to_end(&mut content).unwrap();
                (file.name().unwrap().into_owned(), content)
            })
            .collect()
    }

    #[test]
    fn stored_deflated_and_streamed_entries_read_back() {
        let mut zip = ZipStream::new(time());
        let svg = b"<svg>".repeat(100);
        zip.add(Prepared::new("a.svg".into(), &svg, Method::Deflated).unwrap())
            .unwrap();
        zip.add(Prepared::new("b.png".into(), b"\x89PNG", Method::Stored).unwrap())
            .unwrap();
        let mut manifest = zip.start_streamed("manifest.csv").unwrap();
        for i in 0..1_000 {
            writeln!(manifest, "{i},TOKEN{i}").unwrap();
            if i % 100 == 0 {
                zip.drain_streamed(&mut manifest).unwrap();
            }
        }
        zip.finish_streamed(manifest).unwrap();
        zip.finish().unwrap();
        let files = read_all(zip.take());
        assert_eq!(files[0], ("a.svg".into(), svg));
        assert_eq!(files[1], ("b.png".into(), b"\x89PNG".to_vec()));
        assert_eq!(files[2].0, "manifest.csv");
        let text = String::from_utf8(files[2].1.clone()).unwrap();
        assert_eq!(text.lines().count(), 1_000);
        assert!(text.ends_with("999,TOKEN999\n"));
    }

    #[test]
    fn more_than_65535_entries_use_zip64_end_records() {
        let mut zip = ZipStream::new(time());
        for i in 0..70_000 {
            zip.add(Prepared::new(format!("{i:07}.txt"), b"x", Method::Stored).unwrap())
                .unwrap();
        }
        zip.finish().unwrap();
        let bytes = zip.take();
        let files = read_all(bytes);
        assert_eq!(files.len(), 70_000);
        assert_eq!(files[69_999].0, "0069999.txt");
    }

    #[test]
    fn output_is_handed_over_in_pieces_that_add_up() {
        let mut whole = ZipStream::new(time());
        let mut pieces = ZipStream::new(time());
        let mut joined = Vec::new();
        for i in 0..10 {
            let entry = || Prepared::new(format!("{i}.txt"), b"hello", Method::Deflated).unwrap();
            whole.add(entry()).unwrap();
            pieces.add(entry()).unwrap();
            joined.extend(pieces.take());
        }
        whole.finish().unwrap();
        pieces.finish().unwrap();
        joined.extend(pieces.take());
        assert_eq!(joined, whole.take());
    }
}
