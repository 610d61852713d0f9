import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The source the figures belong to: the commit, and whether src/ or migrations/ had uncommitted changes (others
 * work in this tree while benchmarks run). Undefined outside a git checkout.
 */
export function sourceRevision(): string | undefined {
  const repo = path.resolve(__dirname, '..', '..', '..');
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src', 'migrations').length > 0;
    return dirty ? `${commit} + uncommitted changes in src/ or migrations/` : commit;
  } catch {
    return undefined;
  }
}
