//! Pictures people upload (a campaign's hero image; consumers' photos): decoded under
//! limits, turned upright, re-encoded without any metadata in the sizes a phone needs, and
//! kept as files named by their content.

mod photo;
mod picture;
mod store;

pub use photo::{StoredPhoto, store_photo};
pub use picture::{MAX_UPLOAD_BYTES, Picture, PictureError, Rendition, fit};
pub use store::{MediaStore, is_media_name};
