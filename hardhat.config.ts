import { createRequire } from "node:module";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/**
 * Compile offline with the npm `solc` package (soljson.js, WebAssembly): Hardhat
 * never downloads a compiler, so builds work where only the npm registry is
 * reachable, and the compiler version moves with the lockfile.
 */
const solcVersion: string = (require("solc/package.json") as { version: string }).version;
const solcPath = require.resolve("solc/soljson.js");

/**
 * A pinned fuzz seed keeps failures reproducible across machines and CI runs
 * (keccak256 of "agora settlement"); change it deliberately to explore more.
 */
const FUZZ_SEED = "0x6f0841d30db3d76b2e55fe62efe40e796170a0b933bf10d06aad18233d32bfda";

export default defineConfig({
  plugins: [hardhatEthers],
  solidity: {
    version: solcVersion,
    path: solcPath,
    settings: {
      // Tuned for the hot path: a claim runs once per holder per task, deployment
      // once. Measured with `./dev bench:gas`: runs 1,000,000 costs ~210 gas less
      // per claim than runs 200; viaIR made no measurable difference to claims and
      // is kept because the escrow's 20-field task view needs it (stack depth).
      optimizer: { enabled: true, runs: 1_000_000 },
      viaIR: true,
      evmVersion: "cancun",
    },
  },
  networks: {
    default: {
      type: "edr-simulated",
      chainType: "l1",
    },
  },
  test: {
    solidity: {
      fuzz: { runs: 1_000, seed: FUZZ_SEED },
      // 1,000 sequences of 50 calls each (create/commit/attest/dispute/claim/reclaim),
      // about 20 s on two cores.
      invariant: { runs: 1_000, depth: 50, failOnRevert: false },
    },
  },
});
