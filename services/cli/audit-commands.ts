import { Command, Option } from "commander";
import { getAddress, isAddress, type Provider, type Signer, Wallet } from "ethers";
import { verifyAgainstAnchor } from "../audit/anchor/anchored-log-verification.ts";
import { AuditLog } from "../audit/audit-log.ts";
import { auditTask } from "../audit/auditor/audit-task.ts";
import { learningRecomputer } from "../audit/auditor/learning-recomputer.ts";
import { recordedUtilityRecomputer } from "../audit/auditor/recorded-utility-recomputer.ts";
import { canonicalJson } from "../audit/canonical-json.ts";
import { readReport } from "../audit/report/report-files.ts";
import { verifyReport } from "../audit/report/signed-report.ts";
import { loadConfig } from "../config/config.ts";
import { AgoraError, statusOfKind } from "../errors/agora-error.ts";
import { FileBlobStore } from "../learning/blobs/file-blob-store.ts";
import { AuditAnchorClient } from "../settlement/chain/audit-anchor-client.ts";
import { EscrowClient } from "../settlement/chain/escrow-client.ts";
import { connectRpcChain } from "../settlement/chain/rpc-chain.ts";
import { TransactionSender } from "../settlement/chain/transaction-sender.ts";
import { type OpenDatabase, openDatabase } from "../store/database.ts";
import { migrateToLatest } from "../store/migrate.ts";
import type { DecisionView } from "./api-views.ts";
import { type GlobalOptions, printerOf, signIn } from "./context.ts";
import { AuditFailedError, ProblemError, UnreachableError, UsageError } from "./exit-codes.ts";
import { formatFields, formatTable } from "./output.ts";

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

const auditHelp = `
Auditing a task reads the database directly (DATABASE_URL, else the embedded
PGlite under AGORA_DATA_DIR) and the chain at CHAIN_RPC_URL; it needs no API.
The report is signed with --key (EIP-191 over its keccak-256 hash) and written
to AGORA_DATA_DIR/reports/<task>/<hash>.json and .html.

Nothing is sent on chain unless --submit is given: then the verdict decides,
attest when every check passes, dispute (reason hash = report hash) when any
check fails, nothing when the audit is inconclusive.

Exit codes of \`agora audit <task>\` and \`verify-log\`: 0 the audit passed (or the
log verifies); 2 with problem code audit_disputed, audit_inconclusive or
audit_log_tampered when it did not; 1 usage; 3 the chain is unreachable.`;

/**
 * \`agora audit …\`: check a settled task and act on the verdict (\`audit <task>\`, \`verify-log\`,
 * \`verify-report\`), and read what the agents decided and why through the API (auditor role).
 */
export function auditCommands(): Command {
  const audit = new Command("audit")
    .description(
      "audit a settled task: recompute, sign a report, attest or dispute (subcommands read the API as an auditor)",
    )
    .argument("[task]", "the task to audit")
    .option("--submit", "act on the verdict on chain: attest if it passes, dispute if it fails")
    .addOption(
      new Option("--escrow <address>", "the settlement escrow the task is committed to").env(
        "AGORA_ESCROW_ADDRESS",
      ),
    )
    .option(
      "--method <name>",
      "the contribution method payouts follow (default: the Shapley one stored)",
    )
    .addOption(
      new Option(
        "--recompute <how>",
        "models: rebuild and evaluate every coalition model from the stored update blobs (AGORA_DATA_DIR/blobs); recorded-utilities: recompute the Shapley arithmetic from the coalition utilities the scorer recorded",
      )
        .choices(["models", "recorded-utilities"])
        .default("models"),
    )
    .option(
      "--tolerance <number>",
      "largest accepted difference of a recomputed score",
      parseTolerance,
    )
    .addHelpText("after", auditHelp)
    .action(async (task: string | undefined, options: AuditTaskCliOptions, command: Command) => {
      if (task === undefined) {
        command.help({ error: true });
        return;
      }
      await auditTaskCommand(task, options, command);
    });

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

  audit
    .command("verify-log")
    .description("walk the hash-chained audit log and check it against the newest on-chain anchor")
    .addOption(
      new Option(
        "--anchor <address>",
        "the AgoraAuditAnchor contract (omit to check the log alone)",
      ).env("AGORA_AUDIT_ANCHOR_ADDRESS"),
    )
    .action(async (options: { anchor?: string }, command: Command) => {
      await withStore(async (store) => {
        const log = new AuditLog(store.db);
        const chain = options.anchor === undefined ? undefined : await openChain(command);
        try {
          const result =
            chain === undefined
              ? { ...(await log.verify()), anchor: null, anchorProblem: null }
              : await (async () => {
                  const checked = await verifyAgainstAnchor(
                    log,
                    await AuditAnchorClient.at(
                      checkedAddress("--anchor", options.anchor),
                      chain.sender,
                    ),
                  );
                  return {
                    ...checked.log,
                    ok: checked.ok,
                    anchor: checked.anchor,
                    anchorProblem: checked.anchorProblem,
                  };
                })();
          // Sequence numbers are bigints: print them as decimal strings, as the canonical JSON does.
          const printable = JSON.parse(canonicalJson(result)) as typeof result;
          printerOf(command).result(printable, (r) =>
            [
              formatFields({
                entries: String(r.entries),
                head: r.head ?? "(empty log)",
                anchor:
                  r.anchor === null
                    ? "(none checked)"
                    : `#${r.anchor.index}, ${r.anchor.entryCount} entries, ${r.anchor.head}`,
                verdict: r.ok ? "verifies" : "TAMPERED",
              }),
              ...r.problems.map(
                (problem) => `seq ${problem.seq}: ${problem.problem}: ${problem.detail}`,
              ),
              ...(r.anchorProblem === null ? [] : [r.anchorProblem]),
            ].join("\n"),
          );
          if (!result.ok) {
            throw auditProblem("audit_log_tampered", "The audit log does not verify", [
              ...result.problems.map((problem) => `seq ${problem.seq}: ${problem.problem}`),
              ...(result.anchorProblem === null ? [] : [result.anchorProblem]),
            ]);
          }
        } finally {
          await chain?.close();
        }
      });
    });

  audit
    .command("verify-report")
    .argument("<file>", "a signed report (.json) written by `agora audit <task>`")
    .option("--auditor <address>", "also require this auditor's signature")
    .description("check a report's hash and signature, as anyone can")
    .action(async (file: string, options: { auditor?: string }, command: Command) => {
      const signed = await readReport(file).catch(asCliError);
      const result = verifyReport(signed, options.auditor);
      printerOf(command).result(result, (r) =>
        [r.ok ? `verifies: signed by ${r.recovered}` : "DOES NOT VERIFY", ...r.problems].join("\n"),
      );
      if (!result.ok)
        throw auditProblem("audit_report_invalid", "The report does not verify", result.problems);
    });

  return audit;
}

interface AuditTaskCliOptions {
  submit?: boolean;
  escrow?: string;
  method?: string;
  tolerance?: number;
  recompute: "models" | "recorded-utilities";
}

async function auditTaskCommand(taskId: string, options: AuditTaskCliOptions, command: Command) {
  const print = printerOf(command);
  const config = loadConfigOrUsage();
  const chain = options.escrow === undefined ? undefined : await openChain(command);
  const signer: Signer = chain?.signer ?? auditorWallet(command);
  try {
    await withStore(async (store) => {
      const escrow =
        chain === undefined
          ? undefined
          : {
              client: await EscrowClient.at(
                checkedAddress("--escrow", options.escrow),
                chain.sender,
              ),
              chainId: chain.chainId,
            };
      const outcome = await auditTask(taskId, {
        db: store.db,
        signer,
        dataDir: config.AGORA_DATA_DIR,
        recompute:
          options.recompute === "models"
            ? learningRecomputer({ blobs: FileBlobStore.inDataDir(config.AGORA_DATA_DIR) })
            : recordedUtilityRecomputer,
        log: new AuditLog(store.db),
        submit: options.submit === true,
        ...(escrow !== undefined && { escrow }),
        ...(chain !== undefined && { provider: chain.provider }),
        ...(options.method !== undefined && { method: options.method }),
        ...(options.tolerance !== undefined && { tolerance: options.tolerance }),
      }).catch(asCliError);
      const { report } = outcome.signed;
      const summary = {
        taskId,
        verdict: report.verdict,
        reportHash: outcome.signed.reportHash,
        signer: outcome.signed.signer,
        chainAction: outcome.chainAction,
        files: outcome.files,
        checks: report.checks.map((check) => ({
          check: check.check,
          status: check.status,
          summary: check.summary,
        })),
        reasons: report.reasons,
      };
      print.result(summary, (s) =>
        [
          formatFields({
            task: s.taskId,
            verdict: s.verdict,
            "report hash": s.reportHash,
            report: s.files.json,
            html: s.files.html,
            "on chain":
              s.chainAction.kind === "not-submitted"
                ? `nothing sent (${s.chainAction.reason})`
                : s.chainAction.kind,
          }),
          "",
          formatTable(s.checks, [
            { header: "CHECK", value: (check) => check.check },
            { header: "STATUS", value: (check) => check.status },
            { header: "SUMMARY", value: (check) => check.summary },
          ]),
          ...(s.reasons.length === 0
            ? []
            : ["", "reasons:", ...s.reasons.map((reason) => `  - ${reason}`)]),
        ].join("\n"),
      );
      if (report.verdict !== "attest") {
        throw auditProblem(
          report.verdict === "dispute" ? "audit_disputed" : "audit_inconclusive",
          report.verdict === "dispute" ? "The audit found problems" : "The audit is inconclusive",
          report.reasons,
        );
      }
    });
  } finally {
    await chain?.close();
  }
}

/** An audit that did not pass, as a problem: exit code 2 with a stable code scripts branch on. */
function auditProblem(code: string, title: string, reasons: readonly string[]): AuditFailedError {
  return new AuditFailedError({ title, status: 409, code, detail: reasons.join("\n") });
}

/** Domain errors from the store or the chain, as the CLI's own errors. */
function asCliError(error: unknown): never {
  if (error instanceof AgoraError) {
    if (error.kind === "unavailable")
      throw new UnreachableError(error.detail ?? "chain", error.message);
    throw new ProblemError({
      title: error.message,
      status: statusOfKind[error.kind],
      code: error.kind,
      ...(error.detail !== undefined && { detail: error.detail }),
    });
  }
  throw error;
}

function loadConfigOrUsage() {
  try {
    return loadConfig();
  } catch (error) {
    throw new UsageError(
      error instanceof AgoraError ? `${error.message}: ${error.detail}` : String(error),
    );
  }
}

/** Opens the database the way the API does, runs `work`, and always closes it. */
async function withStore<T>(work: (store: OpenDatabase) => Promise<T>): Promise<T> {
  const config = loadConfigOrUsage();
  const store = await openDatabase({
    // An empty DATABASE_URL means unset, as in a shell that clears it with `DATABASE_URL=`.
    url: config.DATABASE_URL === "" ? undefined : config.DATABASE_URL,
    dataDir: `${config.AGORA_DATA_DIR}/pglite`,
  }).catch(asCliError);
  try {
    await migrateToLatest(store.db);
    return await work(store);
  } finally {
    await store.close();
  }
}

function auditorKey(command: Command): string {
  const key = command.optsWithGlobals<GlobalOptions>().key;
  if (key === undefined || key === "")
    throw new UsageError("no key: pass --key <hex> or set AGORA_PRIVATE_KEY");
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    throw new UsageError("the key must be 32 bytes of hex (64 hex digits, 0x optional)");
  }
  return hex;
}

function auditorWallet(command: Command): Wallet {
  try {
    return new Wallet(auditorKey(command));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError("the key is not a valid secp256k1 private key");
  }
}

/** The chain at CHAIN_RPC_URL with the auditor's key; the embedded chain lives in one process only. */
async function openChain(command: Command) {
  const url = process.env.CHAIN_RPC_URL;
  if (url === undefined || url === "") {
    throw new UsageError(
      "set CHAIN_RPC_URL: the escrow and the anchor are read from a JSON-RPC chain",
    );
  }
  const connection = await connectRpcChain({ url, privateKey: auditorKey(command) }).catch(
    asCliError,
  );
  const signer = connection.signers[0] as Signer;
  return {
    signer,
    provider: connection.provider as Provider,
    chainId: connection.chainId,
    sender: new TransactionSender(signer),
    close: () => connection.close(),
  };
}

function checkedAddress(option: string, value: string | undefined): string {
  if (value === undefined || !isAddress(value)) {
    throw new UsageError(`${option} must be an Ethereum address, got ${JSON.stringify(value)}`);
  }
  return getAddress(value);
}

function parseTolerance(value: string): number {
  const tolerance = Number(value);
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new UsageError(`--tolerance must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  return tolerance;
}
