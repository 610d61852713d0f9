/** Whether this process serves (integrates, bootstraps the log) or runs an operator tool against the database. */
export class RunMode {
  constructor(readonly mode: 'server' | 'tool') {}

  get isServer(): boolean {
    return this.mode === 'server';
  }
}
