//! Pictures for the screen: receipts drawn by the virtual printer's engine (the ESC/POS bytes
//! this printer would get, interpreted — not a second layout), the merchant-presented QR as
//! the customer sees it, and camera frames made small for the live preview.

use base64::Engine as _;
use till_domain::receipt::ReceiptDoc;
use till_printer::{Profile, VirtualPrinter};
use till_scanner::LumaFrame;

use crate::dto::Paper;

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Each document as the printer with `profile` prints it: one picture per page.
pub async fn receipts(docs: &[ReceiptDoc], profile: &Profile) -> Vec<Paper> {
    use till_domain::ports::ReceiptPrinter as _;
    // Chinese firmware picked per receipt (Big5 or GB18030), as the demo till's printer does.
    let printer = VirtualPrinter::new(profile.clone(), None);
    for doc in docs {
        // A virtual printer without a save folder has no way to fail.
        let _ = printer.print(doc).await;
    }
    printer
        .pages()
        .into_iter()
        .filter_map(|page| {
            let paper = page.on_paper();
            let png = paper.to_png().ok()?;
            Some(Paper {
                png: data_url("image/png", &png),
                text: page.text.clone(),
                width: paper.width(),
                height: paper.height(),
            })
        })
        .collect()
}

/// A QR code as an SVG data URL (a quiet zone included), for the merchant-presented view.
pub fn qr_svg(payload: &str) -> String {
    match qrcode::QrCode::new(payload.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(256, 256)
                .quiet_zone(true)
                .build();
            data_url("image/svg+xml", svg.as_bytes())
        }
        Err(_) => String::new(),
    }
}

/// A frame scaled down (nearest pixel) to at most `max_width` wide, as a PNG data URL.
pub fn frame_data_url(frame: &LumaFrame, max_width: u32) -> Option<String> {
    let step = frame.width().div_ceil(max_width).max(1);
    let (w, h) = (frame.width() / step, frame.height() / step);
    if w == 0 || h == 0 {
        return None;
    }
    let src = frame.data();
    let stride = frame.width() as usize;
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h as usize {
        let row = y * step as usize * stride;
        out.extend((0..w as usize).map(|x| src[row + x * step as usize]));
    }
    let small = LumaFrame::new(w, h, out).ok()?;
    let png = till_scanner::encode_png(&small).ok()?;
    Some(data_url("image/png", &png))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_frame_is_previewed_small_and_keeps_its_shape() -> Result<(), Box<dyn std::error::Error>> {
        let frame = LumaFrame::new(1280, 720, vec![200; 1280 * 720])?;
        let url = frame_data_url(&frame, 320).ok_or("no preview")?;
        let b64 = url.strip_prefix("data:image/png;base64,").ok_or("not a PNG data URL")?;
        let png = base64::engine::general_purpose::STANDARD.decode(b64)?;
        let small = till_scanner::decode_png(&png)?;
        assert_eq!((small.width(), small.height()), (320, 180));
        Ok(())
    }

    #[test]
    fn the_merchant_code_is_an_svg_that_reads_back() -> Result<(), Box<dyn std::error::Error>> {
        let url = qr_svg("00020101021226330012hk.com.hkicl0313+852-67891234");
        let b64 = url
            .strip_prefix("data:image/svg+xml;base64,")
            .ok_or("not an SVG data URL")?;
        let svg = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64)?)?;
        assert!(svg.starts_with("<?xml") && svg.contains("<path"), "{svg:.80}");
        Ok(())
    }
}
