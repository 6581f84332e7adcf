import { setTimeout as sleep } from "node:timers/promises";
import type { UpdateSimulation } from "../../queues/train-worker.ts";
import { gaussian, seededRng } from "../../services/learning/util/random.ts";
import type { CastMember } from "./cast.ts";

/** Sign-flip attackers push their update this many times the other way (as in bench:shapley). */
const attackScale = 4;

/**
 * How long this holder's device would take for one train job, in seconds:
 * its claimed samples times the epochs over its declared speed at the job's
 * tier. Every holder trains here on the same CPU, so the difference between
 * a GPU and an edge box is simulated by waiting this long.
 */
export function deviceSeconds(member: CastMember, samples: number, epochs: number, tier: number) {
  const speed = member.device.samplesPerSecond[String(tier)];
  return speed === undefined ? 0 : (samples * epochs) / speed;
}

/**
 * The worker hook that makes a cast member behave as the scenario says: wait
 * as long as its device would, then send its honest update, the global model
 * back (free rider), or a poisoned update (attacker).
 */
export function behaviourOf(member: CastMember, claimedSamples: number): UpdateSimulation {
  return async ({ job, trained, start }) => {
    await sleep(deviceSeconds(member, claimedSamples, job.localEpochs, job.modelTier) * 1000);
    switch (member.behaviour) {
      case "honest":
      case "handful":
        return trained;
      case "returns-global":
        return Float32Array.from(start);
      case "sign-flip":
        return trained.map(
          (value, i) => (start[i] as number) - attackScale * (value - (start[i] as number)),
        );
      case "scaled-noise": {
        const rng = seededRng(`demo-noise|${job.taskId}|${job.round}|${job.holderId}`);
        return start.map((value) => value + gaussian(rng));
      }
    }
  };
}
