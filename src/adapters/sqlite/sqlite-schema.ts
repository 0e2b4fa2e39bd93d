/**
 * Connection settings and schema migrations of the SQLite ledger.
 * The schema version lives in `PRAGMA user_version`; `migrateLedgerSchema` applies every migration above it,
 * each in its own IMMEDIATE transaction, so two processes opening the same file at once migrate it only once.
 * To add a column: append a migration (never edit a shipped one).
 */
import type { Database } from 'better-sqlite3';

type Migration = (db: Database) => void;

const MIGRATIONS: readonly Migration[] = [
  // v1: jobs, tasks, events.
  (db) => {
    db.exec(`
      CREATE TABLE jobs (
        id          TEXT PRIMARY KEY,
        status      TEXT NOT NULL,
        backend     TEXT NOT NULL,
        source      TEXT NOT NULL,
        output      TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        error       TEXT,
        data        TEXT NOT NULL
      );
      CREATE INDEX jobs_created_at ON jobs (created_at);
      CREATE INDEX jobs_updated_at ON jobs (updated_at);

      CREATE TABLE tasks (
        job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        kind          TEXT NOT NULL,
        idx           INTEGER NOT NULL,
        status        TEXT NOT NULL,
        attempts      INTEGER NOT NULL,
        heartbeat_at  INTEGER,
        data          TEXT NOT NULL,
        PRIMARY KEY (job_id, kind, idx)
      );

      CREATE TABLE events (
        job_id   TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        seq      INTEGER NOT NULL,
        at       INTEGER NOT NULL,
        type     TEXT NOT NULL,
        message  TEXT NOT NULL,
        data     TEXT,
        PRIMARY KEY (job_id, seq)
      );
    `);
  },
];

/** The schema version this code writes (`PRAGMA user_version`). */
export const LEDGER_SCHEMA_VERSION = MIGRATIONS.length;

/** Pragmas for a connection that another process may share: WAL, a busy timeout, foreign keys. */
export function configureLedgerConnection(db: Database): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
}

export function readSchemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema up to LEDGER_SCHEMA_VERSION; refuses a file written by a newer version. */
export function migrateLedgerSchema(db: Database): void {
  const start = readSchemaVersion(db);
  if (start > LEDGER_SCHEMA_VERSION) {
    throw new Error(`ledger schema version ${start} is newer than this shardcast supports (${LEDGER_SCHEMA_VERSION}); upgrade shardcast`);
  }
  for (let target = start + 1; target <= LEDGER_SCHEMA_VERSION; target++) {
    const migration = MIGRATIONS[target - 1]!;
    db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      if (readSchemaVersion(db) >= target) return;
      migration(db);
      db.pragma(`user_version = ${target}`);
    }).immediate();
  }
}
