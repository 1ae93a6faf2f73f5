//! Glyphs from a font found on the system, drawn into printer cells: 12 × 24 dots for a
//! one-column character (font A), 24 × 24 for a CJK one, as a printer's own fonts are.
//!
//! Debian's `fonts-noto-cjk` ships NotoSansCJK-Regular.ttc, a collection whose faces include
//! "Noto Sans Mono CJK SC" and "… TC": the Mono faces have half-width Latin glyphs, exactly one
//! cell wide, and the SC/TC faces draw the same code point the way each script's readers expect.
//! The face is picked by name. Without any font, glyphs are drawn as boxes so the layout still
//! shows (and `till print test` says why).

use ab_glyph::{Font, FontRef, GlyphId, point};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::bitmap::Bitmap;

/// Font files to look for, in order; `OPENTILL_CJK_FONT` names another.
const CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

/// Windows' own CJK fonts, in `%WINDIR%\Fonts`, when Noto CJK is absent: Microsoft JhengHei
/// (Traditional), YaHei (Simplified), MingLiU, SimSun.
const WINDOWS_FONTS: &[&str] = &["msjh.ttc", "msyh.ttc", "mingliu.ttc", "simsun.ttc"];

/// No CJK font: at least Latin text, Chinese as boxes (and `till print test` says so).
const LATIN_ONLY: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
];

/// Every font file to try, best first.
fn candidates() -> Vec<PathBuf> {
    let windows_fonts = std::env::var_os("WINDIR")
        .map(|w| PathBuf::from(w).join("Fonts"))
        .unwrap_or_else(|| PathBuf::from(r"C:\Windows\Fonts"));
    let mut all: Vec<PathBuf> = std::env::var_os("OPENTILL_CJK_FONT")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    all.extend(CANDIDATES.iter().map(PathBuf::from));
    all.extend(WINDOWS_FONTS.iter().map(|f| windows_fonts.join(f)));
    all.extend(LATIN_ONLY.iter().map(PathBuf::from));
    all.push(windows_fonts.join("consola.ttf"));
    all
}

/// Faces to prefer inside a collection, best first.
const TRADITIONAL_FACES: &[&str] = &[
    "Noto Sans Mono CJK TC",
    "Noto Sans Mono CJK HK",
    "Noto Sans CJK TC",
    "Noto Serif CJK TC",
    "Microsoft JhengHei",
    "PMingLiU",
];
const SIMPLIFIED_FACES: &[&str] = &[
    "Noto Sans Mono CJK SC",
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Microsoft YaHei",
    "SimSun",
];

/// Where the baseline sits in a cell, as a fraction of its height: the ideographic em box
/// runs from -0.12 to 0.88 em (Epson's font A baseline is 21 of 24 dots).
const BASELINE: f32 = 0.88;
/// One-column (Latin) glyphs are drawn a little smaller and higher, so that descenders (g, p,
/// y) stay inside the cell and neighbouring letters do not touch.
const NARROW_EM: f32 = 0.92;
const NARROW_BASELINE: f32 = 0.79;
/// Coverage above which a dot is black. Thermal printers have no grey: a little under a half
/// keeps 1-dot strokes of thin glyphs.
const THRESHOLD: f32 = 0.42;

struct FontFile {
    path: PathBuf,
    data: Vec<u8>,
}

fn font_file() -> Option<&'static FontFile> {
    static FILE: OnceLock<Option<FontFile>> = OnceLock::new();
    FILE.get_or_init(|| {
        candidates().into_iter().find_map(|path| {
            let data = std::fs::read(&path).ok()?;
            ttf_parser::fonts_in_collection(&data)
                .map(|_| ())
                .or_else(|| ttf_parser::Face::parse(&data, 0).ok().map(|_| ()))?;
            Some(FontFile { path, data })
        })
    })
    .as_ref()
}

fn face_name(data: &[u8], index: u32) -> Option<String> {
    let face = ttf_parser::Face::parse(data, index).ok()?;
    face.names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::FULL_NAME || n.name_id == ttf_parser::name_id::FAMILY)
        .find_map(|n| n.to_string())
}

/// A font face and the glyphs drawn from it so far.
pub struct Glyphs {
    font: Option<FontRef<'static>>,
    path: Option<&'static Path>,
    face: String,
    has_cjk: bool,
    cache: Mutex<HashMap<(char, u16, u16), Arc<Bitmap>>>,
}

impl std::fmt::Debug for Glyphs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Glyphs")
            .field("path", &self.path)
            .field("face", &self.face)
            .field("has_cjk", &self.has_cjk)
            .finish()
    }
}

impl Glyphs {
    /// The system font for Traditional or Simplified Chinese (see the module doc), cached for
    /// the life of the process.
    pub fn system(traditional: bool) -> Arc<Glyphs> {
        static TC: OnceLock<Arc<Glyphs>> = OnceLock::new();
        static SC: OnceLock<Arc<Glyphs>> = OnceLock::new();
        let cell = if traditional { &TC } else { &SC };
        cell.get_or_init(|| Arc::new(Glyphs::load(traditional))).clone()
    }

    fn load(traditional: bool) -> Glyphs {
        let Some(file) = font_file() else {
            return Glyphs::boxes();
        };
        let data: &'static [u8] = &file.data;
        let count = ttf_parser::fonts_in_collection(data).unwrap_or(1);
        let names: Vec<(u32, String)> = (0..count).filter_map(|i| face_name(data, i).map(|n| (i, n))).collect();
        let wanted = if traditional {
            TRADITIONAL_FACES
        } else {
            SIMPLIFIED_FACES
        };
        let (index, face) = wanted
            .iter()
            .find_map(|w| names.iter().find(|(_, n)| n == w))
            .cloned()
            .or_else(|| names.first().cloned())
            .unwrap_or((0, String::new()));
        match FontRef::try_from_slice_and_index(data, index) {
            Ok(font) => {
                let has_cjk = font.glyph_id('總').0 != 0 || font.glyph_id('总').0 != 0;
                Glyphs {
                    font: Some(font),
                    path: Some(file.path.as_path()),
                    face,
                    has_cjk,
                    cache: Mutex::new(HashMap::new()),
                }
            }
            Err(_) => Glyphs::boxes(),
        }
    }

    /// No font at all: every glyph is a box.
    pub fn boxes() -> Glyphs {
        Glyphs {
            font: None,
            path: None,
            face: String::new(),
            has_cjk: false,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The font file in use, if one was found.
    pub fn path(&self) -> Option<&Path> {
        self.path
    }

    /// The face's name ("Noto Sans Mono CJK TC").
    pub fn face(&self) -> &str {
        &self.face
    }

    /// Whether Chinese can be drawn (a raster fallback needs it).
    pub fn has_cjk(&self) -> bool {
        self.has_cjk
    }

    /// Whether the font has a glyph for `ch`.
    pub fn covers(&self, ch: char) -> bool {
        ch == ' ' || self.font.as_ref().is_some_and(|f| f.glyph_id(ch).0 != 0)
    }

    /// `ch` drawn into a `w` × `h` cell, baseline at 0.88 h, centred horizontally.
    pub fn glyph(&self, ch: char, w: usize, h: usize) -> Arc<Bitmap> {
        let key = (
            ch,
            u16::try_from(w).unwrap_or(u16::MAX),
            u16::try_from(h).unwrap_or(u16::MAX),
        );
        if let Some(g) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return g;
        }
        let g = Arc::new(self.draw(ch, w, h));
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, g.clone());
        }
        g
    }

    fn draw(&self, ch: char, w: usize, h: usize) -> Bitmap {
        let mut cell = Bitmap::new(w, h);
        if ch == ' ' || ch == '\u{3000}' || ch == '\u{a0}' || draw_line_art(ch, &mut cell) {
            return cell;
        }
        let Some(font) = &self.font else {
            draw_box(&mut cell);
            return cell;
        };
        let id = font.glyph_id(ch);
        if id.0 == 0 {
            draw_box(&mut cell);
            return cell;
        }
        let units = font.units_per_em().unwrap_or(1000.0);
        let narrow = w * 3 < h * 2;
        let (em, baseline) = if narrow {
            (h as f32 * NARROW_EM, h as f32 * NARROW_BASELINE)
        } else {
            (h as f32, h as f32 * BASELINE)
        };
        let mut px = em * font.height_unscaled() / units;
        let mut advance = font.h_advance_unscaled(id) * em / units;
        if advance > w as f32 * 1.05 {
            // A proportional face: shrink wide glyphs into the cell.
            px *= w as f32 / advance;
            advance = w as f32;
        }
        let x0 = ((w as f32 - advance) / 2.0).max(0.0);
        draw_outline(font, id, px, x0, baseline, &mut cell);
        cell
    }
}

fn draw_outline(font: &FontRef<'static>, id: GlyphId, px: f32, x: f32, baseline: f32, cell: &mut Bitmap) {
    let glyph = id.with_scale_and_position(px, point(x, baseline));
    if let Some(outline) = font.outline_glyph(glyph) {
        let b = outline.px_bounds();
        outline.draw(|gx, gy, c| {
            if c >= THRESHOLD {
                let (x, y) = (b.min.x as i64 + i64::from(gx), b.min.y as i64 + i64::from(gy));
                if let (Ok(x), Ok(y)) = (usize::try_from(x), usize::try_from(y)) {
                    cell.set(x, y, true);
                }
            }
        });
    }
}

/// Box-drawing and block characters drawn to the cell's edges, so that rules and frames join
/// up from cell to cell as on a printer (a font's glyphs stop short). `false` for others.
fn draw_line_art(ch: char, cell: &mut Bitmap) -> bool {
    let (w, h) = (cell.width(), cell.height());
    let (cx, cy) = (w / 2, h / 2);
    let arms = match ch {
        '─' => Some((true, true, false, false)),
        '│' => Some((false, false, true, true)),
        '┌' | '╭' => Some((false, true, false, true)),
        '┐' | '╮' => Some((true, false, false, true)),
        '└' | '╰' => Some((false, true, true, false)),
        '┘' | '╯' => Some((true, false, true, false)),
        '├' => Some((false, true, true, true)),
        '┤' => Some((true, false, true, true)),
        '┬' => Some((true, true, false, true)),
        '┴' => Some((true, true, true, false)),
        '┼' => Some((true, true, true, true)),
        _ => None,
    };
    if let Some((left, right, up, down)) = arms {
        let (x0, y0) = (cx.saturating_sub(1), cy.saturating_sub(1));
        if left {
            cell.fill(0, y0, cx + 1, 2);
        }
        if right {
            cell.fill(x0, y0, w - x0, 2);
        }
        if up {
            cell.fill(x0, 0, 2, cy + 1);
        }
        if down {
            cell.fill(x0, y0, 2, h - y0);
        }
        return true;
    }
    let eighths = |n: u32| usize::try_from(n).unwrap_or(0);
    match ch {
        '█' => cell.fill(0, 0, w, h),
        '▁'..='▇' => {
            let n = eighths(ch as u32 - '▁' as u32 + 1);
            let rows = h * n / 8;
            cell.fill(0, h - rows, w, rows);
        }
        '▉'..='▏' => {
            let n = eighths('▏' as u32 - ch as u32 + 1);
            cell.fill(0, 0, w * n / 8, h);
        }
        '▔' => cell.fill(0, 0, w, (h / 8).max(1)),
        '▕' => cell.fill(w - (w / 8).max(1), 0, (w / 8).max(1), h),
        _ => return false,
    }
    true
}

/// A missing glyph: a box inside the cell.
fn draw_box(cell: &mut Bitmap) {
    let (w, h) = (cell.width(), cell.height());
    if w < 5 || h < 5 {
        return;
    }
    let (x0, y0, x1, y1) = (1, h / 8, w - 2, h - h / 8 - 1);
    for x in x0..=x1 {
        cell.set(x, y0, true);
        cell.set(x, y1, true);
    }
    for y in y0..=y1 {
        cell.set(x0, y, true);
        cell.set(x1, y, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fonts_draw_boxes_of_the_cell_size() {
        let g = Glyphs::boxes();
        let a = g.glyph('A', 12, 24);
        assert_eq!((a.width(), a.height()), (12, 24));
        assert!(a.black_dots() > 20, "a box, not nothing");
        assert_eq!(g.glyph(' ', 12, 24).black_dots(), 0);
        assert!(!g.has_cjk());
    }

    #[test]
    fn rules_and_frames_reach_the_cell_edges() {
        let g = Glyphs::boxes();
        let h = g.glyph('─', 12, 24);
        assert!(
            h.get(0, 11) && h.get(11, 11) && !h.get(5, 0),
            "a horizontal rule spans the cell"
        );
        let corner = g.glyph('╭', 12, 24);
        assert!(corner.get(11, 11) && corner.get(5, 23) && !corner.get(0, 11));
        assert_eq!(g.glyph('█', 12, 24).black_dots(), 12 * 24);
        assert_eq!(g.glyph('▄', 12, 24).black_dots(), 12 * 12);
        assert_eq!(g.glyph('▌', 12, 24).black_dots(), 6 * 24);
    }

    #[test]
    fn system_glyphs_stay_inside_their_cells() {
        // With or without a font installed, every glyph fits its cell and is cached.
        let g = Glyphs::system(true);
        for ch in ['W', 'g', '總', '！'] {
            let w = if ch.is_ascii() { 12 } else { 24 };
            let bm = g.glyph(ch, w, 24);
            assert_eq!((bm.width(), bm.height()), (w, 24));
            assert!(bm.black_dots() > 0, "{ch} drew something");
        }
        assert!(Arc::ptr_eq(&g.glyph('W', 12, 24), &g.glyph('W', 12, 24)));
    }
}
