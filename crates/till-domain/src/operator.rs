//! Operators, roles and the PIN policy (FLOWS.md S1–S3): argon2id hashes, a 6-digit PIN, the
//! default PIN (last 4 digits of the serial) that must change at first login, and lockout after
//! 5 wrong PINs for 15 minutes. Salts and time come in as arguments.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::config::SessionPolicy;
use crate::error::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Cashier,
    Supervisor,
    Manager,
}

impl Role {
    pub fn id(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
        }
    }

    pub fn from_id(id: &str) -> Option<Role> {
        [Role::Cashier, Role::Supervisor, Role::Manager]
            .into_iter()
            .find(|r| r.id() == id)
    }

    /// S3: Cashier (sale, history, reprint), Supervisor (+ void, refund, X report, settlement),
    /// Manager (+ operators, device and receipt settings).
    pub fn allows(self, action: Action) -> bool {
        let needed = match action {
            Action::Sale | Action::History | Action::Reprint | Action::Balance => Role::Cashier,
            Action::Void | Action::Refund | Action::XReport | Action::Settle => Role::Supervisor,
            Action::ManageOperators | Action::Settings => Role::Manager,
        };
        self >= needed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Sale,
    History,
    Reprint,
    Balance,
    Void,
    Refund,
    XReport,
    Settle,
    ManageOperators,
    Settings,
}

impl Action {
    pub fn id(self) -> &'static str {
        match self {
            Action::Sale => "sale",
            Action::History => "history",
            Action::Reprint => "reprint",
            Action::Balance => "balance",
            Action::Void => "void",
            Action::Refund => "refund",
            Action::XReport => "x-report",
            Action::Settle => "settle",
            Action::ManageOperators => "manage-operators",
            Action::Settings => "settings",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// argon2id PHC string of the login PIN.
    pub pin_hash: String,
    /// argon2id PHC string of the refund PIN; `None` means the login PIN is the refund PIN.
    pub refund_pin_hash: Option<String>,
    /// Set for the default PIN: nothing but a PIN change is allowed until it is cleared.
    pub must_change_pin: bool,
}

/// Changes to operators, carried in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum OperatorEvent {
    Added {
        operator: Operator,
    },
    PinChanged {
        id: String,
        pin_hash: String,
    },
    RefundPinChanged {
        id: String,
        refund_pin_hash: Option<String>,
    },
    /// The host reset the PIN (H3): a new default that must change at next login.
    PinReset {
        id: String,
        pin_hash: String,
    },
    Removed {
        id: String,
    },
}

impl OperatorEvent {
    pub fn operator_id(&self) -> &str {
        match self {
            OperatorEvent::Added { operator } => &operator.id,
            OperatorEvent::PinChanged { id, .. }
            | OperatorEvent::RefundPinChanged { id, .. }
            | OperatorEvent::PinReset { id, .. }
            | OperatorEvent::Removed { id } => id,
        }
    }

    /// Applies the event to the operator it names (`None` when removed or not yet added).
    pub fn apply(&self, current: Option<Operator>) -> Option<Operator> {
        match (self, current) {
            (OperatorEvent::Added { operator }, _) => Some(operator.clone()),
            (OperatorEvent::PinChanged { pin_hash, .. }, Some(mut op)) => {
                op.pin_hash = pin_hash.clone();
                op.must_change_pin = false;
                Some(op)
            }
            (OperatorEvent::RefundPinChanged { refund_pin_hash, .. }, Some(mut op)) => {
                op.refund_pin_hash = refund_pin_hash.clone();
                Some(op)
            }
            (OperatorEvent::PinReset { pin_hash, .. }, Some(mut op)) => {
                op.pin_hash = pin_hash.clone();
                op.must_change_pin = true;
                Some(op)
            }
            (OperatorEvent::Removed { .. }, _) | (_, None) => None,
        }
    }
}

/// Hashes a PIN with argon2id (the crate's defaults: 19 MiB, 2 passes, OWASP's minimum).
/// The 16-byte salt is passed in so this stays pure.
pub fn hash_pin(pin: &str, salt: &[u8; 16]) -> Result<String, DomainError> {
    let salt = SaltString::encode_b64(salt).map_err(|_| DomainError::PinFormat)?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| DomainError::PinFormat)
}

/// Checks a PIN against a stored PHC string; a malformed hash never verifies.
pub fn verify_pin(hash: &str, pin: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A PIN an operator may choose: exactly 6 ASCII digits.
pub fn validate_new_pin(pin: &str) -> Result<(), DomainError> {
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DomainError::PinFormat)
    }
}

/// S1: a new till's default PIN is the last 4 digits of its serial number.
pub fn default_pin(serial: &str) -> String {
    let digits: Vec<char> = serial.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("{tail:0>4}")
}

/// Failed-attempt state of one operator. Kept outside the journal: a wrong PIN changes no
/// money record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lockout {
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

pub const MAX_PIN_FAILURES: u32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

impl Lockout {
    /// Whether the operator is locked at `now`.
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// The state after one attempt. A success clears the failures; the fifth failure in a row
    /// locks for 15 minutes; a lock that has run out starts a fresh count.
    pub fn after_attempt(self, ok: bool, now: DateTime<Utc>) -> Lockout {
        if ok {
            return Lockout::default();
        }
        let failures = if self.locked_until.is_some_and(|u| u <= now) {
            1
        } else {
            self.failures + 1
        };
        if failures >= MAX_PIN_FAILURES {
            Lockout {
                failures,
                locked_until: Some(now + Duration::minutes(LOCKOUT_MINUTES)),
            }
        } else {
            Lockout {
                failures,
                locked_until: None,
            }
        }
    }

    pub fn remaining(&self) -> u32 {
        MAX_PIN_FAILURES.saturating_sub(self.failures)
    }
}

/// A logged-in operator at the till (S2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub operator: String,
    pub role: Role,
    pub started_at: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
}

impl Session {
    /// S2: the session ends after the idle timeout, and when a daily restart window has opened
    /// since it started. An open sale lives in the front end and survives re-login.
    pub fn check(&self, now: DateTime<Utc>, policy: &SessionPolicy, offset: FixedOffset) -> Result<(), DomainError> {
        if now - self.last_activity > Duration::minutes(i64::from(policy.idle_timeout_minutes)) {
            return Err(DomainError::SessionExpired);
        }
        let local = now.with_timezone(&offset);
        let midnight = local.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists");
        let mut window = midnight + Duration::minutes(i64::from(policy.restart_window_start_minute));
        if window > local.naive_local() {
            window -= Duration::days(1);
        }
        let window_utc = window - Duration::seconds(i64::from(offset.local_minus_utc()));
        if window_utc.and_utc() > self.started_at {
            return Err(DomainError::SessionExpired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn roles_follow_s3() {
        assert!(Role::Cashier.allows(Action::Sale));
        assert!(!Role::Cashier.allows(Action::Void));
        assert!(!Role::Cashier.allows(Action::Refund));
        assert!(Role::Supervisor.allows(Action::Settle));
        assert!(!Role::Supervisor.allows(Action::ManageOperators));
        assert!(Role::Manager.allows(Action::ManageOperators));
    }

    #[test]
    fn pins_hash_and_verify() -> Result<(), DomainError> {
        let h = hash_pin("135790", &[7; 16])?;
        assert!(h.starts_with("$argon2id$"), "argon2id is required by S1: {h}");
        assert!(verify_pin(&h, "135790"));
        assert!(!verify_pin(&h, "135791"));
        assert!(!verify_pin("garbage", "135790"));
        Ok(())
    }

    #[test]
    fn pin_policy() {
        assert_eq!(default_pin("OT2026000001"), "0001");
        assert_eq!(default_pin("SN-12"), "0012");
        assert!(validate_new_pin("123456").is_ok());
        for bad in ["12345", "1234567", "12345a", "１２３４５６", ""] {
            assert_eq!(validate_new_pin(bad), Err(DomainError::PinFormat), "{bad:?}");
        }
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).single().expect("valid");
        let mut l = Lockout::default();
        for i in 1..5 {
            l = l.after_attempt(false, t0);
            assert_eq!(l.locked_at(t0), None, "not locked after {i} failures");
        }
        l = l.after_attempt(false, t0);
        assert_eq!(l.locked_at(t0), Some(t0 + Duration::minutes(15)));
        assert_eq!(
            l.locked_at(t0 + Duration::minutes(15)),
            None,
            "the lock ends after 15 minutes"
        );
        let after = l.after_attempt(false, t0 + Duration::minutes(16));
        assert_eq!(after.failures, 1, "a fresh count starts after the lock");
        assert_eq!(l.after_attempt(true, t0).failures, 0);
    }

    #[test]
    fn session_expires_on_idle_and_restart_window() {
        let policy = SessionPolicy {
            idle_timeout_minutes: 30,
            restart_window_start_minute: 0,
            restart_window_minutes: 60,
        };
        let hk = FixedOffset::east_opt(8 * 3600).expect("valid");
        // 23:00 local = 15:00 UTC.
        let start = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).single().expect("valid");
        let s = Session {
            operator: "1".into(),
            role: Role::Cashier,
            started_at: start,
            last_activity: start,
        };
        assert!(s.check(start + Duration::minutes(20), &policy, hk).is_ok());
        assert_eq!(
            s.check(start + Duration::minutes(31), &policy, hk),
            Err(DomainError::SessionExpired)
        );
        let busy = Session {
            last_activity: start + Duration::minutes(70),
            ..s.clone()
        };
        // 00:15 local the next day: midnight passed since login.
        assert_eq!(
            busy.check(start + Duration::minutes(75), &policy, hk),
            Err(DomainError::SessionExpired)
        );
    }
}
