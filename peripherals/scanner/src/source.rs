//! Where frames come from: a camera (feature `camera`), or image files standing in for one in
//! tests and the demo.

use std::path::{Path, PathBuf};

use crate::error::ScanError;
use crate::frame::{LumaFrame, read_image};

/// A stream of frames. Blocking: a camera waits for its next frame; callers run it off the async
/// runtime (see [`crate::FrameCodes`]).
pub trait FrameSource: Send {
    /// The next frame, or `None` when the source has no more (files: all read; a camera never
    /// ends).
    ///
    /// # Errors
    /// The frame could not be had: an unreadable file, a camera that went away.
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, ScanError>;
}

/// Image files as camera frames, in order. Each image can be shown for several frames, as a
/// camera sees a phone held up for a moment.
#[derive(Debug, Clone)]
pub struct ImageFiles {
    paths: Vec<PathBuf>,
    next: usize,
    frames_per_image: usize,
    current: Option<(LumaFrame, usize)>,
}

impl ImageFiles {
    /// These files, in this order, one frame each.
    pub fn new(paths: impl IntoIterator<Item = PathBuf>) -> ImageFiles {
        ImageFiles {
            paths: paths.into_iter().collect(),
            next: 0,
            frames_per_image: 1,
            current: None,
        }
    }

    /// Files and folders: a folder stands for its image files (PNG, JPEG, BMP, WebP, PGM), sorted
    /// by name.
    ///
    /// # Errors
    /// [`ScanError::Image`] when a folder cannot be listed.
    pub fn open(paths: &[PathBuf]) -> Result<ImageFiles, ScanError> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                files.extend(images_in(path)?);
            } else {
                files.push(path.clone());
            }
        }
        Ok(ImageFiles::new(files))
    }

    /// Shows each image for `frames` consecutive frames (at least one).
    pub fn frames_per_image(mut self, frames: usize) -> ImageFiles {
        self.frames_per_image = frames.max(1);
        self
    }

    /// The files, in order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }
}

/// The file names [`ImageFiles::open`] takes from a folder: what [`read_image`] reads.
const IMAGE_EXTENSIONS: [&str; 6] = ["png", "pgm", "jpg", "jpeg", "bmp", "webp"];

/// The image files of a folder, sorted by name.
fn images_in(dir: &Path) -> Result<Vec<PathBuf>, ScanError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ScanError::Image {
        path: dir.to_owned(),
        reason: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
        })
        .collect();
    files.sort();
    Ok(files)
}

impl FrameSource for ImageFiles {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, ScanError> {
        if let Some((frame, shown)) = &mut self.current
            && *shown < self.frames_per_image
        {
            *shown += 1;
            return Ok(Some(frame.clone()));
        }
        let Some(path) = self.paths.get(self.next) else {
            self.current = None;
            return Ok(None);
        };
        self.next += 1;
        let frame = read_image(path)?;
        self.current = Some((frame.clone(), 1));
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_png;

    #[test]
    fn each_image_is_shown_for_its_frames_then_the_source_ends() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("till-scanner-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        for (name, value) in [("b.png", 2u8), ("a.png", 1), ("notes.txt", 0)] {
            let frame = LumaFrame::new(1, 1, vec![value])?;
            std::fs::write(dir.join(name), encode_png(&frame)?)?;
        }
        let mut source = ImageFiles::open(std::slice::from_ref(&dir))?.frames_per_image(2);
        let mut seen = Vec::new();
        while let Some(frame) = source.next_frame()? {
            seen.push(frame.data()[0]);
        }
        assert_eq!(seen, [1, 1, 2, 2], "sorted by name, twice each, the .txt skipped");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
