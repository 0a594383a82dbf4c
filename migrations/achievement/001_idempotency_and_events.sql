-- 001_idempotency_and_events.sql: the achievement service's tables that are not entities
-- (the entity tables achievement_definition and user_achievement are generated from
-- spec/achievement.yaml). Applied once at start-up by runtime/migrate.h, before the
-- generated step; see handlers/achievement/idempotency.h and events.h.

-- Idempotency-Key of POST /achievements/{id}/progress: one result per caller and key.
-- `result` is a snapshot of the user_achievement row the original call answered
-- (to_jsonb of the row, read back with jsonb_populate_record).
CREATE TABLE IF NOT EXISTS achievement_idempotency (
	caller_uid uuid NOT NULL,
	idem_key text NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 255),
	request_hash text NOT NULL,
	result jsonb,
	date_created timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (caller_uid, idem_key)
);
CREATE INDEX IF NOT EXISTS achievement_idempotency_date_created_idx
	ON achievement_idempotency (date_created);

-- Bus events already turned into progress, per user: every replica of the service
-- receives every event, and only the one that inserts the mark applies it.
CREATE TABLE IF NOT EXISTS achievement_event_seen (
	event_id text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 512),
	user_uid uuid NOT NULL,
	date_created timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (event_id, user_uid)
);
CREATE INDEX IF NOT EXISTS achievement_event_seen_date_created_idx
	ON achievement_event_seen (date_created);
