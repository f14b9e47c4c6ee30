import type { Logger } from '../log.js';

/**
 * Runs a task repeatedly with a delay between runs (never overlapping). A failing run is logged
 * and the next one still happens: one broken part must not stop the others.
 */
export class Ticker {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #failures = 0;

  constructor(
    readonly name: string,
    private readonly intervalMs: () => number,
    private readonly task: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule() {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.task()
        .then(() => {
          if (this.#failures) this.log.info({ task: this.name }, 'task recovered');
          this.#failures = 0;
        })
        .catch((err: unknown) => {
          this.#failures += 1;
          // log the first failure and then every 60th, so a lasting fault does not flood the log
          if (this.#failures === 1 || this.#failures % 60 === 0) {
            this.log.error({ err, task: this.name, failures: this.#failures }, 'periodic task failed');
          }
        })
        .finally(() => {
          this.#running = null;
          this.#schedule();
        });
    }, this.intervalMs());
    this.#timer.unref?.();
  }
}
