import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { type Browser, chromium, type Page } from "playwright-core";
import { checkResult } from "../../services/audit/auditor/audit-findings.ts";
import { writeReport } from "../../services/audit/report/report-files.ts";
import { signReport } from "../../services/audit/report/signed-report.ts";
import { startTestApi, type TestApi } from "../support/api-client.ts";
import { assertNothingPrivate } from "./public-json.ts";
import { type SeededMarket, seedSettledMarket } from "./settled-task-seed.ts";

/** Debian's Chromium; playwright-core drives it and downloads no browser of its own. */
const chromiumPath = process.env.AGORA_CHROMIUM ?? "/usr/bin/chromium";
const screenshots = join("test-results", "screenshots");
const browserMissing = existsSync(chromiumPath)
  ? false
  : `no Chromium at ${chromiumPath}: install Debian's chromium package (or set AGORA_CHROMIUM)`;
if (browserMissing && process.env.AGORA_REQUIRE_BROWSER === "1") {
  throw new Error(`AGORA_REQUIRE_BROWSER=1 but ${browserMissing}`);
}

/** Expected text of an amount, computed apart from the page's own formatter. */
function money(minor: bigint, decimals: number, currency: string): string {
  const digits = minor.toString().padStart(decimals + 1, "0");
  const whole = BigInt(digits.slice(0, digits.length - decimals)).toLocaleString("en-US");
  const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : "";
  return `${whole}${fraction} ${currency}`;
}
const usd = (minor: bigint) => money(minor, 2, "USD");

interface ChartState {
  type: string;
  datasetTypes: (string | undefined)[];
  points: unknown[];
  /** Elements Chart.js laid out for the first dataset: what it actually drew. */
  drawn: number;
  labels: unknown[];
  /** Whether the canvas has any painted pixel. */
  painted: boolean;
}

/** Reads a chart back from the Chart.js instance on the page's canvas. */
const chartState = (page: Page, canvasId: string) =>
  page.evaluate((id) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement | null;
    interface ChartInstance {
      config: { type: string };
      data: { labels?: unknown[]; datasets: { type?: string; data: unknown[] }[] };
      getDatasetMeta(index: number): { data: unknown[] };
    }
    const { Chart } = globalThis as unknown as {
      Chart: { getChart(canvas: unknown): ChartInstance | undefined };
    };
    const chart = Chart.getChart(canvas);
    if (!canvas || !chart) return undefined;
    const pixels = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = false;
    for (let i = 3; pixels && i < pixels.length; i += 4) {
      if ((pixels[i] ?? 0) > 0) {
        painted = true;
        break;
      }
    }
    return {
      type: chart.config.type,
      datasetTypes: chart.data.datasets.map((dataset) => dataset.type),
      points: chart.data.datasets[0]?.data ?? [],
      drawn: chart.getDatasetMeta(0).data.length,
      labels: chart.data.labels ?? [],
      painted,
    } satisfies ChartState;
  }, canvasId);

/** The rendered text of an element, as a reader sees it (line breaks between blocks). */
const shown = async (page: Page, selector: string) =>
  (await page.locator(selector).allInnerTexts()).join("\n");

/** Text of each cell of the table row marked with `attribute=value`. */
const rowCells = (page: Page, table: string, attribute: string, value: string) =>
  page
    .locator(`#${table} tbody tr[${attribute}="${value}"] td`)
    .allTextContents()
    .then((cells) => cells.map((cell) => cell.trim()));

describe("web dashboard in Chromium", { skip: browserMissing }, () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let seeded: SeededMarket;
  let signedReport: string;
  const auditor = Wallet.createRandom();
  const pageErrors: string[] = [];

  before(async () => {
    api = await startTestApi();
    seeded = await seedSettledMarket(api.running.deps.database.db);
    // A signed report as the auditor writes it, one an editor changed after signing,
    // a file of another shape, and one still being written by hand.
    const dataDir = api.config.AGORA_DATA_DIR;
    const signed = await signReport(
      {
        format: "agora.audit-report/1",
        taskId: seeded.task.id,
        auditor: auditor.address,
        generatedAt: new Date().toISOString(),
        method: "gtg-shapley",
        chain: null,
        verdict: "attest",
        reasons: [],
        checks: [
          checkResult("contributions", "recomputed within tolerance", []),
          checkResult("payouts", "payout table matches the contributions", []),
        ],
      },
      auditor,
    );
    signedReport = relative(join(dataDir, "reports"), (await writeReport(dataDir, signed)).json);
    const forged = { ...signed, report: { ...signed.report, verdict: "dispute" } };
    const reports = join(dataDir, "reports");
    await writeFile(join(reports, "forged.json"), JSON.stringify(forged));
    await writeFile(
      join(reports, "notes.json"),
      JSON.stringify({ note: "manual review", reviewer: "ops", details: { hidden: true } }),
    );
    await writeFile(join(reports, "in-progress.json"), '{"taskId": "');
    await mkdir(screenshots, { recursive: true });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--no-sandbox"],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (error) => pageErrors.push(`page error: ${error.message}`));
    page.on("response", (response) => {
      if (response.status() >= 400 && !response.url().includes("/dashboard/api/")) {
        pageErrors.push(`HTTP ${response.status()} for ${response.url()}`);
      }
    });
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    if (api) await rm(api.config.AGORA_DATA_DIR, { recursive: true, force: true });
  });

  async function open(path: string, screenshot: string) {
    const response = await page.goto(api.url(path));
    assert.equal(response?.status(), 200);
    await page.waitForSelector("body[data-state=ready], body[data-state=error]");
    assert.equal(await page.getAttribute("body", "data-state"), "ready", await shown(page, "main"));
    await page.screenshot({ path: join(screenshots, screenshot), fullPage: true });
    assert.deepEqual(pageErrors, [], "the page logged errors (a CSP violation shows here)");
  }

  it("serves the pages at / with a strict same-origin CSP, public data only, and leaves the API as it was", async () => {
    const home = await fetch(api.url("/"));
    assert.equal(home.status, 200);
    assert.match(home.headers.get("content-type") ?? "", /^text\/html/);
    const csp = home.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const chart = await fetch(api.url("/dashboard/vendor/chart.umd.min.js"));
    assert.equal(chart.status, 200);
    assert.match(chart.headers.get("content-type") ?? "", /javascript/);
    // The JSON API's own task route still wants a session, and unknown paths are still problems.
    assert.equal((await fetch(api.url(`/tasks/${seeded.task.id}`))).status, 401);
    assert.equal((await fetch(api.url("/dashboard/nowhere"))).status, 404);
    const draft = await fetch(api.url(`/dashboard/api/tasks/${seeded.draft.id}`));
    assert.equal(draft.status, 404, "drafts are not public");
    const openapi = (await (await fetch(api.url("/openapi.json"))).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of ["/dashboard/api/tasks", "/dashboard/api/tasks/{taskId}"]) {
      assert.ok(openapi.paths[path], `OpenAPI lacks ${path}`);
    }
    await assertNothingPrivate(api, seeded);
  });

  it("tasks page lists public tasks with status, budget and accuracy, and no drafts", async () => {
    await open("/", "dashboard-tasks.png");
    const cells = await rowCells(page, "tasks", "data-task-id", seeded.task.id);
    assert.equal(cells[0], "mnist-2nn federated");
    assert.equal(cells[1], "settled");
    assert.equal(cells[2], "stripe");
    assert.equal(cells[3], usd(seeded.task.budget));
    assert.equal(cells[4], `${seeded.accuracies.length} / ${seeded.accuracies.length}`);
    assert.equal(cells[5], `${((seeded.accuracies.at(-1) ?? 0) * 100).toFixed(2)}%`);
    assert.equal(cells[6], String(seeded.holders.length));
    const dai = await rowCells(page, "tasks", "data-task-id", seeded.daiTask.id);
    assert.equal(dai[3], money(seeded.daiTask.budget, 18, "DAI"));
    assert.equal(await page.locator(`tr[data-task-id="${seeded.draft.id}"]`).count(), 0);
  });

  it("task page charts accuracy per round, contribution against payout, and ε per holder", async () => {
    await open(`/dashboard/tasks/${seeded.task.id}`, "dashboard-task.png");
    assert.match(await shown(page, "h1"), /mnist-2nn federated/);

    const accuracy = await chartState(page, "accuracy-chart");
    assert.ok(accuracy, "accuracy chart exists");
    assert.equal(accuracy.type, "line");
    assert.deepEqual(accuracy.points, seeded.accuracies);
    assert.equal(accuracy.drawn, seeded.accuracies.length);
    assert.ok(accuracy.painted, "accuracy chart painted");

    const contribution = await chartState(page, "contribution-chart");
    assert.ok(contribution, "contribution chart exists");
    assert.equal(contribution.type, "scatter");
    assert.equal(contribution.drawn, seeded.holders.length);
    assert.ok(contribution.painted);
    const points = contribution.points as { x: number; y: number }[];
    for (const holder of seeded.holders) {
      const point = points.find((p) => Math.abs(p.x - holder.contribution) < 1e-9);
      assert.ok(point, `a point for ${holder.record.id}`);
      assert.equal(point.y, Number(holder.payout.amount) / 100);
    }

    const epsilon = await chartState(page, "epsilon-chart");
    assert.ok(epsilon, "ε chart exists");
    assert.deepEqual(epsilon.datasetTypes, ["bar", "line"]);
    assert.equal(epsilon.drawn, seeded.holders.length);
    assert.deepEqual(
      [...(epsilon.points as number[])].sort(),
      seeded.holders.map((holder) => holder.epsilon).sort(),
    );
    assert.ok(epsilon.painted);

    for (const holder of seeded.holders) {
      const id = holder.record.id;
      const participant = await rowCells(page, "participants", "data-holder-id", id);
      assert.equal(
        participant[2]?.replace(/\s+/g, " "),
        holder.record.payoutRail === "sandbox" ? "sandbox sandbox" : holder.record.payoutRail,
      );
      assert.equal(participant[3], `tier ${holder.tier}`);
      assert.equal(participant[5], String(seeded.accuracies.length));
      assert.equal(participant[6], holder.backend);

      const payout = await rowCells(page, "payouts", "data-holder-id", id);
      assert.equal(payout[2], usd(holder.payout.base));
      assert.equal(payout[3], usd(holder.payout.bonus));
      const sandboxed = holder.payout.rail === "sandbox";
      assert.equal(
        payout[4]?.replace(/\s+/g, " "),
        `${usd(holder.payout.amount)}${sandboxed ? " sandbox" : ""}`,
      );
      assert.equal(payout[6], holder.record.payoutRail === "chain" ? "claimed" : "sent");

      const privacy = await rowCells(page, "privacy", "data-holder-id", id);
      assert.equal(privacy[1], String(holder.epsilon));
    }
    const settlement = await shown(page, "#settlement");
    const allocated = seeded.holders.reduce((sum, holder) => sum + holder.payout.amount, 0n);
    assert.match(settlement, /settled/);
    assert.match(settlement, /3 sent, 1 claimed/);
    assert.ok(settlement.includes(usd(allocated)), settlement);
    // What the plan did not allocate is what the ledger still holds in escrow for the owner.
    const remainder = usd(seeded.task.budget - allocated);
    assert.equal(settlement.split(remainder).length, 3, settlement);
    assert.doesNotMatch(settlement, /sandbox/i, "the task was funded by Stripe, not the sandbox");
    const sandboxPaid = seeded.holders
      .filter((holder) => holder.payout.rail === "sandbox")
      .reduce((sum, holder) => sum + holder.payout.amount, 0n);
    const sandboxRail = await rowCells(page, "settlement-rails", "data-rail", "sandbox");
    assert.equal(sandboxRail[1], "2");
    assert.equal(sandboxRail[3]?.replace(/\s+/g, " "), `${usd(sandboxPaid)} sandbox`);
    assert.ok(
      (await page.locator("#payouts .sandbox").count()) >= 2,
      "sandbox payouts are labelled",
    );
  });

  it("holder page shows exact earnings per currency and the privacy budget left", async () => {
    const chainHolder = seeded.holders[0];
    assert.ok(chainHolder);
    await open(`/dashboard/holders/${chainHolder.record.id}`, "dashboard-holder-chain.png");
    const usdEarnings = await rowCells(page, "earnings", "data-currency", "USD");
    assert.equal(usdEarnings[2], usd(chainHolder.payout.amount));
    assert.equal(usdEarnings[3], usd(chainHolder.payout.amount));
    const daiEarnings = await rowCells(page, "earnings", "data-currency", "DAI");
    // 123.456789012345678901 DAI: 21 significant digits, beyond any float.
    assert.equal(daiEarnings[2], money(seeded.daiPayout, 18, "DAI"));
    assert.equal(daiEarnings[2], "123.456789012345678901 DAI");
    const left = 8 - chainHolder.epsilon - seeded.daiEpsilon;
    assert.equal(await shown(page, "#epsilon-left"), `ε ${left}`);
    const budget = await chartState(page, "budget-chart");
    assert.ok(budget);
    assert.deepEqual(budget.points, [chainHolder.epsilon + seeded.daiEpsilon, left]);
    const agreements = await shown(page, "#agreements");
    assert.match(agreements, new RegExp(`tier ${chainHolder.tier}`));

    const sandboxHolder = seeded.holders.find((holder) => holder.record.payoutRail === "sandbox");
    assert.ok(sandboxHolder);
    await open(`/dashboard/holders/${sandboxHolder.record.id}`, "dashboard-holder-sandbox.png");
    const sandboxEarnings = await rowCells(page, "earnings", "data-rail", "sandbox");
    assert.equal(
      sandboxEarnings[2]?.replace(/\s+/g, " "),
      `${usd(sandboxHolder.payout.amount)} sandbox`,
    );
  });

  it("audit page verifies the hash chain, lists entries and reports, and flags tampering", async () => {
    await open("/dashboard/audit", "dashboard-audit.png");
    assert.equal(
      await shown(page, "#chain-verdict"),
      `Hash chain verified: ${seeded.auditEntries} entries, no problems.`,
    );
    assert.equal(
      await page.locator("#audit-entries tbody tr").count(),
      Math.min(seeded.auditEntries, 50),
    );
    assert.match(await shown(page, "#audit-entries"), /task\.settled/);
    const report = await shown(page, `[data-report="${signedReport}"]`);
    assert.match(report, /Signature and report hash verified/);
    assert.match(report, /verdict\s+attest/);
    assert.match(report, /checks\s+2 pass/);
    assert.ok(report.includes(auditor.address), report);
    assert.match(
      await shown(page, '[data-report="forged.json"]'),
      /does not hold: .*modified/,
      "a report edited after signing is flagged",
    );
    const notes = await shown(page, '[data-report="notes.json"]');
    assert.match(notes, /reviewer\s+ops/);
    assert.doesNotMatch(notes, /hidden/, "nested objects stay out of the summary");
    assert.match(await shown(page, '[data-report="in-progress.json"]'), /not valid JSON/);

    // Someone edits an entry behind the log's back: the page must say so.
    await api.running.deps.database.db
      .updateTable("audit_events")
      .set({ actor: "mallory" })
      .where("kind", "=", "payouts.committed")
      .execute();
    const deadline = Date.now() + 10_000;
    let ok = true;
    while (ok && Date.now() < deadline) {
      const body = (await (await fetch(api.url("/dashboard/api/audit"))).json()) as {
        verification: { ok: boolean };
      };
      ok = body.verification.ok;
      if (ok) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(ok, false, "verification noticed the edit");
    await open("/dashboard/audit", "dashboard-audit-tampered.png");
    assert.match(await shown(page, "#chain-verdict"), /BROKEN/);
    assert.match(await shown(page, "#chain-problems"), /edited/);
  });

  it("an unknown task shows the API's problem instead of a page", async () => {
    await page.goto(api.url("/dashboard/tasks/task-that-never-was"));
    await page.waitForSelector("body[data-state=error]");
    assert.match(
      await shown(page, "main [role=alert]"),
      /Task not found: No public task task-that-never-was/,
    );
    await page.screenshot({ path: join(screenshots, "dashboard-not-found.png") });
    // The failed fetch is the point here; forget it so later pages start clean.
    pageErrors.length = 0;
  });

  it("money formatting in the page is exact for any size, sign and number of decimals", async () => {
    const formatted = await page.evaluate(async () => {
      const { formatMinor } = await import("/dashboard/assets/money.js" as string);
      return [
        formatMinor("0", 2),
        formatMinor("5", 2),
        formatMinor("-5", 2),
        formatMinor("123456", 2),
        formatMinor("7", 0),
        formatMinor("1000000", 0),
        formatMinor("9007199254740993", 6),
        formatMinor("000120", 2),
      ];
    });
    assert.deepEqual(formatted, [
      "0.00",
      "0.05",
      "-0.05",
      "1,234.56",
      "7",
      "1,000,000",
      "9,007,199,254.740993",
      "1.20",
    ]);
  });
});
