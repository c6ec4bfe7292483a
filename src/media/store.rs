//! Picture files under `SCANLOOP_DATA_DIR/media`, named by the SHA-256 of their content
//! (`<64 hex digits>.jpg`): the same picture is kept once, a name never changes meaning, so
//! browsers may cache it for a year. A file is written under a temporary name and renamed,
//! so nobody reads half a file and an interrupted write leaves no file under a real name;
//! temporary files left by a crash are removed at start. With several instances the
//! directory must be shared between them (a network volume).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;
use sha2::{Digest, Sha256};

const TEMPORARY_PREFIX: &str = ".part-";

#[derive(Debug, Clone)]
pub struct MediaStore {
    dir: PathBuf,
}

/// Whether `name` is one that `MediaStore::put` makes: nothing else is ever opened.
pub fn is_media_name(name: &str) -> bool {
    name.strip_suffix(".jpg").is_some_and(|hash| {
        hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

impl MediaStore {
    /// Opens (creating it if needed) `data_dir/media` and removes what crashed writes left.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let dir = data_dir.join("media");
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(TEMPORARY_PREFIX)
            {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(Self { dir })
    }

    /// Stores a JPEG and returns its name. Blocking: call it off the async threads.
    pub fn put(&self, jpeg: &[u8]) -> io::Result<String> {
        let name = format!("{}.jpg", hex::encode(Sha256::digest(jpeg)));
        let path = self.dir.join(&name);
        if path.exists() {
            return Ok(name);
        }
        let mut suffix = [0u8; 8];
        rand::rng().fill_bytes(&mut suffix);
        let temporary = self
            .dir
            .join(format!("{TEMPORARY_PREFIX}{}", hex::encode(suffix)));
        let written = (|| {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(jpeg)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written.map(|()| name)
    }

    /// The file of a stored picture; `None` for a name `put` would never make.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        is_media_name(name).then(|| self.dir.join(name))
    }

    /// Removes a stored picture; one already gone is not an error.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        let Some(path) = self.path(name) else {
            return Ok(());
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let mut bytes = [0u8; 8];
        rand::rng().fill_bytes(&mut bytes);
        std::env::temp_dir().join(format!("scanloop-media-{}", hex::encode(bytes)))
    }

    #[test]
    fn pictures_are_named_by_content_and_kept_once() {
        let data = temp_dir();
        let store = MediaStore::open(&data).unwrap();
        let a = store.put(b"one picture").unwrap();
        assert_eq!(a, store.put(b"one picture").unwrap());
        assert_ne!(a, store.put(b"another").unwrap());
        assert!(is_media_name(&a));
        assert_eq!(
            std::fs::read(store.path(&a).unwrap()).unwrap(),
            b"one picture"
        );
        store.remove(&a).unwrap();
        store.remove(&a).unwrap();
        assert!(!store.path(&a).unwrap().exists());
        std::fs::remove_dir_all(data).unwrap();
    }

    #[test]
    fn only_its_own_names_are_opened_and_crash_leftovers_go() {
        let data = temp_dir();
        let store = MediaStore::open(&data).unwrap();
        for name in [
            "../secret.jpg",
            "a.jpg",
            &format!("{}.png", "a".repeat(64)),
            &"A".repeat(64),
        ] {
            assert!(store.path(name).is_none(), "{name}");
        }
        let leftover = data.join("media").join(".part-0011");
        std::fs::write(&leftover, b"half").unwrap();
        MediaStore::open(&data).unwrap();
        assert!(!leftover.exists());
        std::fs::remove_dir_all(data).unwrap();
    }
}
