//! Localisation for every front end of OpenTill: the CLI, the desktop app, receipts and the
//! customer display all read the same Fluent files under `locales/` (embedded at build time).
//!
//! Design choices: one [`Catalog`] parsed once per process; a lookup never fails (a missing
//! message falls back to English, then to its id, so a gap shows as an id rather than a crash,
//! and the locale test catches it before release). Unicode isolation marks are off: they print
//! as junk on receipts and pole displays.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use till_domain::Money;
use till_domain::receipt::Labels;
use unic_langid::LanguageIdentifier;

include!(concat!(env!("OUT_DIR"), "/ftl_files.rs"));

/// A language the till speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Lang {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-Hant")]
    ZhHant,
    #[serde(rename = "zh-Hans")]
    ZhHans,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::ZhHant, Lang::ZhHans];

    /// The BCP 47 tag, also the folder name under `locales/`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHant => "zh-Hant",
            Lang::ZhHans => "zh-Hans",
        }
    }

    /// Picks the closest language for a requested tag: `zh-TW`, `zh-HK`, `zh-MO` and `zh-Hant-*`
    /// are Traditional; `zh`, `zh-CN`, `zh-SG` and `zh-Hans-*` Simplified; anything else English.
    /// Accepts POSIX forms too (`zh_TW.UTF-8`).
    pub fn negotiate(requested: &str) -> Lang {
        let cleaned = requested.split('.').next().unwrap_or("").replace('_', "-");
        let Ok(id) = cleaned.parse::<LanguageIdentifier>() else {
            return Lang::En;
        };
        if id.language.as_str() != "zh" {
            return Lang::En;
        }
        match (id.script.map(|s| s.to_string()), id.region.map(|r| r.to_string())) {
            (Some(s), _) if s == "Hant" => Lang::ZhHant,
            (Some(s), _) if s == "Hans" => Lang::ZhHans,
            (None, Some(r)) if ["TW", "HK", "MO"].contains(&r.as_str()) => Lang::ZhHant,
            _ => Lang::ZhHans,
        }
    }

    /// Parses exactly one of the three tags (case-insensitive); for user input that must be one.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    pub fn is_chinese(self) -> bool {
        self != Lang::En
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// The parsed bundles of every language.
pub struct Catalog {
    bundles: BTreeMap<Lang, FluentBundle<FluentResource>>,
    /// Messages without arguments, formatted once: receipt labels are looked up on every print.
    plain: std::sync::RwLock<std::collections::HashMap<(Lang, String), String>>,
    ids: BTreeMap<Lang, BTreeSet<String>>,
    errors: Vec<String>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("ids", &self.ids.values().map(BTreeSet::len).collect::<Vec<_>>())
            .finish()
    }
}

impl Catalog {
    /// The catalog of the embedded files, parsed on first use.
    pub fn global() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::from_files(FTL_FILES))
    }

    /// Builds a catalog from `(lang tag, file name, source)` triples.
    pub fn from_files(files: &[(&str, &str, &str)]) -> Catalog {
        let mut bundles = BTreeMap::new();
        let mut ids: BTreeMap<Lang, BTreeSet<String>> = BTreeMap::new();
        let mut errors = Vec::new();
        for lang in Lang::ALL {
            let langid: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            bundle.set_use_isolating(false);
            for (tag, file, source) in files.iter().filter(|(t, _, _)| *t == lang.tag()) {
                let resource = match FluentResource::try_new((*source).to_owned()) {
                    Ok(r) => r,
                    Err((r, errs)) => {
                        errors.extend(errs.iter().map(|e| format!("{tag}/{file}: {e:?}")));
                        r
                    }
                };
                for entry in resource.entries() {
                    if let fluent_syntax::ast::Entry::Message(m) = entry {
                        ids.entry(lang).or_default().insert(m.id.name.to_owned());
                    }
                }
                if let Err(errs) = bundle.add_resource(resource) {
                    errors.extend(errs.iter().map(|e| format!("{tag}/{file}: {e:?}")));
                }
            }
            bundles.insert(lang, bundle);
        }
        Catalog {
            bundles,
            ids,
            errors,
            plain: Default::default(),
        }
    }

    /// Every message id of one language.
    pub fn message_ids(&self, lang: Lang) -> BTreeSet<String> {
        self.ids.get(&lang).cloned().unwrap_or_default()
    }

    /// Parse or duplicate-id errors met while loading (must be empty).
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.ids.get(&lang).is_some_and(|s| s.contains(id))
    }

    fn format_in(&self, lang: Lang, id: &str, args: &[(String, String)]) -> Option<String> {
        let bundle = self.bundles.get(&lang)?;
        let pattern = bundle.get_message(id)?.value()?;
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            // Plain counts go in as numbers so plural selectors work; zero-padded codes such as
            // trace numbers stay text.
            let is_count =
                !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && (v.len() == 1 || !v.starts_with('0'));
            match v.parse::<f64>() {
                Ok(n) if is_count => fargs.set(k.as_str(), FluentValue::from(n)),
                _ => fargs.set(k.as_str(), FluentValue::from(v.as_str())),
            }
        }
        let mut errs = Vec::new();
        Some(bundle.format_pattern(pattern, Some(&fargs), &mut errs).into_owned())
    }

    /// The message in `lang`, falling back to English and then to the id itself.
    pub fn text(&self, lang: Lang, id: &str, args: &[(String, String)]) -> String {
        if args.is_empty() {
            let key = (lang, id.to_owned());
            if let Some(hit) = self.plain.read().ok().and_then(|m| m.get(&key).cloned()) {
                return hit;
            }
            let text = self.format_uncached(lang, id, args);
            if let Ok(mut m) = self.plain.write() {
                m.insert(key, text.clone());
            }
            return text;
        }
        self.format_uncached(lang, id, args)
    }

    fn format_uncached(&self, lang: Lang, id: &str, args: &[(String, String)]) -> String {
        self.format_in(lang, id, args)
            .or_else(|| self.format_in(Lang::En, id, args))
            .unwrap_or_else(|| id.to_owned())
    }
}

/// A language bound to the catalog: what front ends hold.
#[derive(Debug, Clone, Copy)]
pub struct Localizer {
    pub lang: Lang,
    catalog: &'static Catalog,
}

impl Localizer {
    pub fn new(lang: Lang) -> Localizer {
        Localizer {
            lang,
            catalog: Catalog::global(),
        }
    }

    pub fn text(&self, id: &str, args: &[(&str, String)]) -> String {
        let owned: Vec<(String, String)> = args.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        self.catalog.text(self.lang, id, &owned)
    }

    pub fn text_owned(&self, id: &str, args: &[(String, String)]) -> String {
        self.catalog.text(self.lang, id, args)
    }

    /// Whether the catalog has `id` in this language.
    pub fn has(&self, id: &str) -> bool {
        self.catalog.has(self.lang, id)
    }

    /// An amount as screens show it: `HK$1,234.50`.
    pub fn money(&self, m: Money) -> String {
        format!("{}{}", m.currency.symbol(), m.grouped())
    }
}

/// Labels for receipts: each label in English beside the till's Chinese variant, messages in
/// the receipt's main language.
#[derive(Debug, Clone, Copy)]
pub struct ReceiptLabels {
    pub main: Lang,
    pub chinese: Lang,
}

impl ReceiptLabels {
    /// Receipts in `lang`; an English till prints Traditional Chinese beside English unless
    /// `chinese` says otherwise.
    pub fn for_lang(lang: Lang) -> ReceiptLabels {
        let chinese = if lang == Lang::ZhHans {
            Lang::ZhHans
        } else {
            Lang::ZhHant
        };
        ReceiptLabels { main: lang, chinese }
    }
}

impl Labels for ReceiptLabels {
    fn text(&self, id: &str, args: &[(String, String)]) -> String {
        Catalog::global().text(self.main, id, args)
    }

    fn label(&self, id: &str) -> String {
        let c = Catalog::global();
        let en = c.text(Lang::En, id, &[]);
        let zh = c.text(self.chinese, id, &[]);
        if en == zh { en } else { format!("{en} {zh}") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_chinese_variants() {
        assert_eq!(Lang::negotiate("zh-TW"), Lang::ZhHant);
        assert_eq!(Lang::negotiate("zh_HK.UTF-8"), Lang::ZhHant);
        assert_eq!(Lang::negotiate("zh-Hant"), Lang::ZhHant);
        assert_eq!(Lang::negotiate("zh-CN"), Lang::ZhHans);
        assert_eq!(Lang::negotiate("zh"), Lang::ZhHans);
        assert_eq!(Lang::negotiate("en-GB"), Lang::En);
        assert_eq!(Lang::negotiate("fr"), Lang::En);
        assert_eq!(Lang::negotiate("garbage!!"), Lang::En);
    }

    #[test]
    fn formats_arguments_and_plurals() {
        let en = Localizer::new(Lang::En);
        assert_eq!(
            en.text("error-unknown-trace", &[("trace", "000042".into())]),
            "No transaction with trace number 000042."
        );
        assert!(
            en.text("error-pin-wrong", &[("remaining", "1".into())])
                .contains("1 try left")
        );
        assert!(
            en.text("error-pin-wrong", &[("remaining", "3".into())])
                .contains("3 tries left")
        );
        let zh = Localizer::new(Lang::ZhHant);
        assert_eq!(
            zh.text("error-unknown-trace", &[("trace", "000042".into())]),
            "找不到追蹤號 000042 的交易。"
        );
    }

    #[test]
    fn receipt_labels_are_bilingual() {
        let l = ReceiptLabels::for_lang(Lang::En);
        assert_eq!(l.label("receipt-total"), "TOTAL 總額");
        let s = ReceiptLabels::for_lang(Lang::ZhHans);
        assert_eq!(s.label("receipt-total"), "TOTAL 总额");
        assert_eq!(l.label("receipt-aid"), "AID", "identical labels are not doubled");
    }

    #[test]
    fn missing_message_falls_back_to_id() {
        assert_eq!(
            Localizer::new(Lang::ZhHans).text("no-such-message", &[]),
            "no-such-message"
        );
    }
}
