//! Mixed Chinese/Latin lines keep their columns, checked in the dots the virtual printer draws:
//! whatever mix of Chinese and Latin the label has, the amount starts in the same column and
//! ends in the last one — in text mode (Big5, GB18030) and with the raster fallback.

use crate::support::*;
use till_domain::receipt::{Line, ReceiptDoc, Text};
use till_printer::{
    CELL_H, CELL_W, ChineseMode, DoubleByte, Glyphs, LINE_PITCH, Paper, Profile, Settings, interpret, render,
};

pub fn require_cjk_font() -> TestResult {
    let g = Glyphs::system(true);
    if !g.has_cjk() {
        return Err(format!(
            "no CJK font found (looked for /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; got {:?}): \
             install fonts-noto-cjk (cargo xtask test does) or point OPENTILL_CJK_FONT at a CJK font",
            g.path()
        )
        .into());
    }
    Ok(())
}

fn labels(mode: ChineseMode) -> Vec<&'static str> {
    let traditional = [
        "TOTAL 總額",
        "總額 TOTAL",
        "AMOUNT 金額",
        "日期/時間 DATE",
        "MID 商戶編號",
        "小費 TIP 小費",
        "Café 咖啡",
        "AID",
    ];
    let simplified = [
        "TOTAL 总额",
        "总额 TOTAL",
        "AMOUNT 金额",
        "日期/时间 DATE",
        "TID 终端编号",
        "小费 TIP 小费",
        "Café 咖啡",
        "AID",
    ];
    match mode {
        ChineseMode::Big5 => traditional.to_vec(),
        ChineseMode::Gb18030 => simplified.to_vec(),
        ChineseMode::Raster => traditional.iter().chain(simplified.iter()).copied().collect(),
    }
}

/// Black dots' x range in the band of text line `i` (every line is one pitch apart).
fn ink_in_line(page: &till_printer::Bitmap, i: usize, from_x: usize) -> Option<(usize, usize)> {
    let mut range: Option<(usize, usize)> = None;
    for y in i * LINE_PITCH..i * LINE_PITCH + CELL_H {
        for x in from_x..page.width() {
            if page.get(x, y) {
                range = Some(range.map_or((x, x), |(a, b)| (a.min(x), b.max(x))));
            }
        }
    }
    range
}

#[test]
fn amounts_start_and_end_in_the_same_columns_whatever_the_label() -> TestResult {
    require_cjk_font()?;
    for mode in [ChineseMode::Big5, ChineseMode::Gb18030, ChineseMode::Raster] {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let labels = labels(mode);
            let doc = ReceiptDoc {
                lines: labels
                    .iter()
                    .map(|l| Line::Pair {
                        label: Text::raw(*l),
                        value: "HKD 43.50".into(),
                    })
                    .collect(),
            };
            let profile = Profile::new(paper, mode);
            let bytes = render(&doc, &profile);
            let traditional = mode == ChineseMode::Big5;
            let settings = Settings {
                dots: paper.dots(),
                double_byte: if traditional {
                    DoubleByte::Big5
                } else {
                    DoubleByte::Gb18030
                },
                half_dot_feed: false,
                glyphs: Glyphs::system(traditional),
            };
            let (pages, notes) = interpret(&bytes, settings);
            assert!(notes.is_empty(), "{notes:?}");
            let page = &pages.first().ok_or("a page")?.image;
            // "HKD 43.50" is 9 columns: it starts in column cols-9 and ends in the last one.
            let value_col = paper.columns() - 9;
            for (i, label) in labels.iter().enumerate() {
                let (first, last) = ink_in_line(page, i, (value_col - 1) * CELL_W)
                    .ok_or_else(|| format!("{mode:?}/{paper:?}: line {i} ({label}) has no amount"))?;
                assert!(
                    (value_col * CELL_W..(value_col + 1) * CELL_W).contains(&first),
                    "{mode:?}/{paper:?} {label:?}: amount starts at dot {first}, not in column {value_col}"
                );
                assert!(
                    last >= paper.dots() - CELL_W,
                    "{mode:?}/{paper:?} {label:?}: amount ends at dot {last}, not in the last column"
                );
                let (label_start, _) = ink_in_line(page, i, 0).ok_or("a label")?;
                assert!(
                    label_start < CELL_W,
                    "{mode:?}/{paper:?} {label:?}: label starts at dot {label_start}"
                );
            }
        }
    }
    Ok(())
}
