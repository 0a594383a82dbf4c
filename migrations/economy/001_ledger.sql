-- 001_ledger.sql: the economy service's tables that are not entities (the entity
-- tables resource, inventory_item and transaction are generated from
-- spec/economy.yaml). Applied once at start-up by runtime/migrate.h, before the
-- generated step; see handlers/economy/ledger.h, idempotency.h and docs/economy.md.

-- The ledger: one row per (transaction, owner, resource) that moved, written in the
-- same SQL transaction as the inventory change. `id` orders entries as written.
CREATE TABLE IF NOT EXISTS ledger_entry (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	transaction_uid uuid NOT NULL,
	owner_uid uuid NOT NULL,
	resource_uid uuid NOT NULL,
	delta bigint NOT NULL CONSTRAINT ledger_entry_delta_check CHECK (delta <> 0),
	balance_after bigint NOT NULL CONSTRAINT ledger_entry_balance_after_check CHECK (balance_after >= 0),
	date_created timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT ledger_entry_once_key UNIQUE (transaction_uid, owner_uid, resource_uid)
);
CREATE INDEX IF NOT EXISTS ledger_entry_owner_idx ON ledger_entry (owner_uid, resource_uid, id);

-- Append-only: what was written stays (SQLSTATE 23001, restrict_violation).
CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'ledger_entry is append-only' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE OR REPLACE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
	FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only();

-- Idempotency-Key of POST /transactions and POST /resources/{id}/purchase: one answer
-- per caller and key; response_body is the transaction's JSON snapshot.
CREATE TABLE IF NOT EXISTS idempotency_key (
	caller_uid uuid NOT NULL,
	idem_key text NOT NULL CONSTRAINT idempotency_key_length_check CHECK (length(idem_key) BETWEEN 1 AND 255),
	request_hash text NOT NULL,
	response_status int,
	response_body text,
	date_created timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (caller_uid, idem_key)
);
CREATE INDEX IF NOT EXISTS idempotency_key_date_created_idx ON idempotency_key (date_created);
