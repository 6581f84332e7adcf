import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OpenAiAdvisor } from "../../agents/advisor/openai-advisor.ts";
import type { AgentDecision, DecisionRecorder } from "../../agents/decision-record.ts";
import { GuardianAgent } from "../../agents/guardian/guardian-agent.ts";
import { OrchestratorAgent } from "../../agents/orchestrator/orchestrator-agent.ts";
import type { PrivacyLedger } from "../../services/market/privacy/privacy-ledger.ts";
import { taskSpecSchema } from "../../services/market/task-spec.ts";
import { hardware, taskSpec } from "../market/market-client.ts";
import { type ScriptedLlmServer, startScriptedLlmServer } from "./scripted-llm-server.ts";

class MemoryRecorder implements DecisionRecorder {
  readonly decisions: AgentDecision[] = [];
  async record(decision: AgentDecision) {
    this.decisions.push(decision);
  }
  last(): AgentDecision {
    const decision = this.decisions.at(-1);
    assert.ok(decision);
    return decision;
  }
}

/** A ledger with a fixed past spend; the store-backed one is exercised in the API suite. */
const ledgerWithSpent = (spent: number): PrivacyLedger => ({
  spent: async () => spent,
  spentWith: async (_holder, _delta, extra) => spent + extra.epsilon,
  charge: async () => true,
});

const answer = (proposal: unknown, rationale = "scripted") =>
  JSON.stringify({ proposal, rationale });

describe("LLM advisor guardrails against a scripted OpenAI-compatible server", () => {
  let llm: ScriptedLlmServer;
  let advisor: OpenAiAdvisor;
  before(async () => {
    llm = await startScriptedLlmServer();
    advisor = new OpenAiAdvisor({
      baseURL: llm.baseURL,
      apiKey: "test",
      model: "scripted",
      maxRetries: 0,
    });
  });
  after(() => llm?.close());

  const orchestrator = (recorder: DecisionRecorder) =>
    new OrchestratorAgent({
      taskId: "task-1",
      ownerAddress: "0xowner",
      budget: 10_000n,
      knownHolders: ["holder-a", "holder-b"],
      recorder,
      advisor,
    });
  const turn = {
    bidId: "bid-a",
    holderId: "holder-a",
    bidPrice: 6_000n,
    reserve: 5_000n,
    counter: undefined,
    move: 0,
    maxMoves: 3,
  };

  it("uses a valid proposal, speaking the real wire protocol", async () => {
    const recorder = new MemoryRecorder();
    llm.script(answer({ holderId: "holder-a", action: "offer", price: "4200" }, "open low"));
    assert.deepEqual(await orchestrator(recorder).move(turn), { action: "offer", price: 4_200n });
    assert.equal(recorder.last().verdict, "accepted");
    assert.equal(recorder.last().source, "advisor");
    assert.equal(recorder.last().rationale, "open low");
    const request = llm.requests.at(-1);
    assert.equal(request?.model, "scripted");
    assert.match(request?.messages[0]?.content ?? "", /orchestrator/);
  });

  it("falls back to the policy on malformed JSON", async () => {
    const recorder = new MemoryRecorder();
    llm.script("{ this is not json");
    assert.deepEqual(await orchestrator(recorder).move(turn), { action: "offer", price: 4_500n });
    assert.equal(recorder.last().verdict, "fallback");
    assert.match(recorder.last().violations[0] ?? "", /malformed JSON/);
  });

  it("rejects an offer over the reserve and budget", async () => {
    const recorder = new MemoryRecorder();
    llm.script(answer({ holderId: "holder-a", action: "offer", price: "25000" }));
    assert.deepEqual(await orchestrator(recorder).move(turn), { action: "offer", price: 4_500n });
    assert.equal(recorder.last().verdict, "rejected");
    assert.ok(
      recorder.last().violations.some((violation) => /exceeds the reserve/.test(violation)),
    );
    assert.equal(recorder.last().source, "policy");
  });

  it("rejects a proposal naming a holder that does not exist", async () => {
    const recorder = new MemoryRecorder();
    llm.script(answer({ holderId: "holder-ghost", action: "offer", price: "4000" }));
    assert.deepEqual(await orchestrator(recorder).move(turn), { action: "offer", price: 4_500n });
    assert.ok(
      recorder.last().violations.some((violation) => /unknown holder holder-ghost/.test(violation)),
    );
  });

  it("rejects a proposal that breaks the schema", async () => {
    const recorder = new MemoryRecorder();
    llm.script(answer({ holderId: "holder-a", action: "pay-double", price: -3 }));
    await orchestrator(recorder).move(turn);
    assert.equal(recorder.last().verdict, "fallback");
    assert.match(recorder.last().violations[0] ?? "", /fails the schema/);
  });

  const guardian = (recorder: DecisionRecorder, spent: number) =>
    new GuardianAgent({
      profile: {
        holderId: "holder-a",
        priceFloor: 4_800n,
        privacyEpsilon: 2,
        privacyDelta: 1e-5,
        data: { samples: 1_000, labels: { "0": 500, "1": 500 }, dpNoised: false },
        hardware: hardware(),
      },
      ledger: ledgerWithSpent(spent),
      recorder,
      advisor,
    });
  const offer = {
    task: { id: "task-1", spec: taskSpecSchema.parse(taskSpec()), budget: 10_000n },
    bidPrice: 6_000n,
    move: 0,
    maxMoves: 3,
    now: new Date(),
  };

  it("keeps the guardian from accepting below its price floor", async () => {
    const recorder = new MemoryRecorder();
    llm.script(answer({ action: "accept" }, "good enough"));
    const response = await guardian(recorder, 0).respond({ ...offer, offer: 3_000n });
    assert.equal(response.action, "counter");
    assert.equal(recorder.last().verdict, "rejected");
    assert.ok(
      recorder.last().violations.some((violation) => /below the price floor/.test(violation)),
    );
  });

  it("keeps the guardian from spending past its privacy budget", async () => {
    const recorder = new MemoryRecorder();
    llm.script(answer({ action: "accept" }));
    const response = await guardian(recorder, 1.5).respond({ ...offer, offer: 5_000n });
    assert.equal(response.action, "reject");
    assert.ok(recorder.last().violations.some((violation) => /privacy budget/.test(violation)));
  });

  it("lets the guardian take a valid counter from its advisor", async () => {
    const recorder = new MemoryRecorder();
    llm.script(answer({ action: "counter", price: "5500" }, "meet in the middle"));
    assert.deepEqual(await guardian(recorder, 0).respond({ ...offer, offer: 4_000n }), {
      action: "counter",
      price: 5_500n,
    });
    assert.equal(recorder.last().verdict, "accepted");
  });

  it("falls back when the advisor is unreachable", async () => {
    const recorder = new MemoryRecorder();
    const offline = new OpenAiAdvisor({
      baseURL: "http://127.0.0.1:9/v1",
      apiKey: "x",
      model: "m",
      maxRetries: 0,
      timeoutMs: 2_000,
    });
    const agent = new OrchestratorAgent({
      taskId: "t",
      ownerAddress: "o",
      budget: 10_000n,
      knownHolders: ["holder-a"],
      recorder,
      advisor: offline,
    });
    assert.deepEqual(await agent.move(turn), { action: "offer", price: 4_500n });
    assert.match(recorder.last().violations[0] ?? "", /unreachable/);
  });
});
