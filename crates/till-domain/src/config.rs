//! The till's configuration as the domain sees it. Where it is stored (`till.toml`) is the
//! shell's business.

use serde::{Deserialize, Serialize};

use crate::means::{PaymentMeans, QrScheme};
use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantInfo {
    pub name: String,
    pub address: String,
    pub merchant_id: String,
    pub terminal_id: String,
    /// Lines printed under the address on every receipt and report (opening hours, a tax id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header: Vec<String>,
    /// Lines printed above the thank-you of the customer's and merchant's receipts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub footer: Vec<String>,
}

/// Which copies print after a transaction (T11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptCopies {
    pub merchant: bool,
    pub customer: bool,
}

/// S2: when a session must log in again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    pub idle_timeout_minutes: u32,
    /// Local time (minutes after midnight) when the daily restart window opens.
    pub restart_window_start_minute: u32,
    pub restart_window_minutes: u32,
}

impl SessionPolicy {
    /// Whether `now` falls in today's restart window (local time at `offset`): the nightly
    /// moment when everyone logs in again, and when a ready update may install by itself.
    pub fn in_restart_window(&self, now: chrono::DateTime<chrono::Utc>, offset: chrono::FixedOffset) -> bool {
        use chrono::Timelike;
        let local = now.with_timezone(&offset);
        let minute = local.hour() * 60 + local.minute();
        let since = (minute + 24 * 60 - self.restart_window_start_minute % (24 * 60)) % (24 * 60);
        since < self.restart_window_minutes
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillConfig {
    pub till_id: String,
    /// The device's serial number; its last 4 digits are the first operator's default PIN (S1).
    pub serial: String,
    pub merchant: MerchantInfo,
    pub currency: Currency,
    /// The largest amount (with tip) of one transaction, in minor units.
    pub max_amount_minor: i64,
    pub accepted: Vec<PaymentMeans>,
    /// Wallets whose customer codes (T2) and till codes (T3) this till takes.
    #[serde(default = "all_wallets")]
    pub wallets: Vec<QrScheme>,
    pub copies: ReceiptCopies,
    /// Minutes east of UTC for receipts, reports and the restart window (HK, SG, TW, CN: 480).
    pub utc_offset_minutes: i32,
    pub session: SessionPolicy,
}

impl TillConfig {
    /// The demo till: every means, Hong Kong dollars, HK time.
    pub fn demo() -> TillConfig {
        TillConfig {
            till_id: "DEMO-01".to_owned(),
            serial: "OT2026000001".to_owned(),
            merchant: MerchantInfo {
                name: "OpenTill Demo Café".to_owned(),
                address: "1 Queen's Road Central, Hong Kong".to_owned(),
                merchant_id: "000000000012345".to_owned(),
                terminal_id: "60000001".to_owned(),
                header: Vec::new(),
                footer: Vec::new(),
            },
            currency: Currency::Hkd,
            max_amount_minor: 5_000_000,
            accepted: PaymentMeans::ALL.to_vec(),
            wallets: all_wallets(),
            copies: ReceiptCopies {
                merchant: true,
                customer: true,
            },
            utc_offset_minutes: 480,
            session: SessionPolicy {
                idle_timeout_minutes: 30,
                restart_window_start_minute: 0,
                restart_window_minutes: 60,
            },
        }
    }

    pub fn max_amount(&self) -> Money {
        Money::new(self.max_amount_minor, self.currency)
    }

    pub fn offset(&self) -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset is valid"))
    }
}

fn all_wallets() -> Vec<QrScheme> {
    vec![
        QrScheme::Alipay,
        QrScheme::WechatPay,
        QrScheme::UnionPay,
        QrScheme::Fps,
        QrScheme::PayNow,
    ]
}

/// S4: blocks set by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Blocks {
    pub pos: bool,
    pub refund: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone, Utc};

    #[test]
    fn the_restart_window_is_local_time_and_may_cross_midnight() {
        let hk = FixedOffset::east_opt(8 * 3600).expect("offset");
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 6, h, m, 0).single().expect("time");
        let policy = SessionPolicy {
            idle_timeout_minutes: 30,
            restart_window_start_minute: 4 * 60,
            restart_window_minutes: 30,
        };
        // 04:10 in Hong Kong is 20:10 UTC.
        assert!(policy.in_restart_window(at(20, 10), hk));
        assert!(!policy.in_restart_window(at(20, 30), hk));
        assert!(!policy.in_restart_window(at(4, 10), hk));
        let late = SessionPolicy {
            restart_window_start_minute: 23 * 60 + 50,
            ..policy
        };
        // 23:55 and 00:10 local are inside a window from 23:50 for 30 minutes; 00:20 is not.
        assert!(late.in_restart_window(at(15, 55), hk));
        assert!(late.in_restart_window(at(16, 10), hk));
        assert!(!late.in_restart_window(at(16, 20), hk));
    }
}
