-- The default sqlx-session-store schema; `SqlStore::migrate()` runs exactly this.
-- Timestamps are TIMESTAMPTZ. `data` is JSON (kept as written, unlike JSONB).
CREATE TABLE IF NOT EXISTS "sessions" (
    "sid" TEXT NOT NULL PRIMARY KEY,
    "data" JSON NOT NULL,
    "expires" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS "sessions_expires_idx" ON "sessions" ("expires");
