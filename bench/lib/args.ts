/** `--name value` and `--flag` command-line options, with numeric values allowed to use `_` or `,` separators. */
export class BenchArgs {
  private readonly values = new Map<string, string>();

  constructor(argv: readonly string[] = process.argv.slice(2)) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (!arg.startsWith('--'))
        throw new Error(`unexpected argument ${JSON.stringify(arg)} (options are --name value)`);
      const eq = arg.indexOf('=');
      if (eq > 0) {
        this.values.set(arg.slice(2, eq), arg.slice(eq + 1));
      } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
        this.values.set(arg.slice(2), argv[++i]);
      } else {
        this.values.set(arg.slice(2), 'true');
      }
    }
  }

  number(name: string, fallback: number): number {
    const text = this.values.get(name);
    if (text === undefined) return fallback;
    const value = Number(text.replace(/[_,]/g, ''));
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${JSON.stringify(text)}`);
    return value;
  }

  numbers(name: string, fallback: number[]): number[] {
    const text = this.values.get(name);
    if (text === undefined) return fallback;
    return text.split('/').map((part) => {
      const value = Number(part.replace(/[_,]/g, ''));
      if (!Number.isFinite(value))
        throw new Error(`--${name} must be numbers separated by "/", got ${JSON.stringify(text)}`);
      return value;
    });
  }

  string(name: string, fallback: string): string {
    return this.values.get(name) ?? fallback;
  }

  flag(name: string): boolean {
    const text = this.values.get(name);
    return text !== undefined && text !== 'false' && text !== '0';
  }
}
