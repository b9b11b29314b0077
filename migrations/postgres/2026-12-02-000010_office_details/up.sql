-- An office's address and telephone, shown to citizens on its public pages and
-- kept by its administrators. Kept in step with the other engine's migration.
ALTER TABLE offices ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN phone TEXT NOT NULL DEFAULT '';
