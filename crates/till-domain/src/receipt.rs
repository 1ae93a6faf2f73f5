//! Receipts as documents (T11): what each receipt says, independent of paper and printer. The
//! builders here produce a [`ReceiptDoc`] whose texts are message ids; the shell resolves them
//! with [`ReceiptDoc::resolve`] (bilingual labels: English and the till's Chinese); a printer
//! lays the resolved document out for its paper. [`render_text`] is the monospace layout for
//! 32 and 48 columns, counting a CJK character as two columns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::batch::{Batch, BatchTotals, TerminalTotals};
use crate::config::TillConfig;
use crate::money::Money;
use crate::txn::{Cvm, EntryMode, Signature, Transaction, TxnKind, TxnStatus};

/// A piece of text on a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Text {
    /// A message in the receipt's language.
    Msg { id: String, args: Vec<(String, String)> },
    /// A bilingual label: English and Chinese side by side.
    Label { id: String },
    /// Already resolved, or data (names, numbers).
    Raw(String),
}

impl Text {
    pub fn label(id: &str) -> Text {
        Text::Label { id: id.to_owned() }
    }
    pub fn msg(id: &str) -> Text {
        Text::Msg {
            id: id.to_owned(),
            args: Vec::new(),
        }
    }
    pub fn raw(s: impl Into<String>) -> Text {
        Text::Raw(s.into())
    }
    /// The resolved string; message ids show as themselves until resolved.
    pub fn as_str(&self) -> &str {
        match self {
            Text::Msg { id, .. } | Text::Label { id } => id,
            Text::Raw(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "kebab-case")]
pub enum Line {
    /// Centred; `big` prints double size on paper (and stays single in text).
    Center {
        text: Text,
        big: bool,
    },
    Left {
        text: Text,
    },
    /// Label on the left, value flush right.
    Pair {
        label: Text,
        value: String,
    },
    /// Like a pair, emphasised.
    Total {
        label: Text,
        value: String,
    },
    Rule,
    Blank,
    /// A QR code (e-receipt link).
    Qr {
        data: String,
    },
    /// A CODE128 barcode (the trace number).
    Barcode {
        data: String,
    },
    /// A place for the cardholder to sign.
    SignatureLine,
    /// The signature the customer drew on the display, printed as an image.
    Signature {
        signature: Signature,
    },
    Cut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDoc {
    pub lines: Vec<Line>,
}

/// Looks message ids up in the receipt's languages. Implemented by till-i18n.
pub trait Labels {
    /// The message in the receipt's main language.
    fn text(&self, id: &str, args: &[(String, String)]) -> String;
    /// A bilingual label, e.g. `TOTAL 合計`.
    fn label(&self, id: &str) -> String;
}

impl ReceiptDoc {
    /// Every text resolved to a string.
    pub fn resolve(&self, labels: &dyn Labels) -> ReceiptDoc {
        let r = |t: &Text| match t {
            Text::Msg { id, args } => Text::Raw(labels.text(id, args)),
            Text::Label { id } => Text::Raw(labels.label(id)),
            Text::Raw(s) => Text::Raw(s.clone()),
        };
        let lines = self
            .lines
            .iter()
            .map(|l| match l {
                Line::Center { text, big } => Line::Center {
                    text: r(text),
                    big: *big,
                },
                Line::Left { text } => Line::Left { text: r(text) },
                Line::Pair { label, value } => Line::Pair {
                    label: r(label),
                    value: value.clone(),
                },
                Line::Total { label, value } => Line::Total {
                    label: r(label),
                    value: value.clone(),
                },
                other => other.clone(),
            })
            .collect();
        ReceiptDoc { lines }
    }

    /// Every message id the document uses (for tests that check translations).
    pub fn message_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut take = |t: &Text| {
            if let Text::Msg { id, .. } | Text::Label { id } = t {
                ids.push(id.clone());
            }
        };
        for l in &self.lines {
            match l {
                Line::Center { text, .. } | Line::Left { text } => take(text),
                Line::Pair { label, .. } | Line::Total { label, .. } => take(label),
                _ => {}
            }
        }
        ids
    }
}

/// Which copy of a transaction receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptCopy {
    Merchant,
    Customer,
}

struct Builder {
    lines: Vec<Line>,
}

impl Builder {
    fn new() -> Builder {
        Builder { lines: Vec::new() }
    }
    fn push(&mut self, line: Line) -> &mut Builder {
        self.lines.push(line);
        self
    }
    fn center(&mut self, text: Text, big: bool) -> &mut Builder {
        self.push(Line::Center { text, big })
    }
    fn pair(&mut self, label: &str, value: impl Into<String>) -> &mut Builder {
        self.push(Line::Pair {
            label: Text::label(label),
            value: value.into(),
        })
    }
    fn total(&mut self, label: &str, value: impl Into<String>) -> &mut Builder {
        self.push(Line::Total {
            label: Text::label(label),
            value: value.into(),
        })
    }
    fn header(&mut self, config: &TillConfig) -> &mut Builder {
        self.center(Text::raw(&config.merchant.name), true)
            .center(Text::raw(&config.merchant.address), false);
        for line in &config.merchant.header {
            self.center(Text::raw(line), false);
        }
        self.push(Line::Rule)
            .pair("receipt-merchant-id", &config.merchant.merchant_id)
            .pair("receipt-terminal-id", &config.merchant.terminal_id)
    }
    fn done(mut self) -> ReceiptDoc {
        self.lines.push(Line::Cut);
        ReceiptDoc { lines: self.lines }
    }
}

fn local_time(config: &TillConfig, at: DateTime<Utc>) -> String {
    at.with_timezone(&config.offset())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn amount(m: Money) -> String {
    format!("{} {}", m.currency.code(), m.grouped())
}

fn title_id(t: &Transaction) -> &'static str {
    match t.kind {
        TxnKind::Sale => "receipt-title-sale",
        TxnKind::Void => "receipt-title-void",
        TxnKind::Refund => "receipt-title-refund",
    }
}

/// The receipt of one approved sale, void or refund (T11). `reprint` marks it REPRINT / 重印.
pub fn transaction_receipt(
    t: &Transaction,
    config: &TillConfig,
    copy: ReceiptCopy,
    reprint: bool,
    printed_at: DateTime<Utc>,
) -> ReceiptDoc {
    let mut b = Builder::new();
    b.header(config).push(Line::Rule);
    b.center(Text::label(title_id(t)), true);
    if reprint {
        b.center(Text::label("receipt-reprint"), true);
    }
    if t.status == TxnStatus::Voided {
        b.center(Text::label("receipt-voided"), false);
    }
    b.center(
        Text::label(match copy {
            ReceiptCopy::Merchant => "receipt-merchant-copy",
            ReceiptCopy::Customer => "receipt-customer-copy",
        }),
        false,
    );
    b.push(Line::Rule)
        .pair("receipt-date-time", local_time(config, t.started_at))
        .pair("receipt-batch", t.batch.to_string())
        .pair("receipt-trace", t.trace.to_string());
    if let Some(orig) = &t.original {
        b.pair("receipt-original-trace", orig.trace.to_string());
    }
    b.push(Line::Pair {
        label: Text::label("receipt-means"),
        value: String::new(),
    });
    if let Some(Line::Pair { value, .. }) = b.lines.last_mut() {
        *value = t.means.id().to_uppercase();
    }
    let approval = t.approval.clone().unwrap_or_default();
    if let Some(card) = &approval.card {
        b.pair("receipt-card-scheme", &card.scheme)
            .pair("receipt-card-number", &card.masked_pan)
            .pair(
                "receipt-entry-mode",
                match card.entry_mode {
                    EntryMode::Chip => "CHIP",
                    EntryMode::Contactless => "CONTACTLESS",
                    EntryMode::Swipe => "SWIPE",
                    EntryMode::Manual => "MANUAL",
                },
            );
        if let Some(aid) = &card.aid {
            b.pair("receipt-aid", aid);
        }
        if let Some(label) = &card.app_label {
            b.pair("receipt-app-label", label);
        }
        if let Some(tc) = &card.cryptogram {
            b.pair("receipt-cryptogram", tc);
        }
    }
    if let Some(scheme) = approval.qr_scheme.or(t.qr_scheme) {
        b.pair("receipt-wallet", scheme.id().to_uppercase());
    }
    if let Some(sv) = &approval.stored_value {
        b.pair("receipt-sv-card", &sv.card_no)
            .pair("receipt-sv-balance", amount(sv.balance_after));
    }
    if let Some(rrn) = &approval.reference {
        b.pair("receipt-reference", rrn);
    }
    if let Some(code) = &approval.auth_code {
        b.pair("receipt-auth-code", code);
    }
    b.push(Line::Rule);
    if !t.tip.is_zero() {
        b.pair("receipt-amount", amount(t.amount))
            .pair("receipt-tip", amount(t.tip));
    }
    let sign = if t.kind == TxnKind::Sale { "" } else { "-" };
    b.total("receipt-total", format!("{sign}{}", amount(t.total())));
    b.push(Line::Rule);
    if let Some(card) = &approval.card {
        match card.cvm {
            Cvm::PinVerified => {
                b.center(Text::label("receipt-cvm-pin-verified"), false);
            }
            Cvm::Signature if copy == ReceiptCopy::Merchant => {
                let line = match &t.signature {
                    Some(signature) => Line::Signature {
                        signature: signature.clone(),
                    },
                    None => Line::SignatureLine,
                };
                b.push(Line::Blank)
                    .push(line)
                    .center(Text::label("receipt-cvm-signature"), false);
            }
            Cvm::Signature => {
                b.center(Text::label("receipt-cvm-signature"), false);
            }
            Cvm::NoSignatureRequired => {
                b.center(Text::label("receipt-cvm-no-signature"), false);
            }
        }
    }
    if reprint {
        b.pair("receipt-printed-at", local_time(config, printed_at));
    }
    b.push(Line::Barcode {
        data: t.trace.to_string(),
    });
    for line in &config.merchant.footer {
        b.center(Text::raw(line), false);
    }
    b.center(Text::msg("receipt-thank-you"), false);
    b.done()
}

fn totals_section(b: &mut Builder, totals: &BatchTotals) {
    for (means, m) in &totals.by_means {
        b.push(Line::Left {
            text: Text::Label { id: means.message_id() },
        });
        let tally =
            |t: crate::batch::Tally| format!("{:>3} {:>14}", t.count, amount(Money::new(t.minor, totals.currency)));
        b.pair("report-sales", tally(m.sales))
            .pair("report-voids", tally(m.voids))
            .pair("report-refunds", tally(m.refunds))
            .pair("report-net", amount(Money::new(m.net_minor(), totals.currency)));
    }
    if totals.by_means.is_empty() {
        b.center(Text::msg("report-no-transactions"), false);
    }
    b.push(Line::Rule);
    let g = totals.grand();
    b.pair("report-sales-count", g.sales.count.to_string())
        .pair("report-voids-count", g.voids.count.to_string())
        .pair("report-refunds-count", g.refunds.count.to_string());
    b.total("report-net-total", amount(totals.net()));
}

/// PRINT SUMMARY (X report): the open batch's totals, any time before settling (T10).
pub fn x_report(batch: &Batch, totals: &BatchTotals, config: &TillConfig, now: DateTime<Utc>) -> ReceiptDoc {
    let mut b = Builder::new();
    b.header(config).push(Line::Rule);
    b.center(Text::label("report-x-title"), true);
    b.pair("receipt-batch", batch.no.to_string())
        .pair("report-opened", local_time(config, batch.opened_at))
        .pair("receipt-date-time", local_time(config, now))
        .push(Line::Rule);
    totals_section(&mut b, totals);
    b.done()
}

/// The settlement slip (Z report): the closed batch's totals and the comparison with the
/// terminal's card totals (T10).
pub fn settlement_slip(
    batch: &Batch,
    totals: &BatchTotals,
    terminal: Option<&TerminalTotals>,
    config: &TillConfig,
    now: DateTime<Utc>,
) -> ReceiptDoc {
    let mut b = Builder::new();
    b.header(config).push(Line::Rule);
    b.center(Text::label("report-z-title"), true);
    b.pair("receipt-batch", batch.no.to_string())
        .pair("report-opened", local_time(config, batch.opened_at))
        .pair("report-settled", local_time(config, batch.settled_at.unwrap_or(now)))
        .push(Line::Rule);
    totals_section(&mut b, totals);
    if let Some(term) = terminal {
        let card = totals
            .by_means
            .get(&crate::means::PaymentMeans::Card)
            .copied()
            .unwrap_or_default();
        let till_sales = (card.sales.count - card.voids.count, card.sales.minor - card.voids.minor);
        let matches = if term.net_only {
            till_sales.1 - card.refunds.minor == term.sales.minor
        } else {
            till_sales == (term.sales.count, term.sales.minor)
                && (card.refunds.count, card.refunds.minor) == (term.refunds.count, term.refunds.minor)
        };
        b.push(Line::Rule);
        b.pair(
            "report-terminal-sales",
            format!(
                "{:>3} {:>14}",
                term.sales.count,
                amount(Money::new(term.sales.minor, totals.currency))
            ),
        );
        b.pair(
            "report-terminal-refunds",
            format!(
                "{:>3} {:>14}",
                term.refunds.count,
                amount(Money::new(term.refunds.minor, totals.currency))
            ),
        );
        if matches {
            b.center(Text::label("report-terminal-match"), false);
        } else {
            b.center(Text::label("report-terminal-mismatch"), true);
            b.pair(
                "report-difference",
                amount(Money::new(
                    (till_sales.1 - card.refunds.minor) - (term.sales.minor - term.refunds.minor),
                    totals.currency,
                )),
            );
        }
    }
    b.done()
}

/// The automatic settlement's slip (T10, 00:00): the totals of the means that settle by
/// themselves, closed through `through`; the batch stays open for card.
pub fn auto_settlement_slip(
    batch: &Batch,
    totals: &BatchTotals,
    through: DateTime<Utc>,
    config: &TillConfig,
    now: DateTime<Utc>,
) -> ReceiptDoc {
    let mut b = Builder::new();
    b.header(config).push(Line::Rule);
    b.center(Text::label("report-auto-title"), true);
    b.pair("receipt-batch", batch.no.to_string())
        .pair("report-through", local_time(config, through))
        .pair("report-settled", local_time(config, now))
        .push(Line::Rule);
    totals_section(&mut b, totals);
    b.push(Line::Rule);
    b.center(Text::label("report-card-open"), false);
    b.done()
}

/// The Z report's transaction list: every transaction of the batch, one line each.
pub fn transaction_list(batch: &Batch, txns: &[Transaction], config: &TillConfig) -> ReceiptDoc {
    let mut b = Builder::new();
    b.center(Text::label("report-list-title"), true);
    b.pair("receipt-batch", batch.no.to_string()).push(Line::Rule);
    for t in txns {
        let time = t.started_at.with_timezone(&config.offset()).format("%H:%M");
        let sign = if t.kind == TxnKind::Sale { "" } else { "-" };
        b.push(Line::Pair {
            label: Text::raw(format!("{} {time} {}", t.trace, t.kind.id().to_uppercase())),
            value: format!("{sign}{}", t.total().grouped()),
        });
        b.push(Line::Left {
            text: Text::raw(format!("  {} {}", t.means.id(), t.status.id().to_uppercase())),
        });
    }
    b.push(Line::Rule).pair("report-count", txns.len().to_string());
    b.done()
}

/// Display width of a string in monospace columns (CJK counts two).
pub fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Splits `s` into pieces no wider than `width` columns, at character boundaries (preferring
/// spaces for Latin text; Chinese may break anywhere).
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut w = 0;
    for word in s.split_inclusive(' ') {
        let ww = display_width(word.trim_end());
        if w + ww > width && !line.is_empty() {
            out.push(line.trim_end().to_owned());
            line.clear();
            w = 0;
        }
        for ch in word.chars() {
            let cw = ch.width().unwrap_or(0);
            if w + cw > width {
                out.push(line.trim_end().to_owned());
                line.clear();
                w = 0;
            }
            if w == 0 && ch == ' ' {
                continue;
            }
            line.push(ch);
            w += cw;
        }
    }
    if !line.trim().is_empty() || out.is_empty() {
        out.push(line.trim_end().to_owned());
    }
    out
}

fn pad_left(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(display_width(s))))
}

fn center(s: &str, width: usize) -> String {
    let pad = width.saturating_sub(display_width(s)) / 2;
    format!("{}{s}", " ".repeat(pad))
}

/// Lays a resolved document out as monospace text of `width` columns (32 for 58 mm paper, 48
/// for 80 mm). Every line is at most `width` columns; amounts end at the right edge.
pub fn render_text(doc: &ReceiptDoc, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in &doc.lines {
        match line {
            Line::Center { text, .. } => out.extend(wrap(text.as_str(), width).iter().map(|l| center(l, width))),
            Line::Left { text } => out.extend(wrap(text.as_str(), width)),
            Line::Pair { label, value } | Line::Total { label, value } => {
                let (lw, vw) = (display_width(label.as_str()), display_width(value));
                if lw + 1 + vw <= width {
                    out.push(format!("{}{}", label.as_str(), pad_left(value, width - lw)));
                } else {
                    out.extend(wrap(label.as_str(), width));
                    out.extend(wrap(value, width).iter().map(|v| pad_left(v, width)));
                }
            }
            Line::Rule => out.push("-".repeat(width)),
            Line::Blank => out.push(String::new()),
            Line::Qr { data } => out.push(center(&format!("[QR {data}]"), width)),
            Line::Barcode { data } => out.push(center(&format!("|||| {data} ||||"), width)),
            Line::SignatureLine => out.push(format!("X{}", "_".repeat(width - 1))),
            Line::Signature { signature } => out.extend(signature_text(signature, width)),
            Line::Cut => {}
        }
    }
    let mut text = out.iter().map(|l| l.trim_end()).collect::<Vec<_>>().join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_counts_two_columns_and_amounts_end_at_the_edge() {
        let doc = ReceiptDoc {
            lines: vec![
                Line::Pair {
                    label: Text::raw("TOTAL 合計"),
                    value: "HKD 1,234.50".into(),
                },
                Line::Pair {
                    label: Text::raw("AMOUNT"),
                    value: "HKD 1.00".into(),
                },
            ],
        };
        let text = render_text(&doc, 32);
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines {
            assert_eq!(display_width(l), 32, "every pair line is exactly 32 columns: {l:?}");
        }
        assert!(lines[0].ends_with("HKD 1,234.50"));
        assert_eq!(lines[0], "TOTAL 合計          HKD 1,234.50");
    }

    #[test]
    fn long_pairs_wrap_without_overflowing() {
        let doc = ReceiptDoc {
            lines: vec![Line::Pair {
                label: Text::raw("商戶名稱 MERCHANT NAME"),
                value: "一間很長很長名字的咖啡店有限公司 LIMITED".into(),
            }],
        };
        for width in [32, 48] {
            for l in render_text(&doc, width).lines() {
                assert!(display_width(l) <= width, "{l:?} is wider than {width}");
            }
        }
    }

    #[test]
    fn wrap_breaks_chinese_anywhere_and_latin_at_spaces() {
        assert_eq!(wrap("一二三四五六", 4), vec!["一二", "三四", "五六"]);
        assert_eq!(wrap("hello big world", 9), vec!["hello big", "world"]);
    }
}

/// A signature drawn in characters, `width` columns by a quarter as many rows at most: text
/// receipts (previews, logs, tests) show that one was captured and roughly what it looks like.
pub fn signature_text(signature: &Signature, width: usize) -> Vec<String> {
    let (sw, sh) = (f64::from(signature.width.max(1)), f64::from(signature.height.max(1)));
    // Characters are about twice as tall as wide.
    let rows = ((width as f64 * sh / sw / 2.0).round() as usize).clamp(2, (width / 4).max(2));
    let mut grid = vec![vec![' '; width]; rows];
    let cell = |x: f64, y: f64| {
        let c = ((x / sw) * (width - 1) as f64).round() as usize;
        let r = ((y / sh) * (rows - 1) as f64).round() as usize;
        (c.min(width - 1), r.min(rows - 1))
    };
    for stroke in &signature.strokes {
        for pair in stroke.windows(2) {
            let ([x0, y0], [x1, y1]) = (pair[0], pair[1]);
            let (x0, y0, x1, y1) = (f64::from(x0), f64::from(y0), f64::from(x1), f64::from(y1));
            let steps = ((x1 - x0).abs() / sw * width as f64)
                .max((y1 - y0).abs() / sh * rows as f64)
                .ceil()
                .max(1.0) as usize;
            for i in 0..=steps {
                let t = i as f64 / steps as f64;
                let (c, r) = cell(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
                grid[r][c] = '*';
            }
        }
    }
    grid.into_iter()
        .map(|r| r.into_iter().collect::<String>().trim_end().to_owned())
        .collect()
}

#[cfg(test)]
mod signature_tests {
    use super::*;

    #[test]
    fn a_signature_is_drawn_in_characters_within_the_width() {
        let sig = Signature {
            width: 400,
            height: 100,
            strokes: vec![vec![[0, 50], [400, 50]], vec![[200, 0], [200, 100]]],
        };
        let rows = signature_text(&sig, 32);
        assert!(rows.iter().all(|r| r.chars().count() <= 32));
        // The horizontal stroke crosses the whole width on one row; the vertical one every row.
        assert!(rows.iter().any(|r| r.chars().filter(|c| *c == '*').count() == 32));
        assert!(
            rows.iter()
                .all(|r| r.chars().nth(16) == Some('*') || r.chars().nth(15) == Some('*'))
        );
        assert!(signature_text(&Signature::default(), 32).iter().all(|r| r.is_empty()));
    }
}
