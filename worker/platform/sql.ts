/** Schema helpers shared by the SQLite-backed Durable Objects. */

/** Apply `migrations[i]` for every version above the stored one, in one transaction. */
export function migrate(storage: DurableObjectStorage, migrations: readonly string[]): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
    const current = row ? Number(row.value) : 0;
    for (let v = current; v < migrations.length; v++) sql.exec(migrations[v]!);
    if (current !== migrations.length) {
      sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(migrations.length));
    }
  });
}

/** Whether this object has ever been given a schema (read only: creates nothing). */
export function hasSchema(storage: DurableObjectStorage): boolean {
  return storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
}
