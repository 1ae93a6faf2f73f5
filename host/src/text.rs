//! The portal's words in English and Chinese (Traditional, as the merchants it is modelled on
//! write it). A small table of its own: the portal's vocabulary is not the till's.

/// The portal's two languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// From the `lang` cookie or a `/lang/{id}` link; anything else is English.
    pub fn from_id(id: &str) -> Lang {
        if id.starts_with("zh") { Lang::Zh } else { Lang::En }
    }

    pub fn id(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The `lang` attribute of a page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hant",
        }
    }
}

/// (key, English, 中文).
const TABLE: &[(&str, &str, &str)] = &[
    ("activate", "Activate your account", "啟用帳戶"),
    (
        "activated",
        "Your account is active. Log in with your e-mail and PIN.",
        "帳戶已啟用，請以電郵及密碼登入。",
    ),
    (
        "activation-code-expiry",
        "The code works once and expires in 24 hours.",
        "此代碼只可使用一次，24 小時後失效。",
    ),
    (
        "activation-code-note",
        "Enter this activation code on the new POS:",
        "請在新的 POS 輸入以下啟用代碼：",
    ),
    ("active", "Active", "使用中"),
    ("address", "Address", "地址"),
    ("alias", "Name", "名稱"),
    (
        "alias-rule",
        "A name is required (at most 100 characters).",
        "必須填寫名稱（最多 100 個字元）。",
    ),
    ("all", "All", "全部"),
    ("amount", "Amount", "金額"),
    ("api-base", "API address", "API 地址"),
    ("app-id", "Merchant app id", "商戶應用程式編號"),
    ("bad-request", "The request could not be read.", "無法讀取此請求。"),
    (
        "bad-characters",
        "The request holds control characters, which no field accepts. Remove them and try again.",
        "請求含有控制字元，任何欄位都不接受。請刪除後再試。",
    ),
    ("block-pos", "Block POS", "停用 POS"),
    ("blocked", "Blocked", "已停用"),
    ("card", "Card", "卡號"),
    ("change-pin", "Change PIN", "更改密碼"),
    ("choose", "Choose", "選擇"),
    ("control", "Control", "控制"),
    ("copy-customer", "Customer copy", "顧客存根"),
    ("copy-merchant", "Merchant copy", "商戶存根"),
    ("count", "Count", "筆數"),
    ("create", "Create", "建立"),
    ("create-shop", "Create a shop", "建立分店"),
    ("date", "Date", "日期"),
    (
        "date-invalid",
        "Dates are written YYYY-MM-DD.",
        "日期格式為 YYYY-MM-DD。",
    ),
    ("delete-shop", "Delete shop", "刪除分店"),
    ("dev-files", "Download development files", "下載開發文件"),
    ("diagnostics", "Diagnostics", "診斷資料"),
    ("download-csv", "Download CSV", "下載 CSV"),
    ("email", "E-mail", "電郵"),
    ("email-invalid", "That is not an e-mail address.", "電郵地址無效。"),
    ("error", "Error", "錯誤"),
    ("events-held", "Journal events received", "已收到的日誌事件"),
    (
        "filter-invalid",
        "That filter is not one the portal knows.",
        "篩選條件無效。",
    ),
    (
        "forbidden",
        "Your role does not allow this here.",
        "你的角色不可在此執行此操作。",
    ),
    ("forgot", "Forgot your PIN?", "忘記密碼？"),
    (
        "forgot-limited",
        "Too many requests for a new PIN. Wait an hour and try again, or use the last link you received.",
        "索取新密碼的次數過多。請一小時後再試，或使用最近收到的連結。",
    ),
    (
        "form-refused",
        "This form is out of date or was sent from another site. Go back, reload the page and try again.",
        "此表格已過期，或由其他網站送出。請返回、重新載入頁面後再試。",
    ),
    ("from", "From", "由"),
    ("home", "Home", "主頁"),
    ("installed-version", "Installed version", "已安裝版本"),
    (
        "internal-error",
        "Something went wrong on our side. Please try again.",
        "系統出現錯誤，請再試一次。",
    ),
    ("invite", "Invite a user", "邀請用戶"),
    ("invited", "(invited)", "（已邀請）"),
    ("kind", "Type", "類別"),
    ("kind-refund", "Refund", "退款"),
    ("kind-sale", "Sale", "銷售"),
    ("kind-void", "Void", "取消"),
    ("last-check", "Last update check", "上次檢查更新"),
    ("last-seen", "Last seen", "最後連線"),
    (
        "link-invalid",
        "This link or code is unknown, already used or expired.",
        "此連結或代碼無效、已使用或已過期。",
    ),
    (
        "link-sent",
        "If the address is registered, a link is on its way.",
        "如該電郵已登記，重設連結已寄出。",
    ),
    (
        "live-note",
        "This page refreshes every 30 seconds.",
        "此頁每 30 秒自動更新。",
    ),
    ("login", "Log in", "登入"),
    ("login-failed", "E-mail or PIN is wrong.", "電郵或密碼錯誤。"),
    (
        "login-locked",
        "Too many wrong PINs: try again in 15 minutes.",
        "密碼錯誤次數過多，請 15 分鐘後再試。",
    ),
    ("logout", "Log out", "登出"),
    ("means", "Payment means", "付款方式"),
    ("members", "Shop members", "分店成員"),
    ("merchant", "Merchant", "商戶"),
    ("merchant-app", "Merchant app", "商戶應用程式"),
    ("merchant-profiles", "Merchant profiles", "商戶檔案"),
    ("mobile", "Mobile", "手機"),
    ("name", "Name", "名稱"),
    ("new-pin", "New PIN (6–12 digits)", "新密碼（6 至 12 位數字）"),
    ("no-diagnostics", "No diagnostics received yet.", "尚未收到診斷資料。"),
    ("not-found", "Not found.", "找不到。"),
    (
        "not-refundable",
        "Only an approved sale can be refunded.",
        "只有已批核的銷售可以退款。",
    ),
    ("not-set-up", "Waiting for activation", "等待啟用"),
    (
        "not-yourself",
        "Use your profile page to change your own account.",
        "請在個人檔案頁更改自己的帳戶。",
    ),
    ("old-pin", "Current PIN", "現有密碼"),
    ("old-pin-wrong", "The current PIN is wrong.", "現有密碼錯誤。"),
    ("operator", "Operator", "操作員"),
    (
        "operator-invalid",
        "Operator ids are letters and digits.",
        "操作員編號只可包含字母及數字。",
    ),
    ("pin", "PIN", "密碼"),
    ("pin-mismatch", "The two PINs differ.", "兩次輸入的密碼不同。"),
    (
        "pin-reset-done",
        "Your PIN is changed. Log in with the new one.",
        "密碼已更改，請以新密碼登入。",
    ),
    ("pin-rule", "A PIN is 6 to 12 digits.", "密碼須為 6 至 12 位數字。"),
    ("pins", "PINs", "密碼"),
    ("platform", "Platform", "平台"),
    ("pos", "POS", "POS"),
    ("pos-list", "POS terminals", "POS 終端機"),
    (
        "pos-name-rule",
        "A POS needs a name (at most 100 characters).",
        "POS 必須有名稱（最多 100 個字元）。",
    ),
    ("profile", "My profile", "個人檔案"),
    ("receipt-address", "Receipt address line", "收據地址"),
    (
        "receipt-header-rule",
        "Receipt header lines are at most 48 and 96 characters.",
        "收據標題最多 48 及 96 個字元。",
    ),
    ("receipt-name", "Receipt shop name", "收據商店名稱"),
    ("receipt-settings", "Receipt header and copies", "收據標題及存根"),
    ("refund", "Refund", "退款"),
    (
        "refund-amount-invalid",
        "The refund amount must be above zero and at most what remains.",
        "退款金額必須大於零且不多於餘額。",
    ),
    ("refund-block", "Block refunds", "停用退款"),
    ("refund-blocked", "Refunds blocked", "已停用退款"),
    (
        "refund-requested",
        "The refund is queued for the POS.",
        "退款已排隊等待 POS 處理。",
    ),
    ("refund-unblock", "Allow refunds", "恢復退款"),
    ("refunded", "Refunded", "已退款"),
    ("remove", "Remove", "移除"),
    ("repeat-pin", "Repeat the PIN", "再次輸入密碼"),
    ("report-t1", "T-1 report", "T-1 報表"),
    ("request-diagnostics", "Ask for diagnostics", "要求上載診斷資料"),
    ("reset-pin", "Reset POS PIN", "重設 POS 密碼"),
    ("reset-refund-pin", "Reset refund PIN", "重設退款密碼"),
    ("role", "Role", "角色"),
    ("role-admin", "Admin", "管理員"),
    ("role-customer-service", "Customer service", "客戶服務"),
    ("role-developer", "Developer", "開發人員"),
    ("role-invalid", "Choose a role from the list.", "請從清單選擇角色。"),
    ("role-merchant", "Merchant", "商戶"),
    ("role-school", "School", "學校"),
    ("role-shop-manager", "Shop manager", "分店經理"),
    ("role-staff", "Staff", "職員"),
    ("role-supervisor", "Supervisor", "主管"),
    ("save", "Save", "儲存"),
    ("search", "Search", "搜尋"),
    ("send-link", "Send a reset link", "寄出重設連結"),
    ("set-up-pos", "Set up a POS", "設定 POS"),
    ("shop", "Shop", "分店"),
    ("shop-invalid", "Choose shops from the list.", "請從清單選擇分店。"),
    (
        "shop-name-rule",
        "A shop needs a name (at most 100 characters).",
        "分店必須有名稱（最多 100 個字元）。",
    ),
    (
        "shop-required",
        "This role works in shops: choose at least one.",
        "此角色須指定最少一間分店。",
    ),
    ("shops", "Shops", "分店"),
    ("since", "Customer since", "開戶日期"),
    ("status", "Status", "狀態"),
    ("status-approved", "Approved", "已批核"),
    ("status-cancelled", "Cancelled", "已取消"),
    ("status-declined", "Declined", "已拒絕"),
    ("status-pending", "Pending", "處理中"),
    ("status-reversed", "Reversed", "已沖正"),
    ("status-unknown", "Unknown", "結果不明"),
    ("status-voided", "Voided", "已取消交易"),
    ("tab-alipay", "Alipay", "支付寶"),
    ("tab-card", "Visa/Mastercard", "Visa/Mastercard"),
    ("tab-cash", "Cash", "現金"),
    ("tab-fps", "FPS", "轉數快"),
    ("tab-other", "Other", "其他"),
    ("tab-paynow", "PayNow", "PayNow"),
    ("tab-stored-value", "Octopus", "八達通"),
    ("tab-tap-and-go", "Tap & Go", "拍住賞"),
    ("tab-unionpay", "UnionPay", "銀聯"),
    ("tab-wechat-pay", "WeChat Pay", "微信支付"),
    ("till-id", "Till id", "收銀機編號"),
    ("time", "Time", "時間"),
    ("to", "To", "至"),
    ("today-sales", "Approved sales today", "今日已批核銷售"),
    ("trace", "Trace", "追蹤號"),
    ("transactions", "Transactions", "交易紀錄"),
    ("unblock-pos", "Unblock POS", "恢復 POS"),
    ("update-channel", "Channel", "更新頻道"),
    (
        "update-channel-invalid",
        "A channel name is 1 to 32 lower-case letters, digits or hyphens. Nothing was changed.",
        "頻道名稱須為 1 至 32 個小寫英文字母、數字或連字號。設定未有更改。",
    ),
    ("update-never-checked", "Not checked yet", "尚未檢查"),
    ("update-newest", "Newest of the channel", "頻道最新版本"),
    ("update-none-published", "none published", "尚未發佈"),
    ("update-offered-now", "Offered now", "目前提供"),
    (
        "update-pin-unpublished",
        "No release of that version is published, so the shop cannot be pinned to it. Nothing was changed.",
        "此版本尚未發佈，分店不能固定於此版本。設定未有更改。",
    ),
    ("update-pinned", "pinned to", "固定於"),
    (
        "update-read-only",
        "Only the merchant or an admin can change the updates of a shop.",
        "只有商戶或管理員可以更改分店的軟件更新設定。",
    ),
    (
        "update-state-ahead",
        "Newer than the shop's release",
        "比分店的版本更新",
    ),
    ("update-state-current", "Up to date", "已是最新"),
    (
        "update-state-no-package",
        "No package for its platform",
        "沒有適用於其平台的安裝檔",
    ),
    ("update-state-offered", "Update offered", "已提供更新"),
    ("update-state-unknown", "Version unreadable", "無法讀取版本"),
    ("update-version", "Version", "版本"),
    (
        "update-version-invalid",
        "That is not a version number (for example 1.4.0). Nothing was changed.",
        "這不是版本號碼（例如 1.4.0）。設定未有更改。",
    ),
    ("updates", "Updates", "軟件更新"),
    (
        "user-exists",
        "That user is already a member of this merchant.",
        "該用戶已是此商戶的成員。",
    ),
    ("users", "Users", "用戶"),
    (
        "welcome",
        "Welcome to the OpenTill merchant portal.",
        "歡迎使用 OpenTill 商戶平台。",
    ),
];

/// The text of `key` in `lang`; the key itself if the table lacks it (the test below makes
/// sure it never does for a key the portal uses).
pub fn tr(lang: Lang, key: &str) -> &'static str {
    match TABLE.iter().find(|(k, _, _)| *k == key) {
        Some(&(_, en, zh)) => match lang {
            Lang::En => en,
            Lang::Zh => zh,
        },
        None => TABLE
            .iter()
            .find(|(k, _, _)| *k == "error")
            .map_or("?", |&(_, en, _)| en),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the portal's source passes to `tr`/`t`/`Invalid`, or returns from a label
    /// function, is in the table.
    #[test]
    fn every_key_used_by_the_portal_has_both_languages() -> Result<(), String> {
        // Every file of the portal, so a page file added later is read too.
        let src_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        // updates.rs names the messages of its refusals, which the portal shows.
        let mut files = vec![src_dir.join("html.rs"), src_dir.join("updates.rs")];
        for entry in std::fs::read_dir(src_dir.join("portal")).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|x| x == "rs") {
                files.push(path);
            }
        }
        assert!(files.len() >= 10, "the portal's files were not found: {files:?}");
        let mut sources = Vec::new();
        for f in &files {
            sources.push(std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?);
        }
        let mut missing = Vec::new();
        let mut seen = 0;
        for src in &sources {
            for marker in [
                "ctx.t(\"",
                "self.t(\"",
                "tr(lang, \"",
                "Invalid(\"",
                ".page(\"",
                "public_page(lang, \"",
                "=> \"",
                "label: \"",
                // rustfmt may put the key on the next line: whitespace is skipped here.
                "refused(",
            ] {
                for (i, _) in src.match_indices(marker) {
                    let rest = &src[i + marker.len()..];
                    let rest = if marker.ends_with('(') {
                        let Some(r) = rest.trim_start().strip_prefix('"') else {
                            continue;
                        };
                        r
                    } else {
                        rest
                    };
                    let Some(end) = rest.find('"') else { continue };
                    let key = &rest[..end];
                    // `=> "x"` also matches non-keys (ids): only hyphenated label ids count there.
                    if marker == "=> \"" && !(key.contains('-') && TABLE_PREFIXES.iter().any(|p| key.starts_with(p))) {
                        continue;
                    }
                    seen += 1;
                    if !TABLE.iter().any(|(k, _, _)| *k == key) {
                        missing.push(key.to_owned());
                    }
                }
            }
        }
        assert!(
            seen > 100,
            "the scan found only {seen} uses: is it still reading the portal?"
        );
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing translations: {missing:?}"))
        }
    }

    const TABLE_PREFIXES: &[&str] = &["tab-", "status-", "kind-", "role-", "update-"];

    #[test]
    fn no_key_is_listed_twice_and_none_is_empty() {
        for (i, (k, en, zh)) in TABLE.iter().enumerate() {
            assert!(!en.is_empty() && !zh.is_empty(), "{k} needs both languages");
            assert!(!TABLE[..i].iter().any(|(k2, _, _)| k2 == k), "{k} is listed twice");
        }
        assert_eq!(tr(Lang::Zh, "login"), "登入");
    }
}
