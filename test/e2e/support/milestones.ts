import type { TestContext } from "node:test";

/**
 * Notes each step's time since the test began in the test's report, so a
 * slow or failed run shows where the time went.
 */
export function milestones(t: TestContext): (step: string) => void {
  const start = Date.now();
  return (step) => t.diagnostic(`${((Date.now() - start) / 1000).toFixed(1)} s: ${step}`);
}
