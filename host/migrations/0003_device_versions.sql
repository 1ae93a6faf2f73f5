-- Staged roll-outs (issue 14): what each till said it runs when it last asked for an update
-- (GET /api/v1/update?platform=&current=), so a shop's page shows which tills have the release.
ALTER TABLE devices ADD COLUMN app_version TEXT;
ALTER TABLE devices ADD COLUMN app_platform TEXT;
ALTER TABLE devices ADD COLUMN update_checked_at TIMESTAMPTZ;
