-- Issue 18: the name a merchant knows a person by is the merchant's own (its membership), never
-- the person's profile, which only the person edits. NULL: the person's own name.
ALTER TABLE memberships ADD COLUMN alias TEXT;
