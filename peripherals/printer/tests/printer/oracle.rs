//! Our Chinese bytes against an independent generator: for every text with Chinese that the
//! receipts print, the bytes we send in Chinese mode equal what npm `receiptline` (pinned in
//! tests/oracle/package.json, installed by `cargo xtask test`) emits for the same string, in
//! GB18030 and in Big5. Mode switches differ by design (we leave Chinese mode for code-page
//! characters and at the end of a run, receiptline stays in it), so they are taken out of ours
//! before comparing.

use crate::support::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use till_domain::receipt::{Line, ReceiptDoc};
use till_i18n::Lang;
use till_printer::{CodePage, DoubleByte, Glyphs, Settings, encode_text, interpret, is_wide};

fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle")
}

/// Runs receiptline on `(encoding, text)` pairs; the hex of its Chinese-mode bytes for each.
fn receiptline(items: &[(&str, String)]) -> Result<Vec<String>, Error> {
    let input: Vec<serde_json::Value> = items
        .iter()
        .map(|(encoding, text)| serde_json::json!({"encoding": encoding, "text": text}))
        .collect();
    run_oracle(&input)
}

fn run_oracle(input: &[serde_json::Value]) -> Result<Vec<String>, Error> {
    let dir = oracle_dir();
    if !dir.join("node_modules/receiptline/package.json").exists() {
        return Err(format!(
            "the receiptline oracle is not installed: run `npm ci --prefix {}` (cargo xtask test does)",
            dir.display()
        )
        .into());
    }
    let mut child = Command::new("node")
        .arg("oracle.js")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run node (needed for the receiptline oracle): {e}"))?;
    child
        .stdin
        .take()
        .ok_or("stdin")?
        .write_all(serde_json::to_string(&input)?.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(format!("oracle.js failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn texts_with_chinese(docs: &[ReceiptDoc]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for doc in docs {
        for line in &doc.lines {
            let t = match line {
                Line::Center { text, .. } | Line::Left { text } => text.as_str(),
                Line::Pair { label, .. } | Line::Total { label, .. } => label.as_str(),
                _ => continue,
            };
            if t.chars().any(is_wide) && !out.iter().any(|o| o == t) {
                out.push(t.to_owned());
            }
        }
    }
    out
}

fn ours(text: &str, encoding: DoubleByte) -> Result<String, Error> {
    let cp = CodePage::from_number(CodePage::WPC1252).ok_or("WPC1252")?;
    let bytes = encode_text(text, Some(encoding), cp).ok_or_else(|| format!("{text:?} not encodable"))?;
    let mut plain = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1c && matches!(bytes.get(i + 1), Some(b'&') | Some(b'.')) {
            i += 2;
            continue;
        }
        plain.push(bytes[i]);
        i += 1;
    }
    Ok(plain.iter().map(|b| format!("{b:02x}")).collect())
}

#[tokio::test]
async fn chinese_bytes_equal_receiptlines_for_every_receipt_text() -> TestResult {
    let mut items: Vec<(&str, String)> = Vec::new();
    for (lang, encoding) in [(Lang::ZhHant, "big5"), (Lang::En, "big5"), (Lang::ZhHans, "gb18030")] {
        let texts = texts_with_chinese(&all_receipts(lang).await?);
        assert!(
            texts.len() > 20,
            "{lang}: the receipts carry many Chinese texts ({})",
            texts.len()
        );
        items.extend(texts.into_iter().map(|t| (encoding, t)));
    }
    // Traditional on a GB18030 printer too (GBK has the Traditional characters).
    let traditional: Vec<String> = items
        .iter()
        .filter(|(e, _)| *e == "big5")
        .map(|(_, t)| t.clone())
        .collect();
    items.extend(traditional.into_iter().map(|t| ("gb18030", t)));
    let theirs = receiptline(&items)?;
    assert_eq!(theirs.len(), items.len());
    let mut differ = Vec::new();
    for ((encoding, text), theirs) in items.iter().zip(&theirs) {
        let db = if *encoding == "big5" {
            DoubleByte::Big5
        } else {
            DoubleByte::Gb18030
        };
        let ours = ours(text, db)?;
        if ours != *theirs {
            differ.push(format!("{encoding} {text:?}: ours {ours}, receiptline {theirs}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        items.len(),
        differ.join("\n")
    );
    Ok(())
}

#[test]
fn the_oracle_itself_answers_with_known_bytes() -> TestResult {
    // chinese-encoding-notes.md §7: 中文测试 in GB18030 is D6 D0 CE C4 B2 E2 CA D4.
    let theirs = receiptline(&[("gb18030", "中文测试".to_owned()), ("big5", "總額".to_owned())])?;
    assert_eq!(theirs, vec!["d6d0cec4b2e2cad4".to_owned(), "c160c342".to_owned()]);
    Ok(())
}

fn hex(s: &str) -> Result<Vec<u8>, Error> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(Error::from))
        .collect()
}

#[test]
fn receiptlines_own_receipts_read_back_in_the_virtual_printer() -> TestResult {
    // Another generator's job — its Chinese runs, rules drawn in the Katakana page, columns
    // placed with ESC $ / ESC \, a CODE128 symbol, a QR code — must read back as its text.
    let document =
        "TOTAL 總額 | HKD 43.50\n日期/時間 DATE | 2026-11-21\n-\n{code:000001; option:code128,2,72,hri}\n多謝惠顧！";
    let job = run_oracle(&[serde_json::json!({"encoding": "big5", "cpl": 48, "document": document})])?;
    let bytes = hex(job.first().ok_or("one job")?)?;
    let settings = Settings {
        dots: 576,
        double_byte: DoubleByte::Big5,
        half_dot_feed: false,
        glyphs: Arc::new(Glyphs::boxes()),
    };
    let (pages, notes) = interpret(&bytes, settings);
    assert!(notes.is_empty(), "{notes:?}");
    let text = &pages.first().ok_or("a page")?.text;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("TOTAL 總額{}HKD 43.50", " ".repeat(29)), "{text}");
    assert_eq!(
        lines[1],
        format!("日期/時間 DATE{}2026-11-21", " ".repeat(24)),
        "{text}"
    );
    assert_eq!(lines[2], "─".repeat(48), "{text}");
    assert!(text.contains("|||| 000001 ||||"), "{text}");
    assert!(text.trim_end().ends_with("多謝惠顧！"), "{text}");
    Ok(())
}
