/**
 * Where a process's time went, thread by thread, from the scheduler's own
 * counters (`/proc/self/task/<tid>/schedstat`, Linux): nanoseconds on a core
 * and nanoseconds runnable but waiting for one. The wait is what a CPU
 * counter cannot show: on a machine whose cores are all taken, a training
 * that waits for a core looks like a slower training. Threads are told apart
 * by the names Agora gives them (`agora-training`, `agora-blobs`); V8's
 * helper threads (garbage collection, compilation) are summed.
 */
import { readdirSync, readFileSync } from "node:fs";

export const threadRoles = ["event_loop", "training", "blobs", "v8_helpers", "other"] as const;
export type ThreadRole = (typeof threadRoles)[number];

export interface ThreadTime {
  /** Seconds on a core. */
  cpu_s: number;
  /** Seconds runnable but waiting for a core. */
  wait_s: number;
}

export type ThreadTimes = Record<ThreadRole, ThreadTime>;

function roleOf(tid: string, name: string): ThreadRole {
  if (tid === String(process.pid)) return "event_loop";
  if (name === "agora-training") return "training";
  if (name === "agora-blobs") return "blobs";
  if (name.startsWith("V8")) return "v8_helpers";
  return "other";
}

const zero = (): ThreadTimes =>
  Object.fromEntries(threadRoles.map((role) => [role, { cpu_s: 0, wait_s: 0 }])) as ThreadTimes;

/** This process's threads' times so far, by role; undefined where the kernel does not keep them. */
export function readThreadTimes(): ThreadTimes | undefined {
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return undefined;
  }
  const times = zero();
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      const [onCpu, waiting] = readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ");
      const time = times[roleOf(tid, name)];
      time.cpu_s += Number(onCpu) / 1e9;
      time.wait_s += Number(waiting) / 1e9;
    } catch {
      // The thread ended between the listing and the read: its time left with it.
    }
  }
  return times;
}

/** `later − earlier`, role by role. */
export function threadTimesSince(earlier: ThreadTimes, later: ThreadTimes): ThreadTimes {
  const times = zero();
  for (const role of threadRoles) {
    times[role] = {
      cpu_s: later[role].cpu_s - earlier[role].cpu_s,
      wait_s: later[role].wait_s - earlier[role].wait_s,
    };
  }
  return times;
}

/** Role-by-role sum, e.g. over holder processes. */
export function addThreadTimes(all: readonly ThreadTimes[]): ThreadTimes {
  const times = zero();
  for (const one of all) {
    for (const role of threadRoles) {
      times[role].cpu_s += one[role].cpu_s;
      times[role].wait_s += one[role].wait_s;
    }
  }
  return times;
}
