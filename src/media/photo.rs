//! A consumer's photo (shared on the photo page, or sent with feedback) as scanloop keeps
//! it: decoded under limits, upright, in a size a phone opens full screen and a thumbnail,
//! both JPEG without metadata, stored by content.

use std::io;

use super::{MediaStore, Picture, PictureError};

/// The photo opened full screen, and a tile in a two-column grid.
const DISPLAY_SIDE: u32 = 1280;
const THUMB_SIDE: u32 = 360;

/// A photo's stored files and its display size.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub image: String,
    pub thumb: String,
    pub width: u32,
    pub height: u32,
}

/// Decodes `upload` and stores its two renditions; the outer error is the disk's, the
/// inner one why the upload is not a usable picture. CPU-heavy: run it off the async
/// threads.
pub fn store_photo(
    media: &MediaStore,
    upload: &[u8],
) -> io::Result<Result<StoredPhoto, PictureError>> {
    let picture = match Picture::decode(upload) {
        Ok(picture) => picture,
        Err(refused) => return Ok(Err(refused)),
    };
    let display = picture.fitted(DISPLAY_SIDE);
    let thumb = display.fitted(THUMB_SIDE).to_jpeg();
    let display = display.to_jpeg();
    Ok(Ok(StoredPhoto {
        image: media.put(&display.jpeg)?,
        thumb: media.put(&thumb.jpeg)?,
        width: display.width,
        height: display.height,
    }))
}
