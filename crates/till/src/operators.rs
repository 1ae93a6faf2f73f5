//! S1–S3: operators, PINs, sessions, and the settings a Manager may change.

use super::*;

impl Till {
    /// Checks an operator's PIN with the lockout policy; every attempt is counted.
    pub(crate) fn check_pin(&self, operator: &str, pin: &str, refund_pin: bool) -> Result<Operator> {
        let now = self.now();
        let op = self
            .journal()
            .operator(operator)?
            .ok_or_else(|| DomainError::UnknownOperator {
                operator: operator.to_owned(),
            })?;
        let auth = lock(&self.auth);
        let state = auth.get(operator)?;
        if let Some(until) = state.locked_at(now) {
            return Err(DomainError::OperatorLocked {
                operator: operator.to_owned(),
                until: self.local(until),
            }
            .into());
        }
        let hash = if refund_pin {
            op.refund_pin_hash.as_deref().unwrap_or(&op.pin_hash)
        } else {
            &op.pin_hash
        };
        let ok = verify_pin(hash, pin);
        let next = state.after_attempt(ok, now);
        auth.set(operator, next)?;
        if ok {
            return Ok(op);
        }
        Err(match next.locked_at(now) {
            Some(until) => DomainError::OperatorLocked {
                operator: operator.to_owned(),
                until: self.local(until),
            },
            None => DomainError::PinWrong {
                remaining: next.remaining(),
            },
        }
        .into())
    }

    /// S1: logs an operator in. A default PIN must be changed first (`PinChangeRequired`).
    pub fn login(&self, operator: &str, pin: &str) -> Result<Session> {
        let op = self.check_pin(operator, pin, false)?;
        if op.must_change_pin {
            return Err(DomainError::PinChangeRequired.into());
        }
        let now = self.now();
        let session = Session {
            operator: op.id,
            role: op.role,
            started_at: now,
            last_activity: now,
        };
        *lock(&self.session) = Some(session.clone());
        Ok(session)
    }

    pub fn logout(&self) {
        *lock(&self.session) = None;
    }

    pub fn session(&self) -> Option<Session> {
        lock(&self.session).clone()
    }

    /// Changes an operator's own PIN (the first-login change included).
    pub fn change_pin(&self, operator: &str, old_pin: &str, new_pin: &str) -> Result<()> {
        validate_new_pin(new_pin)?;
        self.check_pin(operator, old_pin, false)?;
        if old_pin == new_pin {
            return Err(DomainError::PinUnchanged.into());
        }
        let pin_hash = hash_pin(new_pin, &rand::thread_rng().r#gen())?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::PinChanged {
                    id: operator.to_owned(),
                    pin_hash,
                },
            },
        }])?;
        Ok(())
    }

    /// S2 on screen: ends the logged-in session once it is idle past the timeout or the daily
    /// re-login window has begun since login, as the next action would — but never while a
    /// transaction is under way (it finishes; the next action asks). Whether it ended one.
    pub fn end_session_if_due(&self) -> bool {
        if self.is_busy() {
            return false;
        }
        let now = self.now();
        let mut guard = lock(&self.session);
        let due = guard
            .as_ref()
            .is_some_and(|s| s.check(now, &self.config.session, self.config.offset()).is_err());
        if due {
            *guard = None;
        }
        due
    }

    /// The logged-in session, if it may do `action` (S2, S3).
    pub(crate) fn authorize(&self, action: Action) -> Result<Session> {
        let now = self.now();
        let mut guard = lock(&self.session);
        let session = guard.as_mut().ok_or(TillError::NotLoggedIn)?;
        if let Err(e) = session.check(now, &self.config.session, self.config.offset()) {
            *guard = None;
            return Err(e.into());
        }
        if !session.role.allows(action) {
            return Err(DomainError::PermissionDenied {
                operator: session.operator.clone(),
                action: action.id().to_owned(),
            }
            .into());
        }
        session.last_activity = now;
        Ok(session.clone())
    }

    /// A supervisor or refund PIN prompt: the operator must hold a role that allows `action`.
    pub(crate) fn authorize_with(&self, creds: &Credentials, action: Action) -> Result<Operator> {
        let op = self.check_pin(&creds.operator, &creds.pin, action == Action::Refund)?;
        if !op.role.allows(action) {
            return Err(DomainError::PermissionDenied {
                operator: op.id,
                action: action.id().to_owned(),
            }
            .into());
        }
        Ok(op)
    }

    /// Whether the logged-in operator may change the till's settings (T13: a manager).
    pub fn check_may_change_settings(&self) -> Result<()> {
        self.authorize(Action::Settings).map(|_| ())
    }

    /// Journals a change of till.toml (T13): who, which key, from what to what (secrets
    /// masked by the caller). The caller has checked and written it.
    pub fn record_setting(&self, key: &str, from: Option<String>, to: String) -> Result<()> {
        let session = self.authorize(Action::Settings)?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Setting {
                operator: session.operator,
                key: key.to_owned(),
                from,
                to,
            },
        }])?;
        Ok(())
    }

    pub fn operators(&self) -> Result<Vec<Operator>> {
        self.authorize(Action::ManageOperators)?;
        Ok(self.journal().operators()?)
    }

    /// Adds an operator with a first PIN that must be changed at first login.
    pub fn add_operator(&self, id: &str, name: &str, role: Role, pin: &str) -> Result<()> {
        self.authorize(Action::ManageOperators)?;
        validate_new_pin(pin)?;
        if self.journal().operator(id)?.is_some() {
            return Err(DomainError::OperatorExists {
                operator: id.to_owned(),
            }
            .into());
        }
        let operator = Operator {
            id: id.to_owned(),
            name: name.to_owned(),
            role,
            pin_hash: hash_pin(pin, &rand::thread_rng().r#gen())?,
            refund_pin_hash: None,
            must_change_pin: true,
        };
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::Added { operator },
            },
        }])?;
        Ok(())
    }

    pub fn remove_operator(&self, id: &str) -> Result<()> {
        self.authorize(Action::ManageOperators)?;
        let ops = self.journal().operators()?;
        let target = ops
            .iter()
            .find(|o| o.id == id)
            .ok_or_else(|| DomainError::UnknownOperator {
                operator: id.to_owned(),
            })?;
        if target.role == Role::Manager && ops.iter().filter(|o| o.role == Role::Manager).count() == 1 {
            return Err(DomainError::LastManager.into());
        }
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::Removed { id: id.to_owned() },
            },
        }])?;
        Ok(())
    }

    /// Sets an operator's own refund PIN (distinct from the login PIN).
    pub fn set_refund_pin(&self, operator: &str, login_pin: &str, refund_pin: &str) -> Result<()> {
        validate_new_pin(refund_pin)?;
        self.check_pin(operator, login_pin, false)?;
        let hash = hash_pin(refund_pin, &rand::thread_rng().r#gen())?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::RefundPinChanged {
                    id: operator.to_owned(),
                    refund_pin_hash: Some(hash),
                },
            },
        }])?;
        Ok(())
    }
}
