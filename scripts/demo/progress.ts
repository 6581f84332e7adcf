import cliProgress from "cli-progress";

/** A bar for one stage, ticked as its items finish. */
export interface StageBar {
  /** One more item done; `detail` replaces the text after the counter. */
  tick(detail?: string): void;
  /** Sets the counter (and the detail). */
  update(value: number, detail?: string): void;
  /** Ends the bar and prints the stage's line with `summary`. */
  done(summary: string): void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`.padStart(7);

/**
 * The demo's console: one line per finished stage with the elapsed time,
 * and a progress bar while a stage with many items runs. Bars are drawn only
 * on a terminal; in a log the finished lines say the same.
 */
export class DemoProgress {
  readonly #started = performance.now();
  readonly #tty = process.stdout.isTTY === true;

  /** Milliseconds since the demo started. */
  elapsedMs(): number {
    return performance.now() - this.#started;
  }

  line(text: string): void {
    process.stdout.write(`[${seconds(this.elapsedMs())}] ${text}\n`);
  }

  /** Runs one stage and prints `✓ title: summary` when it ends (or `✗` with the error). */
  async step<T>(title: string, work: () => Promise<T>, summary?: (result: T) => string) {
    try {
      const result = await work();
      this.line(`✓ ${title}${summary === undefined ? "" : `: ${summary(result)}`}`);
      return result;
    } catch (error) {
      this.line(`✗ ${title}`);
      throw error;
    }
  }

  /** A bar of `total` items for a stage; its finished line is printed by `done`. */
  bar(title: string, total: number): StageBar {
    let value = 0;
    const bar = this.#tty
      ? new cliProgress.SingleBar(
          {
            format: `  ${title.padEnd(22)} |{bar}| {value}/{total} {detail}`,
            barsize: 30,
            hideCursor: true,
            clearOnComplete: true,
            stream: process.stdout,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(total, 0, { detail: "" });
    return {
      tick: (detail) => {
        value += 1;
        bar?.update(value, detail === undefined ? undefined : { detail });
      },
      update: (next, detail) => {
        value = next;
        bar?.update(value, detail === undefined ? undefined : { detail });
      },
      done: (summary) => {
        bar?.stop();
        this.line(`✓ ${title}: ${summary}`);
      },
    };
  }
}
