#!/usr/bin/env node
import { pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";
import { auditCommands } from "./audit-commands.ts";
import { addGlobalOptions } from "./context.ts";
import {
  ExitCode,
  ProblemError,
  ServiceUnreachableError,
  UnreachableError,
  UsageError,
} from "./exit-codes.ts";
import { holderCommands } from "./holder-commands.ts";
import { formatProblem } from "./output.ts";
import { ownerCommands } from "./owner-commands.ts";
import { serveCommand } from "./serve-command.ts";
import { workerCommand } from "./worker-command.ts";

const exitCodesHelp = `
Exit codes:
  0  ok (also --help)
  1  usage error: unknown command or option, bad value, unreadable or malformed input file, no key
  2  the API answered with a problem; its title and detail are printed to stderr
  3  the API (or the chain) could not be reached; for serve and worker, the
     database or Redis did not answer at start-up
  4  an audit found problems: the task is disputed or inconclusive, or the audit log does not verify

Environment:
  AGORA_API_URL      default for --api
  AGORA_PRIVATE_KEY  default for --key (never printed)

Each owner, holder and audit command signs in with Sign-In with Ethereum for
the role it needs and keeps the session in memory only; nothing is written to
disk. serve and worker read the server configuration from the environment.`;

/** Builds the `agora` program: global options, then one command group per role. */
export function createProgram(): Command {
  const program = new Command("agora")
    .description("Command-line client for Agora, the federated-learning marketplace")
    // Throw instead of exiting so main maps every failure to a documented exit code.
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", exitCodesHelp);
  addGlobalOptions(program);
  const groups = [
    ownerCommands(),
    holderCommands(),
    auditCommands(),
    serveCommand(),
    workerCommand(),
  ];
  for (const group of groups) {
    // Settings are copied onto subcommands only when they are added, so apply them down the tree.
    applySettings(group, program);
    program.addCommand(group);
  }
  return program;
}

function applySettings(command: Command, from: Command): void {
  command.copyInheritedSettings(from);
  for (const child of command.commands) applySettings(child, from);
}

/**
 * Runs `agora` with `argv` (as `process.argv`) and returns the exit code
 * instead of exiting, so output is flushed and the code is easy to test.
 */
export async function runCli(argv: readonly string[]): Promise<ExitCode> {
  const program = createProgram();
  const json = argv.includes("--json");
  try {
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (error) {
    return report(error, json);
  }
}

function report(error: unknown, json: boolean): ExitCode {
  if (error instanceof CommanderError) {
    // Commander has printed its own message (or the help) already.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof ProblemError) {
    process.stderr.write(
      `${json ? JSON.stringify({ problem: error.problem }) : formatProblem(error.problem)}\n`,
    );
    return error.exitCode;
  }
  if (
    error instanceof UsageError ||
    error instanceof UnreachableError ||
    error instanceof ServiceUnreachableError
  ) {
    process.stderr.write(
      `${json ? JSON.stringify({ error: error.message }) : `error: ${error.message}`}\n`,
    );
    return error.exitCode;
  }
  // A bug or an answer the client did not expect; count it as a problem, never a success.
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return ExitCode.problem;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await runCli(process.argv);
}
