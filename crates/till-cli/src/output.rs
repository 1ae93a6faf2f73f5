//! Everything the CLI prints: localised text for people, JSON for machines.

use serde_json::{Value, json};
use till::{Recovered, Report, TillError, TxnResult};
use till_domain::ports::{DeviceError, StoredValueBalance};
use till_domain::receipt::{display_width, render_text};
use till_domain::{Operator, TillConfig, Transaction, TxnStatus};
use till_i18n::Localizer;

#[derive(Debug)]
pub struct Out {
    pub l: Localizer,
    pub json: bool,
    pub columns: usize,
}

/// Pads `s` on the left to `width` display columns.
fn pad_left(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(display_width(s))))
}

/// Pads `s` on the right to `width` display columns (CJK counts two).
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

impl Out {
    pub fn new(l: Localizer, json: bool, columns: usize) -> Out {
        Out { l, json, columns }
    }

    fn print_json(&self, v: &Value) {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }

    pub fn error(&self, e: &TillError) {
        let message = e.localize(&self.l);
        if self.json {
            let dto = e.dto();
            self.print_json(&json!({"ok": false, "error": {"code": dto.code, "message_id": dto.message_id, "args": dto.args, "message": message}}));
        } else {
            eprintln!("{}", message);
        }
    }

    /// A receipt that did not print: said on stderr, in the operator's language.
    fn print_failed(&self, error: Option<&DeviceError>) {
        if let Some(e) = error {
            eprintln!("{}", TillError::device("printer")(e.clone()).localize(&self.l));
        }
    }

    pub fn message(&self, id: &str, args: &[(&str, String)], data: &Value) {
        if self.json {
            self.print_json(&json!({"ok": true, "data": data}));
        } else {
            println!("{}", self.l.text(id, args));
        }
    }

    /// T8: what recovery did, before anything else.
    pub fn recovered(&self, items: &[Recovered]) {
        for r in items {
            let text = self.l.text(
                r.message_id(),
                &[
                    ("trace", r.txn.trace.to_string()),
                    ("amount", self.l.money(r.txn.total())),
                ],
            );
            eprintln!("{text}");
        }
    }

    pub fn status_text(&self, s: TxnStatus) -> String {
        self.l.text(&format!("status-{}", s.id()), &[])
    }

    /// A sale, void, refund or reprint: the receipts, then one result line. Exit code 1 when
    /// the transaction was not approved.
    pub fn txn(&self, r: &TxnResult) -> u8 {
        let t = &r.txn;
        let approved = matches!(t.status, TxnStatus::Approved | TxnStatus::Voided);
        if self.json {
            let receipts: Vec<String> = r.receipts.iter().map(|d| render_text(d, self.columns)).collect();
            self.print_json(&json!({
                "ok": approved,
                "data": {"txn": t, "receipts": receipts, "print_error": r.print_error.as_ref().map(|e| e.message_id()), "notices": r.notices}
            }));
        } else {
            for doc in &r.receipts {
                println!("{}", render_text(doc, self.columns));
            }
            self.print_failed(r.print_error.as_ref());
            for notice in &r.notices {
                println!("{}", self.l.text(notice, &[]));
            }
            println!(
                "{}",
                self.l.text(
                    "result-line",
                    &[
                        ("kind", self.l.text(&format!("kind-{}", t.kind.id()), &[])),
                        ("trace", t.trace.to_string()),
                        ("status", self.status_text(t.status)),
                        ("amount", self.l.money(t.total())),
                    ],
                )
            );
            match t.status {
                TxnStatus::Declined => {
                    if let Some(d) = &t.decline {
                        println!("{}", self.l.text(&d.message_id, &[]));
                    }
                }
                TxnStatus::Reversed => println!("{}", self.l.text("result-reversed", &[])),
                TxnStatus::Unknown => println!("{}", self.l.text("result-unknown", &[])),
                _ => {}
            }
        }
        if approved { 0 } else { 1 }
    }

    pub fn history(&self, txns: &[Transaction], config: &TillConfig) {
        if self.json {
            self.print_json(&json!({"ok": true, "data": txns}));
            return;
        }
        if txns.is_empty() {
            println!("{}", self.l.text("history-empty", &[]));
            return;
        }
        let col = |id: &str| self.l.text(&format!("history-col-{id}"), &[]);
        let header = ["trace", "time", "kind", "means", "status", "amount"].map(col);
        let rows: Vec<([String; 6], String)> = txns
            .iter()
            .map(|t| {
                let last4 = t
                    .approval
                    .as_ref()
                    .and_then(|a| a.card.as_ref())
                    .map(|c| format!(" *{}", c.last4))
                    .unwrap_or_default();
                let cells = [
                    t.trace.to_string(),
                    t.started_at.with_timezone(&config.offset()).format("%H:%M").to_string(),
                    self.l.text(&format!("kind-{}", t.kind.id()), &[]),
                    self.l.text(&t.means.message_id(), &[]),
                    self.status_text(t.status),
                    t.total().grouped(),
                ];
                (cells, last4)
            })
            .collect();
        // Each column as wide as its widest cell (CJK counts two), so a long payment means in
        // Chinese never pushes the columns after it out of line.
        let mut widths = header.each_ref().map(|h| display_width(h));
        for (row, _) in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(display_width(cell));
            }
        }
        let line = |cells: &[String; 6]| {
            let mut out = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i == 5 {
                    out.push_str(&pad_left(cell, w));
                } else {
                    out.push_str(&pad(cell, w));
                    out.push_str("  ");
                }
            }
            out
        };
        println!("{}", line(&header));
        for (row, last4) in &rows {
            println!("{}{last4}", line(row));
        }
    }

    pub fn report(&self, r: &Report) {
        if self.json {
            let docs: Vec<String> = r.docs.iter().map(|d| render_text(d, self.columns)).collect();
            self.print_json(&json!({"ok": true, "data": {"batch": r.batch, "totals": r.totals, "terminal": r.terminal, "docs": docs, "next_batch": r.next_batch}}));
            return;
        }
        for doc in &r.docs {
            println!("{}", render_text(doc, self.columns));
        }
        if let Some(next) = r.next_batch {
            let count: u64 = r
                .totals
                .by_means
                .values()
                .map(|m| m.sales.count + m.voids.count + m.refunds.count)
                .sum();
            println!(
                "{}",
                self.l.text(
                    "settle-done",
                    &[
                        ("batch", r.batch.no.to_string()),
                        ("count", count.to_string()),
                        ("net", self.l.money(r.totals.net())),
                        ("next", next.to_string())
                    ]
                )
            );
        }
        self.print_failed(r.print_error.as_ref());
    }

    pub fn balance(&self, b: &StoredValueBalance, config: &TillConfig) {
        if self.json {
            self.print_json(&json!({"ok": true, "data": b}));
            return;
        }
        println!(
            "{}",
            self.l.text(
                "balance-line",
                &[("card", b.card_no.clone()), ("remaining", self.l.money(b.remaining))]
            )
        );
        for e in &b.last {
            let time =
                e.at.with_timezone(&config.offset())
                    .format("%Y-%m-%d %H:%M")
                    .to_string();
            println!(
                "{}",
                self.l
                    .text("balance-entry", &[("time", time), ("amount", self.l.money(e.amount))])
            );
        }
    }

    pub fn operators(&self, ops: &[Operator]) {
        if self.json {
            let v: Vec<Value> = ops
                .iter()
                .map(|o| json!({"id": o.id, "name": o.name, "role": o.role, "must_change_pin": o.must_change_pin}))
                .collect();
            self.print_json(&json!({"ok": true, "data": v}));
            return;
        }
        for o in ops {
            println!("{:<8}{:<24}{}", o.id, o.name, o.role.id());
        }
    }
}
