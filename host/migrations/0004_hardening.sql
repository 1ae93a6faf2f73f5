-- Issue 18, a hardened portal.
-- The server's own secrets (the key CSRF tokens are derived with), made once per database so
-- every host process over it agrees and tokens survive a restart.
CREATE TABLE host_secrets (
    name        TEXT PRIMARY KEY,
    secret      TEXT NOT NULL
);

-- The idle timeout: a session unused for longer than the host's idle minutes is over.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX sessions_user ON sessions (user_id);
