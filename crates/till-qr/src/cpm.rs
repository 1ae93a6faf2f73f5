//! Which wallet a customer-presented payment code (the barcode or QR in the payer's app) belongs
//! to, from its documented length and prefix, to pick the gateway to charge it through.
//!
//! The rules, and where they are published (collected in `protocols/QR-PAYMENTS.md` §3):
//! - WeChat Pay: 18 digits starting `10`–`15` (`10`–`14` mainland users, `15` WeChat Pay HK);
//!   the "fusion wallet" page adds 18-digit codes starting `160`.
//!   `pay.weixin.qq.com/wiki/doc/api/wxpay/en/pages/QuickPay.shtml`,
//!   `pay.weixin.qq.com/wiki/doc/api/wxpay/en/fusion_wallet/QuickPay/chapter3_1.shtml`.
//! - Alipay: 16–24 digits starting `25`–`30` (`docs.open.alipay.com/api_1/alipay.trade.pay`,
//!   field `auth_code`). Alipay+ wallets (GCash, TnG, ...) publish 17–32 digits, but every
//!   pattern they document (24-digit `251001…`, legacy 17–19-digit `28…`) falls inside the Alipay
//!   rule, and AlipayCN and AlipayHK codes cannot be told apart by digits
//!   (`docs.alipayplus.com/alipayplus/alipayplus/code_scanning_payment_standards_acq/code_format`).
//! - UnionPay: 19 digits starting `62`. Community sources only
//!   (`cnblogs.com/zhangmo/p/13578409.html`); such a code also looks like a UnionPay card PAN.
//! - EMVCo consumer-presented QR: Base64 starting `hQVDUFY`, i.e. BER-TLV `85 05 "CPV01"`
//!   (EMVCo CPM v1.0 §5.1.1).
//!
//! Anything else is [`CustomerCode::Unknown`]: the cashier picks the wallet. A classification
//! only chooses a gateway; the gateway's answer is what counts.

/// Where a WeChat Pay payment code's user comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeChatPayOrigin {
    /// Prefix `10`–`14`: WeChat Pay mainland China users.
    Mainland,
    /// Prefix `15`: WeChat Pay HK users.
    HongKong,
    /// Prefix `160`: partner wallets on WeChat Pay's "fusion wallet" page.
    FusionWallet,
}

/// The wallet a customer-presented code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "wallet")]
pub enum CustomerCode {
    /// A WeChat Pay payment code.
    WeChatPay {
        /// Whose user it is.
        origin: WeChatPayOrigin,
    },
    /// An Alipay payment code: Alipay (CN), AlipayHK, or an Alipay+ wallet.
    Alipay,
    /// A UnionPay payment code.
    UnionPay,
    /// An EMVCo consumer-presented QR (UnionPay International and others).
    EmvCpm,
    /// No documented rule matches.
    Unknown,
}

/// Classifies a scanned customer code. Surrounding whitespace (a keyboard-wedge scanner's
/// Enter) is ignored.
pub fn classify(code: &str) -> CustomerCode {
    let code = code.trim();
    if code.starts_with("hQVDUFY") && code.bytes().all(is_base64) {
        return CustomerCode::EmvCpm;
    }
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return CustomerCode::Unknown;
    }
    let len = code.len();
    // Two leading digits as a number; the code is all digits and at least one long.
    let prefix: u8 = code.bytes().take(2).fold(0, |n, b| n * 10 + (b - b'0'));
    match (len, prefix) {
        (18, 16) if code.starts_with("160") => CustomerCode::WeChatPay {
            origin: WeChatPayOrigin::FusionWallet,
        },
        (18, 10..=14) => CustomerCode::WeChatPay {
            origin: WeChatPayOrigin::Mainland,
        },
        (18, 15) => CustomerCode::WeChatPay {
            origin: WeChatPayOrigin::HongKong,
        },
        (16..=24, 25..=30) => CustomerCode::Alipay,
        (19, 62) => CustomerCode::UnionPay,
        _ => CustomerCode::Unknown,
    }
}

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_pay_by_prefix() -> Result<(), crate::error::QrError> {
        let wechat = |origin| CustomerCode::WeChatPay { origin };
        assert_eq!(classify("134567890123456789"), wechat(WeChatPayOrigin::Mainland));
        assert_eq!(classify("104567890123456789"), wechat(WeChatPayOrigin::Mainland));
        assert_eq!(classify("154567890123456789"), wechat(WeChatPayOrigin::HongKong));
        assert_eq!(classify("160567890123456789"), wechat(WeChatPayOrigin::FusionWallet));
        assert_eq!(classify("161567890123456789"), CustomerCode::Unknown, "16 is not 160");
        assert_eq!(classify("13456789012345678"), CustomerCode::Unknown, "17 digits");
        assert_eq!(classify("134567890123456789\r\n"), wechat(WeChatPayOrigin::Mainland));
        Ok(())
    }

    #[test]
    fn alipay_prefixes_and_lengths() -> Result<(), crate::error::QrError> {
        assert_eq!(classify("2834567890123456"), CustomerCode::Alipay, "16 digits");
        assert_eq!(
            classify("251001021234567890123456"),
            CustomerCode::Alipay,
            "Alipay+ 24 digits"
        );
        assert_eq!(
            classify("300000000000000000"),
            CustomerCode::Alipay,
            "18 digits, prefix 30"
        );
        assert_eq!(classify("3100000000000000"), CustomerCode::Unknown, "prefix 31");
        assert_eq!(
            classify("2800000000000000000000000"),
            CustomerCode::Unknown,
            "25 digits"
        );
        assert_eq!(classify("280000000000000"), CustomerCode::Unknown, "15 digits");
        Ok(())
    }

    #[test]
    fn unionpay_emv_cpm_and_unknown() -> Result<(), crate::error::QrError> {
        assert_eq!(classify("6212345678901234567"), CustomerCode::UnionPay);
        assert_eq!(classify("621234567890123456"), CustomerCode::Unknown, "18 digits");
        assert_eq!(
            classify("hQVDUFYwMWEaTwegAAAAAwEQVwwQAAIxAAAAM9RBIgE="),
            CustomerCode::EmvCpm
        );
        assert_eq!(classify("hQVDUFY not base64"), CustomerCode::Unknown);
        assert_eq!(classify(""), CustomerCode::Unknown);
        assert_eq!(classify("https://qr.alipay.com/abc"), CustomerCode::Unknown);
        Ok(())
    }
}
