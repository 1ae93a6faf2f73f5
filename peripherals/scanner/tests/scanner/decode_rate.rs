//! The decode rate on the zxing project's QR photos and screenshots (../shared/testdata/qr): at
//! least 94 of the 97 read exactly as their expected text.

use till_scanner::{Decoder, Rxing, read_image};

use crate::support::{TestResult, shared};

/// Every photo of the three sets with its expected text, in folder and number order.
pub fn photos() -> Result<Vec<(std::path::PathBuf, String)>, Box<dyn std::error::Error>> {
    let mut photos = Vec::new();
    for set in ["zxing-qrcode-1", "zxing-qrcode-2", "zxing-qrcode-3"] {
        let dir = shared(&format!("qr/{set}"));
        let mut numbered: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir(&dir)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
            .collect();
        numbered.sort();
        for (_, png) in numbered {
            let expected = std::fs::read_to_string(png.with_extension("txt"))?;
            photos.push((png, expected));
        }
    }
    Ok(photos)
}

#[test]
fn at_least_94_of_the_97_zxing_photos_read_exactly() -> TestResult {
    let photos = photos()?;
    assert_eq!(photos.len(), 97, "the three zxing QR sets hold 97 photos");
    let mut decoder = Rxing::still();
    let mut misses = Vec::new();
    for (path, expected) in &photos {
        let found = decoder.decode(&read_image(path)?)?;
        if found.as_deref() != Some(expected.as_str()) {
            misses.push(format!("{}: {found:?}", path.display()));
        }
    }
    let exact = photos.len() - misses.len();
    eprintln!("decode rate: {exact} of {} exact; missed: {misses:#?}", photos.len());
    assert!(
        exact >= 94,
        "{exact} of {} exact, at least 94 needed; missed {misses:#?}",
        photos.len()
    );
    Ok(())
}
