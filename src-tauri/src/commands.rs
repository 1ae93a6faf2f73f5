//! The commands the UI calls: each one line over the shell (one till call, converted).
//! Inputs and outputs are in `dto`; every error is `{code, message_id, args}`.

use std::sync::Arc;

use tauri::State;

use crate::dto::{self, Res};
use crate::setup;
use crate::shell::Shell;

type S<'a> = State<'a, Arc<Shell>>;

// ---- S0: the first start ---------------------------------------------------------------

/// Whether the wizard is on (a new till, not open yet).
#[tauri::command]
pub fn setup_needed(app: tauri::AppHandle) -> bool {
    use tauri::Manager;
    app.try_state::<Arc<setup::Pending>>().is_some() && app.try_state::<Arc<Shell>>().is_none()
}

/// The language to greet in before the till is open.
#[tauri::command]
pub fn start_lang(lang: State<'_, crate::StartLang>) -> String {
    lang.0.tag().to_owned()
}

/// Why the till could not be opened at start, if it could not.
#[tauri::command]
pub fn start_error(app: tauri::AppHandle) -> Option<dto::Error> {
    use tauri::Manager;
    app.try_state::<crate::StartFailure>().map(|f| f.0.clone())
}

#[tauri::command]
pub fn setup_ports() -> setup::PortsOut {
    setup::ports()
}

#[tauri::command]
pub async fn setup_test(pending: State<'_, Arc<setup::Pending>>, input: setup::SetupIn, device: String) -> Res<()> {
    setup::test(&pending, &input, &device).await
}

/// The wizard's Enrol: the back office's activation code for this till.
#[tauri::command]
pub async fn setup_enrol(
    pending: State<'_, Arc<setup::Pending>>,
    url: String,
    code: String,
    till_id: String,
) -> Res<setup::EnrolOut> {
    setup::enrol(&pending, &url, &code, &till_id).await
}

/// Writes the till's settings (or, without answers, makes the demo till), opens the till and
/// sets the first operator's PIN.
#[tauri::command]
pub async fn setup_finish(
    app: tauri::AppHandle,
    pending: State<'_, Arc<setup::Pending>>,
    input: Option<setup::SetupIn>,
) -> Res<dto::AppInfo> {
    use tauri::Manager;
    if app.try_state::<Arc<Shell>>().is_some() {
        return Err(till::TillError::Config(format!("{}: this till is already set up", pending.dir.display())).into());
    }
    let pending = pending.inner().clone();
    // Without answers, opening the till makes the demo till's settings (as a demo start does).
    let first = match &input {
        Some(form) => Some(setup::finish(&pending, form).await?),
        None => None,
    };
    let lang = match &input {
        Some(form) => Some(dto::lang(&form.lang)?),
        None => pending.lang,
    };
    let ui = crate::events::Ui::new(app.clone());
    let shell = Shell::open(ui, &pending.dir, lang, pending.customer_display).await?;
    if let (Some((default_pin, change)), Some(form)) = (&first, &input) {
        shell.first_operator(default_pin, &form.pin, change)?;
    }
    let info = shell.info();
    crate::start(&app, shell);
    Ok(info)
}

/// Settings → Devices (Manager).
#[tauri::command]
pub fn device_settings(shell: S<'_>) -> Res<dto::DeviceSettings> {
    shell.device_settings()
}

#[tauri::command]
pub async fn try_device(shell: S<'_>, change: dto::DeviceIn) -> Res<String> {
    shell.try_device(&change).await
}

/// Keys typed while a code is awaited: a keyboard-wedge scanner's, told from a person's.
#[tauri::command]
pub fn scanner_keys(shell: S<'_>, keys: Vec<dto::KeyIn>) {
    shell.scanner_keys(&keys);
}

#[tauri::command]
pub async fn set_device(shell: S<'_>, change: dto::DeviceIn) -> Res<dto::AppInfo> {
    shell.set_device(&change).await
}

/// Settings → Back office (Manager).
#[tauri::command]
pub fn host_state(shell: S<'_>) -> Res<dto::HostOut> {
    shell.host_state()
}

#[tauri::command]
pub async fn host_enrol(app: tauri::AppHandle, shell: S<'_>, url: String, code: String) -> Res<setup::EnrolOut> {
    let out = shell.host_enrol(&url, &code).await?;
    crate::events::spawn_sync(app);
    Ok(out)
}

#[tauri::command]
pub async fn host_leave(app: tauri::AppHandle, shell: S<'_>) -> Res<dto::AppInfo> {
    let info = shell.host_leave().await?;
    crate::events::spawn_sync(app);
    Ok(info)
}

/// Issue 14: what the back office offers (status bar, Settings).
#[tauri::command]
pub fn update_state(shell: S<'_>) -> crate::shell::UpdateOut {
    shell.update_state()
}

/// Settings → Check for updates (Manager).
#[tauri::command]
pub async fn update_check(shell: S<'_>) -> Res<crate::shell::UpdateOut> {
    shell.till().may(till_domain::Action::Settings)?;
    Ok(shell.check_update().await)
}

/// The cashier confirmed: the updater takes over and the app closes (it is started again).
#[tauri::command]
pub fn update_install(app: tauri::AppHandle, shell: S<'_>) -> Res<()> {
    shell.install_update(false)?;
    // A moment for the window to say "Installing the update…" before it closes; the till is
    // held meanwhile, so nothing can start.
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        app.exit(0);
    });
    Ok(())
}

#[tauri::command]
pub fn app_info(shell: S<'_>) -> dto::AppInfo {
    shell.info()
}

#[tauri::command]
pub async fn status(shell: S<'_>) -> Res<dto::Status> {
    Ok(shell.status_now().await)
}

#[tauri::command]
pub fn login(shell: S<'_>, operator: String, pin: String) -> Res<dto::SessionOut> {
    shell.login(dto::CredentialsIn { operator, pin })
}

#[tauri::command]
pub fn change_pin(shell: S<'_>, input: dto::PinChangeIn) -> Res<()> {
    shell.change_pin(input)
}

#[tauri::command]
pub fn logout(shell: S<'_>) {
    shell.logout();
}

#[tauri::command]
pub fn session(shell: S<'_>) -> Option<dto::SessionOut> {
    shell.session()
}

#[tauri::command]
pub fn set_lang(shell: S<'_>, lang: String) -> Res<dto::AppInfo> {
    shell.set_lang(&lang)
}

#[tauri::command]
pub fn quote(shell: S<'_>, input: dto::AmountsIn) -> Res<dto::Quote> {
    shell.quote(&input)
}

#[tauri::command]
pub async fn sale(shell: S<'_>, input: dto::SaleIn) -> Res<dto::Outcome> {
    shell.sale(input).await
}

#[tauri::command]
pub async fn cancel(shell: S<'_>) -> Res<()> {
    shell.cancel().await
}

#[tauri::command]
pub async fn void(shell: S<'_>, input: dto::VoidIn) -> Res<dto::Outcome> {
    shell.void(input).await
}

#[tauri::command]
pub async fn refund(shell: S<'_>, input: dto::RefundIn) -> Res<dto::Outcome> {
    shell.refund(input).await
}

#[tauri::command]
pub fn history(shell: S<'_>, input: dto::HistoryIn) -> Res<Vec<dto::Txn>> {
    shell.history(&input)
}

#[tauri::command]
pub async fn reprint(shell: S<'_>, trace: String) -> Res<dto::Outcome> {
    shell.reprint(&trace).await
}

#[tauri::command]
pub async fn receipt_preview(shell: S<'_>, trace: String) -> Res<Vec<dto::Paper>> {
    shell.receipt_preview(&trace).await
}

#[tauri::command]
pub async fn last_receipts(shell: S<'_>) -> Res<Vec<dto::Paper>> {
    Ok(shell.last_receipts().await)
}

#[tauri::command]
pub fn totals(shell: S<'_>) -> Res<dto::Totals> {
    shell.totals()
}

#[tauri::command]
pub async fn x_report(shell: S<'_>) -> Res<dto::ReportOut> {
    shell.x_report().await
}

#[tauri::command]
pub async fn settle(shell: S<'_>) -> Res<dto::ReportOut> {
    shell.settle().await
}

#[tauri::command]
pub async fn balance(shell: S<'_>) -> Res<dto::Balance> {
    shell.balance().await
}

#[tauri::command]
pub fn operators(shell: S<'_>) -> Res<Vec<dto::OperatorOut>> {
    shell.operators()
}

#[tauri::command]
pub fn add_operator(shell: S<'_>, input: dto::OperatorIn) -> Res<Vec<dto::OperatorOut>> {
    shell.add_operator(&input)
}

#[tauri::command]
pub fn remove_operator(shell: S<'_>, id: String) -> Res<Vec<dto::OperatorOut>> {
    shell.remove_operator(&id)
}

#[tauri::command]
pub fn set_refund_pin(shell: S<'_>, input: dto::PinChangeIn) -> Res<()> {
    shell.set_refund_pin(&input)
}

#[tauri::command]
pub fn set_copies(shell: S<'_>, copies: dto::Copies) -> Res<dto::AppInfo> {
    shell.set_copies(copies)
}

#[tauri::command]
pub async fn test_device(shell: S<'_>, device: String) -> Res<dto::DeviceTest> {
    shell.test_device(&device).await
}

/// The UI says a screen is rendered and its handlers attached. With `OPENTILL_BENCH_READY=1`
/// (the launch bench) the first time of each screen is printed with CLOCK_MONOTONIC, the same
/// line as tools/tauri-floor prints.
#[tauri::command]
pub fn ui_ready(screen: String) {
    crate::events::ready_line(&screen);
}
