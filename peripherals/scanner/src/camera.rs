//! Webcam capture with nokhwa (V4L2 on Linux, Media Foundation on Windows). Only uncompressed
//! formats whose luma plane can be taken as it is (YUYV, NV12, GREY): no JPEG decoder is built
//! in, and none runs per frame. Most webcams offer YUYV at 640x480 at full frame rate and at
//! 1280x720 at 10 fps or more, which is plenty for a code held still.

use std::sync::mpsc;

use nokhwa::Camera;
use nokhwa::utils::{CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution};

use crate::error::ScanError;
use crate::frame::LumaFrame;
use crate::source::FrameSource;

/// The formats whose luma we take without decoding.
const LUMA_FORMATS: &[FrameFormat] = &[FrameFormat::YUYV, FrameFormat::NV12, FrameFormat::GRAY];

/// A camera the system lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraDevice {
    /// Its index, as [`CameraSettings::index`] takes it.
    pub index: u32,
    /// Its name, e.g. `HD Pro Webcam C920`.
    pub name: String,
}

/// Which camera and what frames to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CameraSettings {
    /// The camera's index (`/dev/video<index>` on Linux).
    pub index: u32,
    /// Wanted width; the nearest the camera offers is taken.
    pub width: u32,
    /// Wanted height.
    pub height: u32,
    /// Wanted frame rate; the nearest the camera offers at that size is taken.
    pub fps: u32,
}

impl Default for CameraSettings {
    /// The first camera, 1280x720 at 30 fps (a phone screen held 20–40 cm away fills enough of
    /// it for codes of up to version 10).
    fn default() -> CameraSettings {
        CameraSettings {
            index: 0,
            width: 1280,
            height: 720,
            fps: 30,
        }
    }
}

fn camera_error(e: impl std::fmt::Display) -> ScanError {
    ScanError::Camera(e.to_string())
}

/// The cameras the system has.
///
/// # Errors
/// [`ScanError::Camera`] when the system cannot be asked.
pub fn cameras() -> Result<Vec<CameraDevice>, ScanError> {
    let found = nokhwa::query(nokhwa::utils::ApiBackend::Auto).map_err(camera_error)?;
    Ok(found
        .into_iter()
        .filter_map(|info| {
            let index = info.index().as_index().ok()?;
            Some(CameraDevice {
                index,
                name: info.human_name(),
            })
        })
        .collect())
}

/// The offered format nearest to the settings: a luma format, the nearest size, then the nearest
/// frame rate.
pub fn choose_format(offered: &[CameraFormat], settings: &CameraSettings) -> Option<CameraFormat> {
    let distance = |f: &CameraFormat| {
        let dx = i64::from(f.resolution().width()) - i64::from(settings.width);
        let dy = i64::from(f.resolution().height()) - i64::from(settings.height);
        let fps = (i64::from(f.frame_rate()) - i64::from(settings.fps)).abs();
        (dx * dx + dy * dy, fps)
    };
    offered
        .iter()
        .filter(|f| LUMA_FORMATS.contains(&f.format()))
        .min_by_key(|f| distance(f))
        .copied()
}

/// Frames from a webcam, as luma.
///
/// nokhwa's camera may not move between threads, so it lives on a capture thread of its own
/// that takes one frame per request; this handle (which may move) asks and waits. Dropping it
/// stops the stream and frees the device.
#[derive(Debug)]
pub struct CameraFrames {
    requests: Option<mpsc::Sender<()>>,
    frames: mpsc::Receiver<Result<LumaFrame, ScanError>>,
    format: CameraFormat,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CameraFrames {
    /// Opens the camera, picks its format nearest to `settings`, and starts streaming.
    ///
    /// # Errors
    /// [`ScanError::Camera`]: no such camera, no permission, or no uncompressed format.
    pub fn open(settings: CameraSettings) -> Result<CameraFrames, ScanError> {
        let (opened, opening) = mpsc::channel();
        let (requests, requested) = mpsc::channel::<()>();
        let (frame_out, frames) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("till-camera".to_owned())
            .spawn(move || {
                let mut camera = match open_camera(&settings) {
                    Ok((camera, format)) => {
                        let _ = opened.send(Ok(format));
                        camera
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                        return;
                    }
                };
                while requested.recv().is_ok() {
                    if frame_out.send(grab(&mut camera)).is_err() {
                        break;
                    }
                }
                // Frees the device for the next user; nothing to do if it is already gone.
                let _ = camera.stop_stream();
            })
            .map_err(camera_error)?;
        let format = opening
            .recv()
            .map_err(|_| ScanError::Camera("the capture thread stopped while opening".to_owned()))??;
        Ok(CameraFrames {
            requests: Some(requests),
            frames,
            format,
            thread: Some(thread),
        })
    }

    /// The format the camera streams.
    pub fn format(&self) -> CameraFormat {
        self.format
    }
}

fn open_camera(settings: &CameraSettings) -> Result<(Camera, CameraFormat), ScanError> {
    let index = CameraIndex::Index(settings.index);
    let any = RequestedFormat::with_formats(RequestedFormatType::None, LUMA_FORMATS);
    let mut camera = Camera::new(index, any).map_err(camera_error)?;
    let offered = camera.compatible_camera_formats().map_err(camera_error)?;
    let format = choose_format(&offered, settings).ok_or_else(|| {
        ScanError::Camera(format!(
            "camera {} offers no YUYV, NV12 or GREY format (only {})",
            settings.index,
            offered.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ))
    })?;
    camera
        .set_camera_requset(RequestedFormat::with_formats(
            RequestedFormatType::Exact(format),
            LUMA_FORMATS,
        ))
        .map_err(camera_error)?;
    camera.open_stream().map_err(camera_error)?;
    Ok((camera, format))
}

/// The next frame's luma plane.
fn grab(camera: &mut Camera) -> Result<LumaFrame, ScanError> {
    let buffer = camera.frame().map_err(camera_error)?;
    let Resolution { width_x, height_y } = buffer.resolution();
    match buffer.source_frame_format() {
        FrameFormat::YUYV => LumaFrame::from_yuyv(width_x, height_y, buffer.buffer()),
        FrameFormat::NV12 | FrameFormat::GRAY => LumaFrame::from_planar(width_x, height_y, buffer.buffer()),
        other => Err(ScanError::Camera(format!("unexpected frame format {other}"))),
    }
}

impl FrameSource for CameraFrames {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, ScanError> {
        let stopped = || ScanError::Camera("the capture thread stopped".to_owned());
        self.requests
            .as_ref()
            .ok_or_else(stopped)?
            .send(())
            .map_err(|_| stopped())?;
        self.frames.recv().map_err(|_| stopped())?.map(Some)
    }
}

impl Drop for CameraFrames {
    fn drop(&mut self) {
        // No more requests: the capture thread stops the stream and ends.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_luma_format_wins() -> Result<(), String> {
        let f = |w, h, format, fps| CameraFormat::new_from(w, h, format, fps);
        let offered = [
            f(1280, 720, FrameFormat::MJPEG, 30),
            f(1280, 720, FrameFormat::YUYV, 10),
            f(640, 480, FrameFormat::YUYV, 30),
            f(1920, 1080, FrameFormat::YUYV, 5),
        ];
        let settings = CameraSettings::default();
        assert_eq!(
            choose_format(&offered, &settings),
            Some(offered[1]),
            "720p YUYV, not MJPEG"
        );
        let vga = CameraSettings {
            width: 640,
            height: 480,
            ..settings
        };
        assert_eq!(choose_format(&offered, &vga), Some(offered[2]));
        assert_eq!(choose_format(&offered[..1], &settings), None, "MJPEG only");
        Ok(())
    }
}
