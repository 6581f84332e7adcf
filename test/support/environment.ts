import { randomBytes } from "node:crypto";
import { type Config, loadConfig } from "../../services/config/config.ts";

/** A name no other test run uses: every test gets its own Redis prefix and database schema. */
export const uniqueName = (label: string): string => `${label}_${randomBytes(5).toString("hex")}`;

export const testRedisUrl = (): string => process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export const testPostgresUrl = (): string =>
  process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Configuration for an in-process API: a free port, a private Redis prefix, quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    REDIS_URL: testRedisUrl(),
    AGORA_QUEUE_PREFIX: uniqueName("agora_test"),
    AGORA_JWT_SECRET: randomBytes(32).toString("hex"),
    AGORA_DATA_DIR: `/tmp/${uniqueName("agora_test_data")}`,
    ...overrides,
  });
}
