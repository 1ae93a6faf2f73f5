//! `till qr decode|parse|make`: QR payments from the command line, without a till. `decode`
//! reads codes in image files as the till's scanner would (the same decoder, at still-image
//! effort); `parse` explains an EMVCo merchant-presented payload field by field (and classifies
//! a customer's payment code); `make` builds an FPS or PayNow code for one sale, as text and PNG.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use till::TillError;
use till_domain::{Currency, DomainError, Money};
use till_qr::{Amount, CustomerCode, FpsProxy, FpsQr, PayNowProxy, PayNowQr, PayloadView, PointOfInitiation};
use till_scanner::{Decoder, Rxing, code_frame, encode_png, read_image};

use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum QrCmd {
    /// Read the QR code in each image (PNG, or a binary PGM frame): one line per image, the
    /// path, a tab, then the text or NONE. Tabs, line ends and backslashes in the text are
    /// written \t, \n, \r and \\ so that each image stays on one line.
    Decode {
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Explain an EMVCo merchant-presented payload (FPS, PayNow, PromptPay, …) as JSON: every
    /// field with its name, position and value, templates nested, the CRC check and warnings.
    /// A customer's payment code (WeChat Pay, Alipay, …) is classified instead.
    Parse { payload: String },
    /// Make an FPS or PayNow code for one sale: the payload on stdout, and a PNG with --png.
    Make(MakeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MakeArgs {
    /// fps (Hong Kong, HKD) or paynow (Singapore, SGD).
    #[arg(long)]
    pub scheme: String,
    /// Who is paid: a mobile number (+852-67891234, +6591234567), an FPS ID (digits) or e-mail
    /// address for FPS, a UEN (e.g. 200002150H) for PayNow.
    #[arg(long)]
    pub payee: String,
    /// The amount, e.g. 12.50.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// The merchant's name, at most 25 characters.
    #[arg(long)]
    pub name: String,
    /// The merchant's city, at most 15 characters (default: Hong Kong or Singapore).
    #[arg(long)]
    pub city: Option<String>,
    /// A bill reference for the payment notice, at most 25 characters.
    #[arg(long)]
    pub reference: Option<String>,
    /// FPS: the payee's bank as its 3-digit participant code (004 HSBC, 949 Octopus, …).
    #[arg(long)]
    pub bank: Option<String>,
    /// PayNow: the last day the code can be paid, YYYYMMDD.
    #[arg(long)]
    pub expiry: Option<String>,
    /// Also write the code as a PNG image.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Pixels per module of the PNG.
    #[arg(long, default_value_t = 8)]
    pub scale: u32,
}

pub fn run(cmd: &QrCmd, out: &Out) -> Result<u8, TillError> {
    match cmd {
        QrCmd::Decode { images } => decode(images, out),
        QrCmd::Parse { payload } => {
            say(&serde_json::to_string_pretty(&explain(payload)?).unwrap_or_default());
            Ok(0)
        }
        QrCmd::Make(args) => {
            let payload = make(args)?;
            if let Some(path) = &args.png {
                write_png(&payload, args.scale, path)?;
            }
            if out.json {
                say(&json!({"ok": true, "data": {"payload": payload, "png": args.png}}).to_string());
            } else {
                say(&payload);
            }
            Ok(0)
        }
    }
}

/// Writes a line to stdout. A reader that went away (`till qr decode *.png | head`) is not an
/// error worth a panic: the rest is dropped.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// One line per image; an image that cannot be read is reported (localised, on stderr) and
/// makes the exit code 2, after the others are read.
fn decode(images: &[PathBuf], out: &Out) -> Result<u8, TillError> {
    let mut decoder = Rxing::still();
    let mut code = 0;
    let mut entries = Vec::new();
    for path in images {
        match decode_one(&mut decoder, path) {
            Ok(text) => {
                if !out.json {
                    say(&format!(
                        "{}\t{}",
                        path.display(),
                        text.as_deref().map_or("NONE".into(), escape)
                    ));
                }
                entries.push(json!({"path": path, "text": text}));
            }
            Err(e) => {
                code = 2;
                if !out.json {
                    out.error(&e);
                }
                entries.push(json!({"path": path, "error": e.localize(&out.l)}));
            }
        }
    }
    if out.json {
        say(&json!({"ok": code == 0, "data": entries}).to_string());
    }
    Ok(code)
}

/// The text of the code in the image at `path`, `None` when there is none.
fn decode_one(decoder: &mut Rxing, path: &Path) -> Result<Option<String>, TillError> {
    let bad = |e: till_scanner::ScanError| TillError::Input {
        what: "image",
        input: e.to_string(),
    };
    decoder.decode(&read_image(path).map_err(bad)?).map_err(bad)
}

/// Keeps a decoded text on one line: `\t`, `\n`, `\r` and `\` escaped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '\t' => escaped.push_str("\\t"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The JSON of `till qr parse`: a merchant payload's fields, or a customer code's wallet.
fn explain(payload: &str) -> Result<Value, TillError> {
    match till_qr::parse(payload) {
        Ok(parsed) => Ok(serde_json::to_value(PayloadView::new(&parsed)).unwrap_or_default()),
        Err(error) => match till_qr::classify(payload) {
            CustomerCode::Unknown => Err(TillError::Input {
                what: "payload",
                input: format!("{payload}: {error}"),
            }),
            wallet => Ok(json!({ "customer_presented": wallet })),
        },
    }
}

/// The payload of `till qr make`: a dynamic code (one sale) with the amount.
fn make(args: &MakeArgs) -> Result<String, TillError> {
    let currency = match args.scheme.as_str() {
        "fps" => Currency::Hkd,
        "paynow" => Currency::Sgd,
        other => {
            return Err(TillError::Input {
                what: "scheme",
                input: other.to_owned(),
            });
        }
    };
    let money = Money::parse(&args.amount, currency)?;
    let minor = u64::try_from(money.minor).map_err(|_| DomainError::AmountNegative {
        input: args.amount.clone(),
    })?;
    if minor == 0 {
        return Err(DomainError::AmountZero.into());
    }
    let decimals = u8::try_from(currency.minor_digits()).unwrap_or(2);
    let refused = |e: till_qr::QrError| TillError::Input {
        what: "qr-input",
        input: e.to_string(),
    };
    let amount = Amount::new(minor, decimals).map_err(refused)?;
    let payee = args.payee.trim().to_owned();
    let payload = if currency == Currency::Hkd {
        let proxy = if payee.starts_with('+') {
            FpsProxy::Mobile(payee)
        } else if payee.contains('@') {
            FpsProxy::Email(payee)
        } else {
            FpsProxy::FpsId(payee)
        };
        let mut code = FpsQr::new(proxy, &args.name, args.city.as_deref().unwrap_or("Hong Kong"))
            .point_of_initiation(PointOfInitiation::Dynamic)
            .amount(amount);
        if let Some(bank) = &args.bank {
            code = code.participant_code(bank);
        }
        if let Some(reference) = &args.reference {
            code = code.reference(reference);
        }
        code.build().map_err(refused)?
    } else {
        let proxy = if payee.starts_with('+') {
            PayNowProxy::Mobile(payee)
        } else {
            PayNowProxy::Uen(payee)
        };
        let mut code = PayNowQr::new(proxy, &args.name, args.city.as_deref().unwrap_or("Singapore"))
            .point_of_initiation(PointOfInitiation::Dynamic)
            .amount(amount);
        if let Some(date) = &args.expiry {
            code = code.expiry(date);
        }
        if let Some(reference) = &args.reference {
            code = code.reference(reference);
        }
        code.build().map_err(refused)?
    };
    Ok(payload.encode())
}

/// Draws `payload` as a QR code into a PNG file.
fn write_png(payload: &str, scale: u32, path: &Path) -> Result<(), TillError> {
    let failed = |reason: String| TillError::Input {
        what: "output",
        input: format!("{}: {reason}", path.display()),
    };
    let frame = code_frame(payload, scale).map_err(|e| failed(e.to_string()))?;
    let png = encode_png(&frame).map_err(failed)?;
    std::fs::write(path, png).map_err(|e| failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn args(scheme: &str, payee: &str, amount: &str) -> MakeArgs {
        MakeArgs {
            scheme: scheme.into(),
            payee: payee.into(),
            amount: amount.into(),
            name: "TEA HOUSE".into(),
            city: None,
            reference: Some("T-000042".into()),
            bank: None,
            expiry: None,
            png: None,
            scale: 4,
        }
    }

    fn refused_as(result: Result<impl std::fmt::Debug, TillError>, kind: &str) -> Result<String, String> {
        match result {
            Err(TillError::Input { what, input }) if what == kind => Ok(input),
            other => Err(format!("expected bad {kind}, got {other:?}")),
        }
    }

    #[test]
    fn made_codes_parse_back_with_their_amount_and_reference() -> TestResult {
        let fps = make(&args("fps", "+852-67891234", "12.5"))?;
        let parsed = till_qr::parse(&fps)?;
        assert_eq!(parsed.payload.amount_text(), Some("12.50"), "HKD has two decimals");
        assert_eq!(
            parsed.payload.additional_data(5),
            Some("T-000042"),
            "FPS reference label"
        );
        assert!(fps.starts_with("000201010212"), "an amount makes it dynamic: {fps}");
        let paynow = make(&args("paynow", "200002150H", "3"))?;
        assert!(paynow.contains("SG.PAYNOW") && paynow.contains("5303702"), "{paynow}");
        Ok(())
    }

    #[test]
    fn bad_make_input_is_refused_with_what_was_wrong() -> TestResult {
        refused_as(make(&args("promptpay", "+66812345678", "1")), "scheme")?;
        let input = refused_as(make(&args("fps", "12ab", "1")), "qr-input")?;
        assert!(input.contains("26.02"), "the field is named: {input}");
        assert!(matches!(
            make(&args("fps", "1234567", "0")),
            Err(TillError::Domain(DomainError::AmountZero))
        ));
        assert!(matches!(
            make(&args("fps", "1234567", "1.234")),
            Err(TillError::Domain(DomainError::AmountTooManyDecimals { .. }))
        ));
        Ok(())
    }

    #[test]
    fn a_broken_crc_is_a_clear_error_and_a_wallet_code_is_classified() -> TestResult {
        let good = make(&args("fps", "1234567", "8.80"))?;
        assert_eq!(explain(&good)?["crc"]["valid"], true);
        let broken = good.replacen("TEA HOUSE", "TEA H0USE", 1);
        let input = refused_as(explain(&broken), "payload")?;
        assert!(input.contains("CRC is") && input.contains("at character"), "{input}");
        let wallet = explain("134567890123456789")?;
        assert_eq!(wallet["customer_presented"]["wallet"], "we_chat_pay");
        refused_as(explain("hello"), "payload")?;
        Ok(())
    }

    #[test]
    fn decode_reads_a_made_png_and_refuses_an_unreadable_file() -> TestResult {
        let dir = std::env::temp_dir().join(format!("till-cli-qr-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let payload = make(&args("paynow", "+6591234567", "4.20"))?;
        let png = dir.join("paynow.png");
        write_png(&payload, 4, &png)?;
        let mut decoder = Rxing::still();
        assert_eq!(decode_one(&mut decoder, &png)?, Some(payload));
        let text = dir.join("notes.png");
        std::fs::write(&text, "not an image")?;
        let input = refused_as(decode_one(&mut decoder, &text), "image")?;
        assert!(input.contains("notes.png"), "{input}");
        refused_as(decode_one(&mut decoder, &dir.join("missing.png")), "image")?;
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn decoded_text_stays_on_one_line() {
        assert_eq!(escape("a\tb\r\nc\\d"), "a\\tb\\r\\nc\\\\d");
    }
}
