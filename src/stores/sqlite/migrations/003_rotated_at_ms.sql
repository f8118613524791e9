-- Baton schema, version 3: the time of a session's last refresh in milliseconds, so that the
-- reuse grace is measured to the millisecond (a grace of 0 means strict rotation).

ALTER TABLE sessions RENAME COLUMN rotated_at TO rotated_at_ms;
UPDATE sessions SET rotated_at_ms = rotated_at_ms * 1000 WHERE rotated_at_ms IS NOT NULL;
