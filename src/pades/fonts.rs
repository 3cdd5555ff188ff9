//! Which font draws the visible signature: a configured file, else the first Vietnamese-capable
//! sans font installed on the system. Without one, a visible block cannot be drawn and the error
//! names the Debian package that provides one; invisible signing needs no font at all.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::pdf::font::FontFace;

use super::appearance::AppearanceError;

/// Folders searched when no font file is configured (the fontconfig system locations).
pub const SYSTEM_FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// Font files accepted, best first: all three cover the Vietnamese letters (Latin Extended
/// Additional) and are packaged by Debian (`fonts-dejavu-core`, `fonts-noto-core`,
/// `fonts-liberation`).
pub const PREFERRED_FONT_FILES: &[&str] = &[
    "DejaVuSans.ttf",
    "NotoSans-Regular.ttf",
    "LiberationSans-Regular.ttf",
];

/// The Debian package that a missing-font error tells the operator to install.
pub const FONT_PACKAGE: &str = "fonts-dejavu-core";

/// Directory entries examined while searching; a full Debian font tree has a few thousand,
/// and the cap bounds the walk over a misconfigured or looping (symlinked) folder.
const MAX_SEARCH_ENTRIES: usize = 100_000;

/// Folder depth of the search; Debian nests fonts three levels deep (`truetype/dejavu/…`).
const MAX_SEARCH_DEPTH: usize = 8;

/// Where the font comes from: an explicit file, else a search of `search_dirs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontChoice {
    /// A configured TrueType file. When it does not exist the search below is used.
    pub path: Option<PathBuf>,
    /// Folders searched (recursively) for [`PREFERRED_FONT_FILES`].
    pub search_dirs: Vec<PathBuf>,
}

impl Default for FontChoice {
    fn default() -> Self {
        FontChoice {
            path: None,
            search_dirs: SYSTEM_FONT_DIRS.iter().map(PathBuf::from).collect(),
        }
    }
}

impl FontChoice {
    /// The font file to use: the configured one if it exists, else the best one found.
    pub fn locate(&self) -> Result<PathBuf, AppearanceError> {
        if let Some(p) = &self.path {
            if p.is_file() {
                return Ok(p.clone());
            }
            tracing::warn!(path = %p.display(), "configured font file not found; searching the system fonts");
        }
        if let Some(found) = discover_font(&self.search_dirs) {
            return Ok(found);
        }
        let mut searched: Vec<String> = Vec::new();
        if let Some(p) = &self.path {
            searched.push(p.display().to_string());
        }
        searched.extend(self.search_dirs.iter().map(|d| d.display().to_string()));
        Err(AppearanceError::NoFont {
            searched: searched.join(", "),
        })
    }

    /// Reads and parses the font chosen by [`locate`](Self::locate).
    pub fn load(&self) -> Result<FontFace, AppearanceError> {
        let path = self.locate()?;
        let bytes = read_bounded(&path)?;
        Ok(FontFace::parse(bytes)?)
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, AppearanceError> {
    let unreadable = |source| AppearanceError::FontUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(unreadable)?.len();
    if len > crate::pdf::font::MAX_FONT_FILE_BYTES as u64 {
        return Err(crate::pdf::PdfError::LimitExceeded {
            what: "font file size in bytes",
            limit: crate::pdf::font::MAX_FONT_FILE_BYTES as u64,
        }
        .into());
    }
    std::fs::read(path).map_err(unreadable)
}

/// The best of [`PREFERRED_FONT_FILES`] found under `dirs` (breadth first, bounded), if any.
pub fn discover_font(dirs: &[PathBuf]) -> Option<PathBuf> {
    let mut best: Option<(usize, PathBuf)> = None;
    let mut queue: VecDeque<(PathBuf, usize)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    let mut seen = 0usize;
    while let Some((dir, depth)) = queue.pop_front() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_SEARCH_ENTRIES {
                return best.map(|(_, p)| p);
            }
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if depth + 1 < MAX_SEARCH_DEPTH {
                    queue.push_back((path, depth + 1));
                }
                continue;
            }
            let rank = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| PREFERRED_FONT_FILES.iter().position(|f| *f == n));
            if let Some(rank) = rank {
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((rank, path));
                }
            }
        }
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_order_wins_over_search_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a/liberation");
        let b = dir.path().join("b/deep/dejavu");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("LiberationSans-Regular.ttf"), b"x").unwrap();
        std::fs::write(b.join("DejaVuSans.ttf"), b"x").unwrap();
        std::fs::write(a.join("Other.ttf"), b"x").unwrap();
        let found = discover_font(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found, b.join("DejaVuSans.ttf"));
        std::fs::remove_file(b.join("DejaVuSans.ttf")).unwrap();
        let found = discover_font(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found, a.join("LiberationSans-Regular.ttf"));
    }

    #[test]
    fn nothing_found_names_the_package() {
        let dir = tempfile::tempdir().unwrap();
        let choice = FontChoice {
            path: Some(dir.path().join("missing.ttf")),
            search_dirs: vec![dir.path().to_path_buf()],
        };
        let err = choice.load().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(FONT_PACKAGE), "{msg}");
        assert!(msg.contains("missing.ttf"), "{msg}");
    }

    #[test]
    fn configured_path_is_preferred() {
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("own.ttf");
        std::fs::write(&own, b"x").unwrap();
        let choice = FontChoice {
            path: Some(own.clone()),
            search_dirs: vec![],
        };
        assert_eq!(choice.locate().unwrap(), own);
        // Not a font: a clear parse error, not a panic.
        assert!(matches!(
            choice.load(),
            Err(AppearanceError::Pdf(crate::pdf::PdfError::BadFont(_)))
        ));
    }
}
