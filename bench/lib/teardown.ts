import { note } from './report';

/**
 * Things to undo when the benchmark ends, however it ends (normal exit, an error, Ctrl-C): last added, first undone.
 * Each step is bounded so that one stuck step cannot keep the rest (e.g. stopping PostgreSQL) from running.
 */
export class Teardown {
  private readonly steps: { name: string; undo: () => Promise<void> }[] = [];
  private running?: Promise<void>;

  constructor() {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        note(`${signal}: tearing down`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }

  add(name: string, undo: () => Promise<void>): void {
    this.steps.push({ name, undo });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            step.undo(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('timed out after 30 s')), 30_000);
            }),
          ]);
        } catch (error) {
          note(`teardown: ${step.name} failed: ${(error as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}

/** Runs a benchmark's main function with a Teardown, always tearing down, and sets the exit code. */
export function runBench(main: (teardown: Teardown) => Promise<void>): void {
  const teardown = new Teardown();
  main(teardown)
    .catch((error: Error) => {
      console.error(error.stack ?? error.message);
      process.exitCode = 1;
    })
    .finally(() => teardown.run())
    .catch(() => undefined);
}
