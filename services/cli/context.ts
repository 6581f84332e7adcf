import { type Command, Option } from "commander";
import { Wallet } from "ethers";
import type { Role } from "../identity/roles.ts";
import { AgoraApiClient } from "./api-client.ts";
import { UsageError } from "./exit-codes.ts";
import { createPrinter, type Printer } from "./output.ts";

/** Options every command accepts, before or after the command name. */
export interface GlobalOptions {
  api: string;
  key?: string;
  json?: boolean;
}

export const defaultApiUrl = "http://127.0.0.1:8080";

/** Adds `--api`, `--key` and `--json`. The key's value is never shown, not even in help. */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(
      new Option("--api <url>", "base URL of the Agora API")
        .env("AGORA_API_URL")
        .default(defaultApiUrl),
    )
    .addOption(
      new Option(
        "--key <hex>",
        "the actor's Ethereum private key (prefer the environment variable: arguments show in process lists)",
      ).env("AGORA_PRIVATE_KEY"),
    )
    .addOption(new Option("--json", "print machine-readable JSON instead of tables"));
}

/** What a command needs to talk to the API as one actor in one role. */
export interface CommandContext {
  client: AgoraApiClient;
  wallet: Wallet;
  print: Printer;
}

export function printerOf(command: Command): Printer {
  return createPrinter(command.optsWithGlobals<GlobalOptions>().json === true);
}

/** Checks the global options and signs in as `role`; a bad URL or key is a usage error. */
export async function signIn(command: Command, role: Role): Promise<CommandContext> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const client = new AgoraApiClient({ baseUrl: checkedApiUrl(options.api) });
  const wallet = walletFrom(options.key);
  await client.signIn(wallet, role);
  return { client, wallet, print: printerOf(command) };
}

function checkedApiUrl(url: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new UsageError(`--api must be an http(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

/** Builds the signing wallet; error messages never repeat the key, even a malformed one. */
function walletFrom(key: string | undefined): Wallet {
  if (key === undefined || key === "")
    throw new UsageError("no key: pass --key <hex> or set AGORA_PRIVATE_KEY");
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new UsageError("the key must be 32 bytes of hex (64 hex digits, 0x optional)");
  try {
    return new Wallet(hex);
  } catch {
    throw new UsageError("the key is not a valid secp256k1 private key");
  }
}
