import OpenAI from "openai";
import { z } from "zod";
import type { Advisor, AdvisorAnswer, AdvisorRequest } from "./advisor.ts";

export interface OpenAiAdvisorOptions {
  /** Any OpenAI-compatible endpoint, e.g. `https://api.openai.com/v1` or a local server. */
  baseURL: string;
  apiKey: string;
  model: string;
  /** Per-request limit in ms. Default 10 000. */
  timeoutMs?: number;
  /** SDK retries on transient errors. Default 1. */
  maxRetries?: number;
}

const answerFormat =
  'Reply with exactly one JSON object: {"proposal": <the proposal>, "rationale": "<one or two sentences>"}. No other text.';

/**
 * An advisor over the OpenAI chat-completions API (structured JSON output,
 * validated with zod). Transport errors, refusals, malformed JSON and schema
 * violations all come back as `ok: false`, never as exceptions, so the agent
 * falls back to its policy.
 */
export class OpenAiAdvisor implements Advisor {
  readonly name: string;
  readonly #client: OpenAI;
  readonly #model: string;

  constructor(options: OpenAiAdvisorOptions) {
    this.name = `openai-compatible:${options.model}`;
    this.#model = options.model;
    this.#client = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      timeout: options.timeoutMs ?? 10_000,
      maxRetries: options.maxRetries ?? 1,
    });
  }

  async propose<T>(request: AdvisorRequest<T>): Promise<AdvisorAnswer<T>> {
    let content: string | null | undefined;
    try {
      const completion = await this.#client.chat.completions.create({
        model: this.#model,
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [
          { role: "system", content: `${request.instructions}\n${answerFormat}` },
          { role: "user", content: JSON.stringify(request.context) },
        ],
      });
      content = completion.choices[0]?.message?.content;
    } catch (error) {
      return { ok: false, error: `advisor unreachable: ${errorText(error)}`, raw: null };
    }
    if (typeof content !== "string" || content.length === 0) {
      return { ok: false, error: "advisor returned no content", raw: null };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      return { ok: false, error: "advisor returned malformed JSON", raw: content.slice(0, 2_000) };
    }
    const envelope = z
      .object({ proposal: request.schema, rationale: z.string().min(1).max(2_000) })
      .safeParse(parsed);
    if (!envelope.success) {
      const issues = envelope.error.issues
        .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
        .join("; ");
      return {
        ok: false,
        error: `advisor answer fails the schema: ${issues}`,
        raw: content.slice(0, 2_000),
      };
    }
    return {
      ok: true,
      proposal: envelope.data.proposal as T,
      rationale: envelope.data.rationale,
      raw: parsed as Record<string, unknown>,
    };
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The advisor the environment asks for: LLM_BASE_URL and LLM_MODEL set (and
 * LLM_API_KEY, which local servers may ignore) give an OpenAI-compatible
 * advisor; otherwise there is none and agents run their policies alone.
 */
export function advisorFromEnvironment(env: NodeJS.ProcessEnv = process.env): Advisor | undefined {
  const baseURL = env.LLM_BASE_URL;
  const model = env.LLM_MODEL;
  if (!baseURL || !model) return undefined;
  return new OpenAiAdvisor({ baseURL, model, apiKey: env.LLM_API_KEY || "unused" });
}
