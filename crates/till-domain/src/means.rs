//! Payment means and what each allows (FLOWS.md, "payment means and what each allows").

use serde::{Deserialize, Serialize};

/// How the customer pays. The rules of each means live here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaymentMeans {
    /// Chip, contactless or swiped card on the PIN pad (UnionPay included: its PIN is entered
    /// on the pad like any other).
    Card,
    /// The customer shows a wallet code that the cashier scans (Alipay, WeChat Pay, UnionPay QR).
    QrCustomer,
    /// The till shows a code the customer scans (FPS, PayNow, Alipay, WeChat Pay); the gateway,
    /// not the cashier, confirms payment.
    QrMerchant,
    /// Tap & Go style wallets: refund only, no void.
    TapAndGo,
    /// Octopus-type stored-value card: sale and balance query only.
    StoredValue,
    /// Notes and coins: opens the drawer.
    Cash,
}

impl PaymentMeans {
    pub const ALL: [PaymentMeans; 6] = [
        PaymentMeans::Card,
        PaymentMeans::QrCustomer,
        PaymentMeans::QrMerchant,
        PaymentMeans::TapAndGo,
        PaymentMeans::StoredValue,
        PaymentMeans::Cash,
    ];

    /// Whether a same-batch void is possible.
    pub fn allows_void(self) -> bool {
        matches!(self, PaymentMeans::Card | PaymentMeans::QrCustomer | PaymentMeans::Cash)
    }

    /// Whether a refund is possible.
    pub fn allows_refund(self) -> bool {
        !matches!(self, PaymentMeans::StoredValue)
    }

    /// Stable text id: command-line flags, the journal's indexed column, message ids.
    pub fn id(self) -> &'static str {
        match self {
            PaymentMeans::Card => "card",
            PaymentMeans::QrCustomer => "qr-customer",
            PaymentMeans::QrMerchant => "qr-merchant",
            PaymentMeans::TapAndGo => "tap-and-go",
            PaymentMeans::StoredValue => "stored-value",
            PaymentMeans::Cash => "cash",
        }
    }

    pub fn from_id(id: &str) -> Option<PaymentMeans> {
        PaymentMeans::ALL.into_iter().find(|m| m.id() == id)
    }

    /// The Fluent message id of the means' name.
    pub fn message_id(self) -> String {
        format!("means-{}", self.id())
    }
}

/// The wallet or scheme of a QR payment, as the gateway reports it or the cashier chooses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QrScheme {
    Alipay,
    WechatPay,
    UnionPay,
    Fps,
    PayNow,
    Other,
}

impl QrScheme {
    pub const ALL: [QrScheme; 6] = [
        QrScheme::Alipay,
        QrScheme::WechatPay,
        QrScheme::UnionPay,
        QrScheme::Fps,
        QrScheme::PayNow,
        QrScheme::Other,
    ];

    /// The scheme of an id (`alipay`, `wechat-pay`, …), as the CLI and the app take it.
    pub fn from_id(id: &str) -> Option<QrScheme> {
        QrScheme::ALL.into_iter().find(|s| s.id() == id)
    }

    pub fn id(self) -> &'static str {
        match self {
            QrScheme::Alipay => "alipay",
            QrScheme::WechatPay => "wechat-pay",
            QrScheme::UnionPay => "unionpay",
            QrScheme::Fps => "fps",
            QrScheme::PayNow => "paynow",
            QrScheme::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_table_of_flows_md() {
        use PaymentMeans::*;
        // (means, void, refund) exactly as FLOWS.md lists them.
        let table = [
            (Card, true, true),
            (QrCustomer, true, true),
            (QrMerchant, false, true),
            (TapAndGo, false, true),
            (StoredValue, false, false),
            (Cash, true, true),
        ];
        for (means, void, refund) in table {
            assert_eq!(means.allows_void(), void, "void rule of {means:?}");
            assert_eq!(means.allows_refund(), refund, "refund rule of {means:?}");
            assert_eq!(PaymentMeans::from_id(means.id()), Some(means));
        }
    }
}
