// The local farm's session database for mode="SQLServer": SQLite through Mono's own session
// handler (System.Web's SessionSQLServerHandler, whose default provider is Mono.Data.Sqlite), in a
// file every node opens. Created the way the kit's setup creates SQL Server's on AWS: once, under
// an exclusive lock (BEGIN IMMEDIATE here, sp_getapplock there), and a second run changes nothing.
import { execFileSync } from "child_process";

export const SQLITE3 = "/usr/bin/sqlite3";
/** Mono's provider factory: the handler loads it by this name (the DbProviderName in the connection string). */
export const MONO_SQLITE_FACTORY =
  "Mono.Data.Sqlite.SqliteFactory, Mono.Data.Sqlite, Version=4.0.0.0, Culture=neutral, PublicKeyToken=0738eb9f132ed756";

/** The table Mono's handler reads and writes (its ASPState.sql, in SQLite's types). */
const SCHEMA = `CREATE TABLE IF NOT EXISTS Sessions (
  SessionId TEXT(80) NOT NULL,
  ApplicationName TEXT(255) NOT NULL,
  Created DATETIME NOT NULL,
  Expires DATETIME NOT NULL,
  LockDate DATETIME NOT NULL,
  LockId INTEGER NOT NULL,
  Timeout INTEGER NOT NULL,
  Locked BOOLEAN NOT NULL,
  SessionItems TEXT,
  Flags INTEGER NOT NULL,
  PRIMARY KEY (SessionId, ApplicationName)
);`;

/** Creates the session table if it is not there; concurrent callers queue on SQLite's write lock. */
export function createSessionDatabase(file: string): void {
  // WAL lets the nodes read while one writes; busy_timeout makes a racing setup wait, not fail.
  const sql = [
    "PRAGMA busy_timeout = 10000;",
    "PRAGMA journal_mode = WAL;",
    "BEGIN IMMEDIATE;",
    SCHEMA,
    "COMMIT;",
  ].join("\n");
  execFileSync(SQLITE3, [file], { input: sql, stdio: ["pipe", "ignore", "pipe"], timeout: 30000 });
}

/** The connection string the nodes' <sessionState mode="SQLServer"> gets. */
export function sqliteConnectionString(file: string): string {
  if (/[;"<>]/.test(file)) throw new Error(`the session database path must not hold ; " < >: ${file}`);
  return `Data Source=${file};Version=3;DbProviderName=${MONO_SQLITE_FACTORY}`;
}

/** The session table's rows (a test's view of the store). */
export function sessionRows(file: string): number {
  return Number(execFileSync(SQLITE3, [file, "SELECT COUNT(*) FROM Sessions;"], { encoding: "utf8" }).trim());
}
