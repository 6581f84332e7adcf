import type { DatabaseConnection, Driver, QueryCompiler, TransactionSettings } from "kysely";

type CompileQuery = QueryCompiler["compileQuery"];

/**
 * Wraps a single-connection driver so that only one caller holds the
 * connection at a time.
 *
 * PGlite is one embedded Postgres backend. Kysely's PGlite driver hands the
 * same connection to every caller, so while one request runs a transaction a
 * concurrent request's queries would silently run inside it (and be rolled back
 * with it). Queueing connection acquisition gives each transaction the session
 * to itself, which is what a pooled server connection gives it for free.
 */
export class SerializedDriver implements Driver {
  readonly #inner: Driver;
  #tail: Promise<void> = Promise.resolve();
  readonly #releases = new Map<DatabaseConnection, () => void>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#tail;
    let release = () => {};
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    const connection = await this.#inner.acquireConnection();
    this.#releases.set(connection, release);
    return connection;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection(connection);
    const release = this.#releases.get(connection);
    this.#releases.delete(connection);
    release?.();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  savepoint(connection: DatabaseConnection, name: string, compile: CompileQuery): Promise<void> {
    return this.#requireSavepoints().savepoint(connection, name, compile);
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: CompileQuery,
  ): Promise<void> {
    return this.#requireSavepoints().rollbackToSavepoint(connection, name, compile);
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: CompileQuery,
  ): Promise<void> {
    return this.#requireSavepoints().releaseSavepoint(connection, name, compile);
  }

  #requireSavepoints(): Required<
    Pick<Driver, "savepoint" | "rollbackToSavepoint" | "releaseSavepoint">
  > {
    const { savepoint, rollbackToSavepoint, releaseSavepoint } = this.#inner;
    if (!savepoint || !rollbackToSavepoint || !releaseSavepoint) {
      throw new Error("the wrapped driver does not support savepoints");
    }
    return {
      savepoint: savepoint.bind(this.#inner),
      rollbackToSavepoint: rollbackToSavepoint.bind(this.#inner),
      releaseSavepoint: releaseSavepoint.bind(this.#inner),
    };
  }

  async destroy(): Promise<void> {
    // Let the holder of the connection finish before the database closes under it.
    await this.#tail;
    await this.#inner.destroy();
  }
}
