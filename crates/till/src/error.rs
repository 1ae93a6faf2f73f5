//! The till's error: a refusal by the rules, or a journal or device failure. Each carries a
//! stable code, a message id and arguments, so front ends localise without matching strings.

use serde::Serialize;
use thiserror::Error;
use till_domain::DomainError;
use till_domain::ports::DeviceError;
use till_i18n::Localizer;
use till_journal::JournalError;

#[derive(Debug, Error)]
pub enum TillError {
    /// The rules refused the command; nothing changed.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The journal could not be read or written; if it was a write, nothing was charged.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// A device failed where no transaction was at stake (status, report, balance, print).
    #[error("{device}: {error}")]
    Device { device: &'static str, error: DeviceError },
    /// A command that needs an operator was given none.
    #[error("not logged in")]
    NotLoggedIn,
    /// A transaction is still Pending/Unknown and the device that could resolve it is not
    /// answering: no new transaction until it is resolved (T8).
    #[error("transaction {trace} is unresolved")]
    Unresolved { trace: String },
    /// Input that is not a value of its kind: a payment means, role or date a front end could
    /// not parse. `what` names the kind (`means`, `role`, `date`).
    #[error("not a {what}: {input:?}")]
    Input { what: &'static str, input: String },
    /// till.toml could not be read or written.
    #[error("configuration: {0}")]
    Config(String),
    /// An update may not install now: a flow runs (`busy`), a transaction waits for recovery
    /// (`unresolved`) or the batch is settling (`settling`).
    #[error("an update cannot install now: {reason}")]
    UpdateHeld { reason: &'static str },
}

/// What crosses to a front end: `{code, message_id, args}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDto {
    pub code: String,
    pub message_id: String,
    pub args: Vec<(String, String)>,
}

impl TillError {
    /// The error of a failed call to `device`, for `map_err(TillError::device("terminal"))`.
    pub fn device(device: &'static str) -> impl Fn(DeviceError) -> TillError + Copy {
        move |error| TillError::Device { device, error }
    }

    pub fn dto(&self) -> ErrorDto {
        let (code, message_id, args) = match self {
            TillError::Domain(e) => (e.code().to_owned(), e.message_id(), e.args()),
            TillError::Journal(JournalError::ChainBroken { seq, detail }) => (
                "journal-broken".to_owned(),
                "error-journal-broken".to_owned(),
                vec![
                    ("seq".to_owned(), seq.to_string()),
                    ("detail".to_owned(), detail.clone()),
                ],
            ),
            TillError::Journal(JournalError::InUse { path }) => (
                "journal-in-use".to_owned(),
                "error-journal-in-use".to_owned(),
                vec![("path".to_owned(), path.clone())],
            ),
            TillError::Journal(JournalError::TooNew { found, supported }) => (
                "journal-too-new".to_owned(),
                "error-journal-too-new".to_owned(),
                vec![
                    ("found".to_owned(), found.to_string()),
                    ("supported".to_owned(), supported.to_string()),
                ],
            ),
            TillError::Journal(e) => (
                "journal".to_owned(),
                "error-journal".to_owned(),
                vec![("detail".to_owned(), e.to_string())],
            ),
            TillError::Device { device, error } => (
                format!(
                    "device-{}",
                    error
                        .message_id()
                        .trim_start_matches("device-")
                        .trim_start_matches("printer-")
                ),
                "error-device".to_owned(),
                vec![
                    ("device".to_owned(), (*device).to_owned()),
                    ("detail".to_owned(), error.message_id().to_owned()),
                ],
            ),
            TillError::NotLoggedIn => ("not-logged-in".to_owned(), "error-not-logged-in".to_owned(), vec![]),
            TillError::Unresolved { trace } => (
                "unresolved".to_owned(),
                "error-unresolved".to_owned(),
                vec![("trace".to_owned(), trace.clone())],
            ),
            TillError::Input { what, input } => (
                format!("bad-{what}"),
                format!("error-bad-{what}"),
                vec![("input".to_owned(), input.clone())],
            ),
            TillError::Config(detail) => (
                "config".to_owned(),
                "error-config".to_owned(),
                vec![("detail".to_owned(), detail.clone())],
            ),
            TillError::UpdateHeld { reason } => {
                ("update-held".to_owned(), format!("error-update-held-{reason}"), vec![])
            }
        };
        ErrorDto { code, message_id, args }
    }

    /// The error in the operator's language. Arguments that are themselves message ids (a
    /// device error's detail) are localised too.
    pub fn localize(&self, l: &Localizer) -> String {
        if let TillError::Device {
            error: e @ (DeviceError::PaperOut | DeviceError::CoverOpen),
            ..
        } = self
        {
            return l.text(e.message_id(), &[]);
        }
        let dto = self.dto();
        let args: Vec<(String, String)> = dto
            .args
            .into_iter()
            .map(|(k, v)| {
                let v = if v.starts_with("device-") {
                    l.text(&v, &[])
                } else if k == "device" {
                    // A device by name (`terminal`) as the app names it ("PIN pad", 密碼鍵盤).
                    let name = format!("app-device-name-{v}");
                    if l.has(&name) { l.text(&name, &[]) } else { v }
                } else {
                    v
                };
                (k, v)
            })
            .collect();
        l.text_owned(&dto.message_id, &args)
    }

    /// Process exit code for the CLI: 2 refused input, 3 authentication, 4 blocked,
    /// 5 not found, 6 device, 7 journal, 8 unresolved (or an update held back by one).
    pub fn exit_code(&self) -> i32 {
        match self {
            TillError::Domain(e) => match e {
                DomainError::PinWrong { .. }
                | DomainError::OperatorLocked { .. }
                | DomainError::PinChangeRequired
                | DomainError::UnknownOperator { .. }
                | DomainError::PermissionDenied { .. }
                | DomainError::SessionExpired => 3,
                DomainError::PosBlocked | DomainError::RefundBlocked => 4,
                DomainError::UnknownTrace { .. } => 5,
                _ => 2,
            },
            TillError::NotLoggedIn => 3,
            TillError::Input { .. } => 2,
            TillError::Device { .. } => 6,
            TillError::Journal(_) | TillError::Config(_) => 7,
            TillError::Unresolved { .. } | TillError::UpdateHeld { .. } => 8,
        }
    }
}

pub type Result<T> = std::result::Result<T, TillError>;
