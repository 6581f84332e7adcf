/**
 * The part of `cli-progress` (which ships no types) that `agora owner status --watch` uses.
 * See its README for the full options.
 */
declare module "cli-progress" {
  interface BarOptions {
    format?: string;
    /** Where the bar is drawn; default process.stderr. */
    stream?: NodeJS.WritableStream;
    barsize?: number;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    /** Draw on a stream that is not a terminal too (one line per redraw). */
    noTTYOutput?: boolean;
  }

  class SingleBar {
    constructor(options: BarOptions, preset?: Record<string, unknown>);
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(current: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
  }

  const Presets: {
    legacy: Record<string, unknown>;
    rect: Record<string, unknown>;
    shades_classic: Record<string, unknown>;
    shades_grey: Record<string, unknown>;
  };

  const cliProgress: { SingleBar: typeof SingleBar; Presets: typeof Presets };
  export default cliProgress;
}
