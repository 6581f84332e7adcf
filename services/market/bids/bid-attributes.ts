import { keccak256, id as keccakText, toUtf8Bytes } from "ethers";

/** The bytes32 a task id becomes in signed messages: keccak-256 of its text. */
export const taskIdHash = (taskId: string): string => keccakText(taskId);

/** The parts of a bid too large for the EIP-712 struct, committed to by `attributesHash`. */
export interface BidAttributesPayload {
  labelCoverage: Record<string, number>;
  availableFrom: string;
  availableUntil: string;
}

/**
 * keccak-256 of the canonical JSON of the attributes (keys sorted), so the
 * signature covers label coverage and availability too.
 */
export function attributesHash(attributes: BidAttributesPayload): string {
  const coverage = Object.keys(attributes.labelCoverage)
    .sort()
    .map((label) => [label, attributes.labelCoverage[label]]);
  return keccak256(
    toUtf8Bytes(
      JSON.stringify({
        labelCoverage: coverage,
        availableFrom: new Date(attributes.availableFrom).toISOString(),
        availableUntil: new Date(attributes.availableUntil).toISOString(),
      }),
    ),
  );
}
