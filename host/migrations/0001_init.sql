-- The back office's one store. Times are timestamptz; money is integer minor units.

CREATE TABLE merchants (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          BIGSERIAL PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    alias       TEXT NOT NULL,
    mobile      TEXT NOT NULL DEFAULT '',
    pin_hash    TEXT,
    lang        TEXT NOT NULL DEFAULT 'en',
    failed_logins INT NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A user's role at one merchant (a user may work for several: H1 "choose a merchant profile").
CREATE TABLE memberships (
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    PRIMARY KEY (user_id, merchant_id)
);

CREATE TABLE shops (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    name        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at  TIMESTAMPTZ
);

-- The shops a shop-scoped user (shop manager, supervisor, staff) works in.
CREATE TABLE membership_shops (
    user_id     BIGINT NOT NULL,
    merchant_id BIGINT NOT NULL,
    shop_id     BIGINT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, merchant_id, shop_id),
    FOREIGN KEY (user_id, merchant_id) REFERENCES memberships(user_id, merchant_id) ON DELETE CASCADE
);

-- One-time links: account activation (72 hours) and PIN reset. Stored hashed.
CREATE TABLE user_tokens (
    hash        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);

CREATE TABLE sessions (
    hash        TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    merchant_id BIGINT,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- Mail the host would send (activation and reset links); a relay picks them up.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    to_email    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A POS terminal. `held` is the highest journal sequence held without a gap.
CREATE TABLE devices (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    shop_id         BIGINT NOT NULL REFERENCES shops(id),
    name            TEXT NOT NULL,
    till_id         TEXT,
    serial          TEXT,
    token_hash      TEXT UNIQUE,
    held            BIGINT NOT NULL DEFAULT 0,
    blocked         BOOLEAN NOT NULL DEFAULT false,
    refund_blocked  BOOLEAN NOT NULL DEFAULT false,
    receipt_name    TEXT,
    receipt_address TEXT,
    copy_merchant   BOOLEAN,
    copy_customer   BOOLEAN,
    diagnostics_requested BOOLEAN NOT NULL DEFAULT false,
    last_seen       TIMESTAMPTZ,
    enrolled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at      TIMESTAMPTZ
);

CREATE TABLE activation_codes (
    hash        TEXT PRIMARY KEY,
    device_id   BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);

CREATE TABLE commands (
    id          BIGSERIAL PRIMARY KEY,
    device_id   BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    acked_at    TIMESTAMPTZ
);
CREATE INDEX commands_pending ON commands (device_id, id) WHERE acked_at IS NULL;

-- Every journal event exactly once: the key is (device, sequence).
CREATE TABLE events (
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    seq         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);

-- Transactions as the fold of their events (the same `Transaction::apply` the till uses).
CREATE TABLE txns (
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    id          TEXT NOT NULL,
    merchant_id BIGINT NOT NULL,
    shop_id     BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    means       TEXT NOT NULL,
    tab         TEXT NOT NULL,
    status      TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    tip_minor   BIGINT NOT NULL,
    refunded_minor BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    trace       TEXT NOT NULL,
    batch       BIGINT NOT NULL,
    auth_code   TEXT,
    last4       TEXT,
    started_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (device_id, id)
);
CREATE INDEX txns_by_merchant_time ON txns (merchant_id, started_at DESC);

CREATE TABLE diagnostics (
    id          BIGSERIAL PRIMARY KEY,
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    body        TEXT NOT NULL
);

-- Refunds asked for in the portal, for the till to carry out (the card is at the till).
CREATE TABLE refund_requests (
    id          BIGSERIAL PRIMARY KEY,
    device_id   BIGINT NOT NULL,
    txn_id      TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users(id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (device_id, txn_id) REFERENCES txns(device_id, id)
);
