-- Baton schema, version 4: the browser origins a client's sessions may be refreshed from (CORS),
-- a JSON array of origins, or NULL for none besides the service-wide list.

ALTER TABLE clients ADD COLUMN allowed_origins TEXT;
