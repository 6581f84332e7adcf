import type { ModelKind } from "../models/architecture.ts";
import { clearModelPool } from "../models/model-pool.ts";
import {
  type BackendChoice,
  type BackendName,
  backendSupports,
  chooseBackend,
} from "./choose-backend.ts";

let active: { backend: BackendName; models: Set<ModelKind> } | undefined;
let choosing: Promise<BackendChoice | undefined> = Promise.resolve(undefined);

/**
 * Keeps one tfjs backend for a thread that trains or evaluates: chosen on
 * its first job, and again only if a new model needs another one (WASM
 * cannot train a CNN). Without it tfjs would run on its pure-JS CPU backend,
 * many times slower. Calls are chained: several holders' jobs in one thread must not
 * switch backends under each other's feet. Resolves to the choice when this
 * call made one (for the holder's log), otherwise to undefined.
 */
export function ensureBackend(
  model: ModelKind,
  forced?: string | undefined,
): Promise<BackendChoice | undefined> {
  const next = choosing
    .catch(() => undefined)
    .then(async () => {
      if (active?.models.has(model)) return undefined;
      const models = new Set([...(active?.models ?? []), model]);
      if (active && backendSupports(active.backend, [...models])) {
        active.models = models;
        return undefined;
      }
      // Variables live on one backend: models built on the old one are useless now.
      if (active) clearModelPool();
      const choice = await chooseBackend({ models: [...models], forced });
      active = { backend: choice.backend, models };
      return choice;
    });
  choosing = next;
  return next;
}
