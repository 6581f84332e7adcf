import { Command, Option } from "commander";
import type { DecisionView } from "./api-views.ts";
import { signIn } from "./context.ts";
import { formatTable } from "./output.ts";

/** The API's largest page; `decisions` follows `after` until a short page, so nothing is cut off. */
const pageSize = 1_000;

interface NegotiationMove {
  bidId: string;
  step: number;
  party: string;
  action: string;
  price: string | null;
  createdAt: string;
}

/** `agora audit …`: read what the agents decided and why (auditor role, appointed by address). */
export function auditCommands(): Command {
  const audit = new Command("audit").description(
    "act as an auditor (signs in with the auditor role; your address must be appointed)",
  );

  audit
    .command("decisions")
    .description("every agent decision, oldest first, with its verdict and rationale")
    .option("--task <id>", "only decisions about this task")
    .addOption(
      new Option("--agent <name>", "only this agent's decisions").choices([
        "guardian",
        "orchestrator",
        "auditor",
      ]),
    )
    .action(async (options: { task?: string; agent?: string }, command: Command) => {
      const { client, print } = await signIn(command, "auditor");
      const decisions: DecisionView[] = [];
      for (let after: string | undefined; ; ) {
        const page = await client.get<{ decisions: DecisionView[] }>("/decisions", {
          taskId: options.task,
          agent: options.agent,
          after,
          limit: String(pageSize),
        });
        decisions.push(...page.decisions);
        after = page.decisions.at(-1)?.id;
        if (page.decisions.length < pageSize || after === undefined) break;
      }
      print.result({ decisions }, (result) =>
        formatTable(result.decisions, [
          { header: "ID", value: (decision) => decision.id },
          { header: "AT", value: (decision) => decision.createdAt },
          { header: "TASK", value: (decision) => decision.taskId ?? "-" },
          { header: "AGENT", value: (decision) => `${decision.agent}:${decision.kind}` },
          { header: "VERDICT", value: (decision) => `${decision.verdict} (${decision.source})` },
          {
            header: "RATIONALE",
            value: (decision) =>
              decision.violations.length === 0
                ? decision.rationale
                : `${decision.rationale} [violations: ${decision.violations.join("; ")}]`,
          },
        ]),
      );
    });

  audit
    .command("negotiation")
    .argument("<taskId>", "the task whose negotiation to show")
    .description("every alternating-offer move on a task's bids")
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const { client, print } = await signIn(command, "auditor");
      const moves = await client.get<{ moves: NegotiationMove[] }>(
        `/tasks/${encodeURIComponent(taskId)}/negotiation`,
      );
      print.result(moves, (result) =>
        formatTable(result.moves, [
          { header: "BID", value: (move) => move.bidId },
          { header: "STEP", value: (move) => String(move.step) },
          { header: "PARTY", value: (move) => move.party },
          { header: "ACTION", value: (move) => move.action },
          { header: "PRICE", value: (move) => move.price ?? "-" },
        ]),
      );
    });

  return audit;
}
