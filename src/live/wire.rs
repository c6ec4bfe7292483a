//! The feed's events as the bytes a connection sends, written once for every connection.
//!
//! At thousands of scans a second every byte goes to every listener, so most of what a feed
//! costs is bytes: copying them, the kernel moving them, the client reading them. A client
//! that accepts gzip (browsers' `EventSource` does) gets the stream gzipped, and the
//! compressing is shared too: each event is deflated on its own (a fresh compressor, ended
//! with a sync flush), so its deflated bytes fit any connection's stream at any point. A
//! connection's gzip stream is a header, the events' deflated bytes in order, and, when the
//! feed ends, a final empty block with the CRC-32 and length of everything it carried.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use flate2::{Compress, Compression, FlushCompress};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

/// A comment sent when nothing else was, so proxies and clients keep the connection.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(15);

/// The gzip header: deflate, no name, no time, unknown system.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// A final, empty block of fixed codes: the end of the deflate stream.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// One server-sent event (or comment) as text, and deflated when a connection first needs
/// it.
pub struct Frame {
    plain: Bytes,
    deflated: OnceLock<Deflated>,
}

struct Deflated {
    bytes: Bytes,
    crc: u32,
}

impl Frame {
    /// `event: <name>`, `id: <id>` and one `data:` line (`data` is compact JSON: no
    /// newlines).
    pub fn event(name: &str, id: i64, data: &str) -> Self {
        debug_assert!(!data.contains('\n'));
        Self::text(format!("event: {name}\nid: {id}\ndata: {data}\n\n"))
    }

    fn text(text: String) -> Self {
        Self {
            plain: Bytes::from(text),
            deflated: OnceLock::new(),
        }
    }

    fn deflated(&self) -> &Deflated {
        self.deflated.get_or_init(|| Deflated {
            bytes: deflate(&self.plain),
            crc: crc32fast::hash(&self.plain),
        })
    }

    #[cfg(test)]
    pub fn text_of(&self) -> &str {
        std::str::from_utf8(&self.plain).unwrap_or_default()
    }
}

/// `input` as raw deflate blocks ending byte-aligned (a sync flush), not the last block.
fn deflate(input: &[u8]) -> Bytes {
    let mut compress = Compress::new(Compression::fast(), false);
    let mut out = Vec::with_capacity(input.len() / 4 + 64);
    loop {
        let read = compress.total_in() as usize;
        if compress
            .compress_vec(&input[read..], &mut out, FlushCompress::Sync)
            .is_err()
        {
            // Deflating memory into memory does not fail; should it, the event goes as
            // stored blocks rather than corrupting the connection's stream.
            return stored(input);
        }
        // A flush is complete once everything is read and the output was not filled.
        if compress.total_in() as usize == input.len() && out.len() < out.capacity() {
            return Bytes::from(out);
        }
        out.reserve(out.capacity());
    }
}

/// `input` as stored (uncompressed) deflate blocks, not the last.
fn stored(input: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(input.len() + input.len() / 65_535 * 5 + 5);
    for chunk in input
        .chunks(65_535)
        .chain(input.is_empty().then_some(&[][..]))
    {
        let len = chunk.len() as u16;
        out.push(0);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    Bytes::from(out)
}

/// How a connection's body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

impl Encoding {
    /// Gzip when `Accept-Encoding` lists it (or `*`) without `q=0`.
    pub fn accepted(headers: &HeaderMap) -> Self {
        let accepts = headers
            .get_all(axum::http::header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
            });
        if accepts { Self::Gzip } else { Self::Identity }
    }
}

/// One connection's side of the encoding: the checksum and length of what it has sent.
struct Writer {
    encoding: Encoding,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Writer {
    fn start(&self) -> Option<Bytes> {
        (self.encoding == Encoding::Gzip).then(|| Bytes::from_static(&GZIP_HEADER))
    }

    fn frame(&mut self, frame: &Frame) -> Bytes {
        match self.encoding {
            Encoding::Identity => frame.plain.clone(),
            Encoding::Gzip => {
                let deflated = frame.deflated();
                let len = frame.plain.len() as u64;
                self.crc
                    .combine(&crc32fast::Hasher::new_with_initial_len(deflated.crc, len));
                self.len += len;
                deflated.bytes.clone()
            }
        }
    }

    fn end(self) -> Option<Bytes> {
        (self.encoding == Encoding::Gzip).then(|| {
            let mut end = FINAL_BLOCK.to_vec();
            end.extend_from_slice(&self.crc.finalize().to_le_bytes());
            // ISIZE: the length modulo 2^32, as gzip defines it.
            end.extend_from_slice(&(self.len as u32).to_le_bytes());
            Bytes::from(end)
        })
    }
}

/// A connection's body: the frames as they come, a keep-alive comment after a quiet
/// stretch, and the stream's end once the listener stops.
pub fn body(
    frames: mpsc::Receiver<Arc<Frame>>,
    encoding: Encoding,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let keep_alive = Arc::new(Frame::text(":\n\n".into()));
    let writer = Writer {
        encoding,
        crc: crc32fast::Hasher::new(),
        len: 0,
    };
    let start = writer.start();
    let frames = futures_util::stream::unfold(Some((frames, writer)), move |state| {
        let keep_alive = keep_alive.clone();
        async move {
            let (mut frames, mut writer) = state?;
            let frame = match tokio::time::timeout(KEEP_ALIVE_EVERY, frames.recv()).await {
                Ok(Some(frame)) => frame,
                Ok(None) => return writer.end().map(|end| (Ok(end), None)),
                Err(_quiet) => keep_alive,
            };
            let bytes = writer.frame(&frame);
            Some((Ok(bytes), Some((frames, writer))))
        }
    });
    futures_util::stream::iter(start.map(Ok)).chain(frames)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// What a connection sends for `frames`, start to end.
    async fn sent(frames: &[Arc<Frame>], encoding: Encoding) -> Vec<u8> {
        let (tx, rx) = mpsc::channel(frames.len().max(1));
        for frame in frames {
            tx.send(frame.clone()).await.unwrap();
        }
        drop(tx);
        let chunks: Vec<_> = body(rx, encoding).collect().await;
        chunks.into_iter().flat_map(|c| c.unwrap()).collect()
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut text = String::new();
        // The decoder checks the CRC-32 and the length at the end.
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .expect("a whole gzip stream");
        text
    }

    #[tokio::test]
    async fn one_deflated_event_fits_every_connection_s_stream() {
        let scans: Vec<String> = (0..2_000)
            .map(|i| format!(r#"{{"id":{i},"device":"mobile","outcome":"landing"}}"#))
            .collect();
        let big = Arc::new(Frame::event(
            "scans",
            2_000,
            &format!("[{}]", scans.join(",")),
        ));
        let small = Arc::new(Frame::event("skipped", 7, r#"{"after":1,"to":7}"#));
        let both = sent(&[small.clone(), big.clone()], Encoding::Gzip).await;
        let one = sent(std::slice::from_ref(&big), Encoding::Gzip).await;
        assert_eq!(
            gunzip(&both),
            format!("{}{}", small.text_of(), big.text_of())
        );
        assert_eq!(gunzip(&one), big.text_of());
        assert!(
            both.len() * 10 < big.text_of().len(),
            "{} bytes for {}",
            both.len(),
            big.text_of().len()
        );
        let plain = sent(std::slice::from_ref(&small), Encoding::Identity).await;
        assert_eq!(plain, small.text_of().as_bytes());
        assert_eq!(gunzip(&sent(&[], Encoding::Gzip).await), "");
    }

    #[test]
    fn stored_blocks_carry_an_event_as_it_is() {
        for input in [&b""[..], b"event: x\n\n", &vec![b'a'; 70_000]] {
            let mut stream = stored(input).to_vec();
            stream.extend_from_slice(&FINAL_BLOCK);
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(&stream[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, input);
        }
    }

    #[test]
    fn gzip_is_sent_only_to_clients_that_accept_it() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("accept-encoding", value.parse().unwrap());
            Encoding::accepted(&headers)
        };
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(with("gzip, deflate, br, zstd"), Encoding::Gzip);
        assert_eq!(with("br;q=1.0, GZIP;q=0.5"), Encoding::Gzip);
        assert_eq!(with("*"), Encoding::Gzip);
        assert_eq!(with("gzip;q=0, identity"), Encoding::Identity);
        assert_eq!(with("br, deflate"), Encoding::Identity);
    }
}
