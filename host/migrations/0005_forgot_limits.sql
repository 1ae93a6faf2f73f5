-- Issue 18: every "forgot PIN" request, known address or not, so they are limited per address
-- asked for and per client (kept a day).
CREATE TABLE forgot_requests (
    email       TEXT NOT NULL,
    client      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX forgot_requests_at ON forgot_requests (at);
