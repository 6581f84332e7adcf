import { Command, Option } from "commander";
import { noAgreement, signatureText } from "./agreement-signing.ts";
import type {
  AgreementView,
  BidView,
  HolderView,
  OfferView,
  SignatureResult,
  TaskView,
} from "./api-views.ts";
import { planBidTerms } from "./bid-plan.ts";
import { claimCommand } from "./claim-command.ts";
import { signIn } from "./context.ts";
import { UsageError } from "./exit-codes.ts";
import {
  coverageArg,
  integerArg,
  isoDateArg,
  minorUnitsArg,
  nonNegativeNumberArg,
  readJsonObject,
} from "./input.ts";
import { formatFields, formatTable, shortHash, yesNo } from "./output.ts";
import { fetchMarketDomain, signAgreement, signBid } from "./typed-signing.ts";

const holderFields = (holder: HolderView) =>
  formatFields({
    holder: holder.id,
    address: holder.address,
    payout: `${holder.payoutRail} ${holder.payoutAccount ?? ""}`.trim(),
    "price floor": `${holder.priceFloor} (minor units)`,
    "privacy budget": `ε ${holder.privacyEpsilon}, δ ${holder.privacyDelta}`,
  });

interface BidOptions {
  price: string;
  samples?: number;
  tier?: number;
  epsilon?: number;
  throughput?: number;
  coverage?: Record<string, number>;
  from?: string;
  until?: string;
}

/** `agora holder …`: register a node, set the guardian's policy, bid, follow offers, sign agreements. */
export function holderCommands(): Command {
  const holder = new Command("holder").description(
    "act as a data holder (signs in with the holder role)",
  );

  holder
    .command("register")
    .description(
      "register this key's node: payout rail, data summary, hardware, privacy budget, price floor",
    )
    .requiredOption(
      "--profile <file>",
      "JSON file with the POST /holders body: { payoutRail, payoutAccount, dataSummary, hardware, privacyEpsilon, privacyDelta, priceFloor }",
    )
    .action(async (options: { profile: string }, command: Command) => {
      const body = await readJsonObject(options.profile, "holder profile");
      const { client, print } = await signIn(command, "holder");
      print.result(await client.post<HolderView>("/holders", body), holderFields);
    });

  holder
    .command("policy")
    .description("change the guardian's policy: price floor and privacy budget (give at least one)")
    .option("--price-floor <minor>", "lowest price to accept, in minor units", minorUnitsArg)
    .option("--epsilon <eps>", "total ε budget across all tasks", nonNegativeNumberArg)
    .option("--delta <delta>", "δ at which the ε budget is counted", nonNegativeNumberArg)
    .action(
      async (
        options: { priceFloor?: string; epsilon?: number; delta?: number },
        command: Command,
      ) => {
        const body = {
          ...(options.priceFloor !== undefined && { priceFloor: options.priceFloor }),
          ...(options.epsilon !== undefined && { privacyEpsilon: options.epsilon }),
          ...(options.delta !== undefined && { privacyDelta: options.delta }),
        };
        if (Object.keys(body).length === 0)
          throw new UsageError("give at least one of --price-floor, --epsilon, --delta");
        const { client, print } = await signIn(command, "holder");
        print.result(await client.put<HolderView>("/holders/me/policy", body), holderFields);
      },
    );

  holder
    .command("bid")
    .argument("<taskId>", "the task to bid on (it must be taking bids)")
    .description(
      "build, EIP-712-sign and submit a bid; terms not given are derived from your registered profile and the task",
    )
    .requiredOption(
      "--price <minor>",
      "asking price in minor units of the task's currency",
      minorUnitsArg,
    )
    .option(
      "--samples <n>",
      "samples offered (default: in-scope samples of your data)",
      integerArg(1, 1e9),
    )
    .option(
      "--tier <n>",
      "model-size tier (default: largest accepted tier that fits the round deadline)",
      integerArg(0, 255),
    )
    .option("--epsilon <eps>", "privacy cost ε (default: the task's ε bound)", nonNegativeNumberArg)
    .option(
      "--throughput <sps>",
      "training samples per second at that tier (default: registered)",
      nonNegativeNumberArg,
    )
    .option(
      "--coverage <label=share,...>",
      "label coverage (default: from your data summary)",
      coverageArg,
    )
    .addOption(new Option("--from <iso>", "available from (default: now)").argParser(isoDateArg))
    .addOption(
      new Option("--until <iso>", "available until (default: registered)").argParser(isoDateArg),
    )
    .action(async (taskId: string, options: BidOptions, command: Command) => {
      const { client, wallet, print } = await signIn(command, "holder");
      const [me, task, market] = await Promise.all([
        client.get<HolderView>("/holders/me"),
        client.get<TaskView>(`/tasks/${encodeURIComponent(taskId)}`),
        fetchMarketDomain(client),
      ]);
      const terms = planBidTerms(me, task, options);
      const body = await signBid(wallet, market, taskId, terms);
      const bid = await client.post<BidView>(`/tasks/${encodeURIComponent(taskId)}/bids`, body);
      print.result({ ...bid, terms }, (result) =>
        formatFields({
          bid: result.id,
          task: result.taskId,
          price: `${result.price} ${task.currency} (minor units)`,
          terms: `${terms.samples} samples, tier ${terms.modelTier}, ε ${terms.epsilon}, ${terms.throughput} samples/s`,
          available: `${terms.availableFrom} – ${terms.availableUntil}`,
          status: result.status,
          digest: result.digest,
        }),
      );
    });

  holder
    .command("offers")
    .description("your bids with every negotiation move on each")
    .action(async (_options: unknown, command: Command) => {
      const { client, print } = await signIn(command, "holder");
      print.result(await client.get<{ offers: OfferView[] }>("/holders/me/offers"), ({ offers }) =>
        formatTable(offers, [
          { header: "BID", value: (offer) => offer.bidId },
          { header: "TASK", value: (offer) => offer.taskId },
          { header: "PRICE", value: (offer) => offer.price },
          { header: "STATUS", value: (offer) => offer.status },
          {
            header: "MOVES",
            value: (offer) =>
              offer.moves
                .map(
                  (move) =>
                    `${move.party} ${move.action}${move.price === null ? "" : ` ${move.price}`}`,
                )
                .join(" → ") || "-",
          },
        ]),
      );
    });

  holder
    .command("agreements")
    .description("agreements proposed to you, with their terms and who has signed")
    .action(async (_options: unknown, command: Command) => {
      const { client, print } = await signIn(command, "holder");
      print.result(
        await client.get<{ agreements: AgreementView[] }>("/holders/me/agreements"),
        ({ agreements }) => agreementTable(agreements),
      );
    });

  holder
    .command("sign")
    .argument("<taskId>", "the task whose agreement to sign")
    .description("sign the agreement proposed to you for a task (EIP-712), as the holder")
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const { client, wallet, print } = await signIn(command, "holder");
      const [me, { agreements }, market] = await Promise.all([
        client.get<HolderView>("/holders/me"),
        client.get<{ agreements: AgreementView[] }>("/holders/me/agreements"),
        fetchMarketDomain(client),
      ]);
      const proposal = agreements.find((agreement) => agreement.taskId === taskId);
      if (proposal === undefined)
        throw noAgreement(`No agreement for task ${taskId} is proposed to holder ${me.id}.`);
      const body = await signAgreement(wallet, market, taskId, proposal.termsHash);
      const signed = await client.post<SignatureResult>(
        `/tasks/${encodeURIComponent(taskId)}/agreements/${encodeURIComponent(me.id)}/signatures`,
        body,
      );
      print.result(signed, signatureText);
    });

  holder.addCommand(claimCommand());

  return holder;
}

const agreementTable = (agreements: readonly AgreementView[]): string =>
  formatTable(agreements, [
    { header: "TASK", value: (agreement) => agreement.taskId },
    { header: "PRICE", value: (agreement) => agreement.price },
    { header: "TERMS", value: (agreement) => shortHash(agreement.termsHash) },
    { header: "OWNER SIGNED", value: (agreement) => yesNo(agreement.ownerSigned) },
    { header: "HOLDER SIGNED", value: (agreement) => yesNo(agreement.holderSigned) },
  ]);
