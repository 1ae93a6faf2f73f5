//! Hostile images: a header claiming a huge image, files cut short, frames all black, all white
//! or pure noise, frames of odd shapes. Each is a clear error naming the file, or "no code":
//! never a panic, never a hang, never an allocation the size the header claims. (How long the
//! live pipeline spends on such frames is measured by the bench, not timed here.)

use till_scanner::{Decoder, LumaFrame, MAX_IMAGE_PIXELS, Rxing, code_frame, encode_png, read_image};

use crate::support::{TestResult, scratch};

/// CRC-32 (ISO-HDLC, as PNG chunks carry it).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk: length, type, data, CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A well-formed PNG header for a `width` x `height` greyscale image, with a few bytes of
/// pixel data.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// A code as a JPEG file's bytes.
fn code_jpeg(text: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let frame = code_frame(text, 6)?;
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90);
    image::ImageEncoder::write_image(
        encoder,
        frame.data(),
        frame.width(),
        frame.height(),
        image::ExtendedColorType::L8,
    )?;
    Ok(bytes)
}

/// `read_image` on these bytes: the error's text, which must name the file.
fn refused(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    match read_image(&path) {
        Ok(frame) => Err(format!("{name} was read as {frame:?}").into()),
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains(name), "the error names the file: {message}");
            Ok(message)
        }
    }
}

#[test]
fn images_claiming_huge_dimensions_are_refused_before_decoding() -> TestResult {
    let dir = scratch("hostile-huge")?;
    let message = refused(&dir, "huge.png", &png_claiming(100_000, 100_000))?;
    assert!(message.contains("100000x100000"), "says how large: {message}");

    // A real JPEG whose frame header (SOF0: FF C0, length, precision, height, width) is
    // patched to claim 60000x60000.
    let mut jpeg = code_jpeg("281234567890123456")?;
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).ok_or("no SOF0")?;
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let message = refused(&dir, "huge.jpg", &jpeg)?;
    assert!(message.contains("60000x60000"), "says how large: {message}");
    assert!(u64::from(60_000u32) * 60_000 > MAX_IMAGE_PIXELS, "beyond the bound");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn truncated_files_are_errors_or_frames_that_decode_without_panic() -> TestResult {
    let dir = scratch("hostile-cut")?;
    let png = encode_png(&code_frame("134567890123456789", 6)?)?;
    refused(&dir, "cut.png", &png[..png.len() / 2])?;
    refused(&dir, "header-only.png", &png[..20])?;
    let jpeg = code_jpeg("134567890123456789")?;
    refused(&dir, "header-only.jpg", &jpeg[..30])?;
    // A JPEG cut in its scan data may decode to a partial picture: either way no panic.
    let path = dir.join("cut.jpg");
    std::fs::write(&path, &jpeg[..jpeg.len() * 3 / 5])?;
    if let Ok(frame) = read_image(&path) {
        Rxing::still().decode(&frame)?;
        Rxing::live().decode(&frame)?;
    }
    refused(&dir, "empty.png", b"")?;
    refused(&dir, "text.jpg", b"this is not an image")?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn black_white_and_noise_frames_have_no_code() -> TestResult {
    let (w, h) = (1280u32, 720u32);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..w * h)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        })
        .collect();
    for (what, data) in [
        ("black", vec![0; (w * h) as usize]),
        ("white", vec![255; (w * h) as usize]),
        ("noise", noise),
    ] {
        let frame = LumaFrame::new(w, h, data)?;
        assert_eq!(Rxing::live().decode(&frame)?, None, "{what}, live");
        assert_eq!(Rxing::still().decode(&frame)?, None, "{what}, still");
    }
    Ok(())
}

#[test]
fn frames_of_odd_shapes_have_no_code() -> TestResult {
    for (w, h) in [(1, 1), (2, 2), (3, 1), (5000, 1), (1, 3000), (7, 4000)] {
        let frame = LumaFrame::new(w, h, vec![128; (w * h) as usize])?;
        assert_eq!(Rxing::live().decode(&frame)?, None, "{w}x{h}, live");
        assert_eq!(Rxing::still().decode(&frame)?, None, "{w}x{h}, still");
    }
    Ok(())
}

#[test]
fn a_frame_above_the_pixel_bound_is_shrunk_and_still_read() -> TestResult {
    // 4400x3100 = 13.6 MP, above MAX_PIXELS: decoded at half size, where the code's 12-pixel
    // modules are 6.
    let code = code_frame("281234567890123456", 12)?;
    let mut frame = LumaFrame::new(4400, 3100, vec![200; 4400 * 3100])?;
    frame.paste(&code, 1000, 1000);
    assert!(frame.data().len() > till_scanner::MAX_PIXELS);
    assert_eq!(Rxing::still().decode(&frame)?.as_deref(), Some("281234567890123456"));
    Ok(())
}
