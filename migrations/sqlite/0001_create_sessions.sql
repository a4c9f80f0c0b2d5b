-- The default sqlx-session-store schema; `SqlStore::migrate()` runs exactly this.
-- `version` changes with each write of new data (a random number; 0 for rows other programs insert): see "Concurrent requests" in the README.
-- Timestamps are INTEGER microseconds since the Unix epoch, UTC. `data` is JSON text.
CREATE TABLE IF NOT EXISTS "sessions" (
    "sid" TEXT NOT NULL PRIMARY KEY,
    "data" TEXT NOT NULL,
    "expires" INTEGER NOT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX IF NOT EXISTS "sessions_expires_idx" ON "sessions" ("expires");
