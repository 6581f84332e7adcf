import * as tf from "@tensorflow/tfjs";
import { AgoraError } from "../../errors/agora-error.ts";
import { isDenseOnly, type ModelKind } from "../models/architecture.ts";

/** tfjs backends Agora can train on, fastest first. */
export const backendNames = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof backendNames)[number];

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it was skipped or failed; absent when chosen. */
  reason?: string;
}

export interface BackendChoice {
  backend: BackendName;
  /** Every backend considered, in order, and why it was or was not taken. */
  attempts: BackendAttempt[];
}

/** Minimal logger (pino's signature), so the choice shows up in the holder's logs. */
export interface BackendLogger {
  info(fields: object, message: string): void;
}

export interface ChooseBackendOptions {
  /** Models this process will train: the WASM backend lacks conv backprop, so CNNs exclude it. */
  models: readonly ModelKind[];
  /** A backend to force (from `AGORA_TF_BACKEND`); failing to start it is an error, not a fallback. */
  forced?: string | undefined;
  logger?: BackendLogger;
}

/** Module names are variables so that type-checking does not require the optional packages. */
const optionalModules = {
  tfjsNodeGpu: "@tensorflow/tfjs-node-gpu",
  tfjsNode: "@tensorflow/tfjs-node",
  webgpu: "webgpu",
};

async function tryTensorflow(): Promise<void> {
  try {
    await import(optionalModules.tfjsNodeGpu);
  } catch {
    await import(optionalModules.tfjsNode);
  }
  await activate("tensorflow");
}

async function tryWebgpu(): Promise<void> {
  const dawn = (await import(optionalModules.webgpu)) as {
    create(flags: string[]): { requestAdapter(): Promise<unknown> };
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if ((await gpu.requestAdapter()) == null) throw new Error("no GPU adapter");
  // Node 24's global navigator is read-only: redefine it rather than assign to it.
  Object.defineProperty(globalThis, "navigator", {
    value: { ...(globalThis.navigator ?? {}), gpu },
    configurable: true,
    writable: true,
  });
  await import("@tensorflow/tfjs-backend-webgpu");
  await activate("webgpu");
}

async function tryWasm(): Promise<void> {
  await import("@tensorflow/tfjs-backend-wasm");
  await activate("wasm");
}

async function activate(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") refused`);
  await tf.ready();
}

const starters: Record<BackendName, () => Promise<void>> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: () => activate("cpu"),
};

/** Whether a backend can train every model in the list. */
export function backendSupports(backend: BackendName, models: readonly ModelKind[]): boolean {
  return backend !== "wasm" || models.every(isDenseOnly);
}

/**
 * Picks and activates the fastest backend that works here:
 * tensorflow (native) > webgpu (with a GPU adapter) > wasm (dense models only) > cpu.
 */
export async function chooseBackend(options: ChooseBackendOptions): Promise<BackendChoice> {
  const attempts: BackendAttempt[] = [];
  const forced = options.forced?.trim() || undefined;
  if (forced !== undefined) {
    if (!(backendNames as readonly string[]).includes(forced)) {
      throw new AgoraError("invalid", "Unknown training backend", {
        detail: `AGORA_TF_BACKEND="${forced}" is not one of ${backendNames.join(", ")}.`,
      });
    }
    const backend = forced as BackendName;
    if (!backendSupports(backend, options.models)) {
      throw new AgoraError("invalid", "Backend cannot train this model", {
        detail: `${backend} lacks convolution gradients; models: ${options.models.join(", ")}.`,
      });
    }
    try {
      await starters[backend]();
    } catch (error) {
      throw new AgoraError("unavailable", "Forced training backend is unavailable", {
        detail: `${backend}: ${(error as Error).message}`,
        cause: error,
      });
    }
    attempts.push({ backend, ok: true, reason: "forced" });
    options.logger?.info({ backend, attempts }, "training backend forced");
    return { backend, attempts };
  }
  for (const backend of backendNames) {
    if (!backendSupports(backend, options.models)) {
      attempts.push({ backend, ok: false, reason: "cannot train convolutional models" });
      continue;
    }
    try {
      await starters[backend]();
      attempts.push({ backend, ok: true });
      options.logger?.info({ backend, attempts }, "training backend chosen");
      return { backend, attempts };
    } catch (error) {
      attempts.push({ backend, ok: false, reason: firstLine(error) });
    }
  }
  throw new AgoraError("unavailable", "No training backend works", {
    detail: JSON.stringify(attempts),
  });
}

const firstLine = (error: unknown): string =>
  String((error as Error)?.message ?? error).split("\n")[0] ?? "failed";

/** The backend tfjs is using right now. */
export const activeBackend = (): string => tf.getBackend();
