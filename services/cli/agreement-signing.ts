import type { SignatureResult } from "./api-views.ts";
import { ProblemError } from "./exit-codes.ts";
import { formatFields, shortHash, yesNo } from "./output.ts";

/** What `owner sign` and `holder sign` print. */
export const signatureText = (signed: SignatureResult): string =>
  formatFields({
    task: signed.taskId,
    holder: signed.holderId,
    "signed as": signed.party,
    terms: shortHash(signed.termsHash),
    complete: `${yesNo(signed.complete)}${signed.complete ? "" : " (waiting for the other party)"}`,
  });

/**
 * The API lists proposals rather than serving one, so finding none for this
 * party is reported the way a 404 from the API would be (exit 2).
 */
export const noAgreement = (detail: string): ProblemError =>
  new ProblemError({ title: "No such agreement", status: 404, code: "not_found", detail });
