-- 001_auth_tables.sql: the account service's tables that are not entities (the entity
-- tables "user" and "role" are generated from spec/account.yaml). Applied once at start-up
-- by runtime/migrate.h, before the generated step; see handlers/account/ and docs/account.md.
--
-- Secrets are kept only as hashes: argon2id for passwords (low entropy), SHA-256 for device
-- ids and refresh tokens (random, so a fast hash is enough and a lookup is one index probe).
-- No foreign key points at the generated "user" table (this file runs before it exists on a
-- fresh database); account_user_delete removes these rows in the user's transaction.

-- One argon2id hash (PHC string: parameters, salt, hash) per user with a password.
CREATE TABLE IF NOT EXISTS account_password (
	user_uid uuid PRIMARY KEY,
	hash text NOT NULL CHECK (hash LIKE '$argon2id$%'),
	updated_at timestamptz NOT NULL
);

-- Device log-in: SHA-256 of the device id -> its (guest) user.
CREATE TABLE IF NOT EXISTS account_device (
	device_hash bytea PRIMARY KEY CHECK (octet_length(device_hash) = 32),
	user_uid uuid NOT NULL,
	date_created timestamptz NOT NULL,
	last_used timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS account_device_user_uid_idx ON account_device (user_uid);

-- One refresh token family per log-in: revoking it is one row.
CREATE TABLE IF NOT EXISTS account_refresh_family (
	family_id uuid PRIMARY KEY,
	user_uid uuid NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	revoked_reason text
);
CREATE INDEX IF NOT EXISTS account_refresh_family_user_uid_idx ON account_refresh_family (user_uid);
CREATE INDEX IF NOT EXISTS account_refresh_family_expires_at_idx ON account_refresh_family (expires_at);
CREATE INDEX IF NOT EXISTS account_refresh_family_revoked_at_idx ON account_refresh_family (revoked_at)
	WHERE revoked_at IS NOT NULL;

-- Every token of a family, used ones too, with its parent: a second use of any used token
-- is detected (and revokes the family) and can be traced.
CREATE TABLE IF NOT EXISTS account_refresh_token (
	token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
	family_id uuid NOT NULL REFERENCES account_refresh_family (family_id) ON DELETE CASCADE,
	parent_hash bytea,
	issued_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at timestamptz
);
CREATE INDEX IF NOT EXISTS account_refresh_token_family_id_idx ON account_refresh_token (family_id);
CREATE INDEX IF NOT EXISTS account_refresh_token_expires_at_idx ON account_refresh_token (expires_at);

-- Log-in attempts in flight and failed ones, for the lockout (counted by every replica).
CREATE TABLE IF NOT EXISTS account_login_attempt (
	id bigserial PRIMARY KEY,
	account_key text NOT NULL,
	client_addr text,
	at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS account_login_attempt_account_idx ON account_login_attempt (account_key, at);
CREATE INDEX IF NOT EXISTS account_login_attempt_addr_idx ON account_login_attempt (client_addr, at)
	WHERE client_addr IS NOT NULL;
CREATE INDEX IF NOT EXISTS account_login_attempt_at_idx ON account_login_attempt (at);
