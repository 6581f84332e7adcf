import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trainJobSchema } from "../../queues/payloads.ts";
import { behaviourOf, deviceSeconds } from "../../scripts/demo/behaviours.ts";
import { demoCast } from "../../scripts/demo/cast.ts";
import { DemoData, handfulSize } from "../../scripts/demo/holder-data.ts";

const cast = demoCast(20);
const job = trainJobSchema.parse({
  taskId: "task-demo",
  round: 0,
  holderId: "holder-x",
  globalModelHash: "0".repeat(64),
  localEpochs: 2,
  batchSize: 20,
  modelTier: 0,
  deadline: Date.now() + 60_000,
  dp: null,
});

describe("the demo's cast", () => {
  it("has 20 holders: 2 free riders, 2 attackers, 3 on the fiat sandbox rail, four device classes", () => {
    assert.equal(cast.length, 20);
    const count = (test: (m: (typeof cast)[number]) => boolean) => cast.filter(test).length;
    assert.equal(
      count((m) => m.behaviour === "returns-global" || m.behaviour === "handful"),
      2,
    );
    assert.equal(
      count((m) => m.behaviour === "sign-flip" || m.behaviour === "scaled-noise"),
      2,
    );
    assert.equal(
      count((m) => m.payoutRail === "sandbox"),
      3,
    );
    assert.equal(new Set(cast.map((m) => m.device.name)).size, 4);
  });

  it("simulates a slower device by a longer wait: an edge box's tier-1 job takes far longer than a GPU's", () => {
    const gpu = cast.find((m) => m.device.name === "gpu");
    const edge = cast.find((m) => m.device.name === "edge");
    assert.ok(gpu && edge);
    assert.ok(deviceSeconds(edge, 400, 2, 1) > 20 * deviceSeconds(gpu, 400, 2, 0));
  });
});

describe("the demo's holder behaviours", () => {
  const start = Float32Array.from([1, 2, 3]);
  const trained = Float32Array.from([1.5, 1, 3]);
  const member = (behaviour: string) => {
    const found = cast.find((m) => m.behaviour === behaviour && m.device.name !== "edge");
    assert.ok(found, behaviour);
    // Zero claimed samples: no simulated device wait in the test.
    return behaviourOf(found, 0);
  };

  it("sends what it trained when honest, the starting model when free riding", async () => {
    assert.deepEqual(await member("honest")({ job, trained, start }), trained);
    assert.deepEqual(await member("returns-global")({ job, trained, start }), start);
  });

  it("pushes the update four times the other way as a sign-flip attacker", async () => {
    assert.deepEqual(
      [...(await member("sign-flip")({ job, trained, start }))],
      [1 - 4 * 0.5, 2 - 4 * -1, 3],
    );
  });

  it("adds seeded noise as a noise attacker: the same job gives the same update", async () => {
    const first = await member("scaled-noise")({ job, trained, start });
    const again = await member("scaled-noise")({ job, trained, start });
    assert.deepEqual(first, again);
    assert.notDeepEqual(first, start);
  });
});

describe("the demo's MNIST split", () => {
  const data = new DemoData({ seed: "agora-demo", holders: 20, validationSize: 300 });

  it("gives every holder a majority digit (slot mod 10) and about 400 examples", () => {
    for (const member of cast) {
      const { samples, labels } = data.summary(member);
      const [top] = Object.entries(labels).sort(([, a], [, b]) => b - a);
      assert.equal(top?.[0], String(member.slot % 10), member.label);
      assert.ok(samples > 300 && samples < 500, `${member.label} has ${samples}`);
    }
  });

  it("serves a holder's worker only that holder's data, and a handful to the lazy free rider", async () => {
    const lazy = cast.find((m) => m.behaviour === "handful");
    assert.ok(lazy);
    const source = data.sourceFor(lazy, "holder-lazy");
    assert.equal((await source.load("holder-lazy")).labels.length, handfulSize);
    assert.ok(data.summary(lazy).samples > 10 * handfulSize, "it claims far more");
    await assert.rejects(source.load("holder-other"), /Not this holder's data/);
  });
});
