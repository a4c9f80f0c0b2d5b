-- The default sqlx-session-store schema; `SqlStore::migrate()` runs exactly this.
-- `version` changes with each write of new data (a random number; 0 for rows other programs insert): see "Concurrent requests" in the README.
-- Timestamps are TIMESTAMPTZ. `data` is JSON (kept as written, unlike JSONB).
CREATE TABLE IF NOT EXISTS "sessions" (
    "sid" TEXT NOT NULL PRIMARY KEY,
    "data" JSON NOT NULL,
    "expires" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX IF NOT EXISTS "sessions_expires_idx" ON "sessions" ("expires");
