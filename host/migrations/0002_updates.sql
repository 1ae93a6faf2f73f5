-- Signed updates (issue 14): the releases published per channel, each with a package per
-- platform (its URL and its minisign signature, Tauri's form), and each shop's choice: the
-- channel its tills follow, or one version they are pinned to (a staged roll-out).
CREATE TABLE releases (
    id           BIGSERIAL PRIMARY KEY,
    channel      TEXT NOT NULL,
    version      TEXT NOT NULL,
    notes        TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (channel, version)
);

CREATE TABLE release_packages (
    release_id  BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    platform    TEXT NOT NULL,
    url         TEXT NOT NULL,
    signature   TEXT NOT NULL,
    PRIMARY KEY (release_id, platform)
);

ALTER TABLE shops ADD COLUMN update_channel TEXT NOT NULL DEFAULT 'stable';
ALTER TABLE shops ADD COLUMN update_pin TEXT;
