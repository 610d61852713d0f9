/**
 * /app/log: the public log explorer. Shows the latest signed checkpoint (checked here against the pinned log key),
 * the tree size over time as this browser saw it, and the consistency of every new checkpoint with the last one
 * this browser trusted (src/bundle/monitor.ts). A fork, a rollback, a proof that proves nothing or a checkpoint the
 * pinned key did not sign raises an alarm that stays until someone dismisses it.
 */
import type { CheckpointProblem } from '../../../src/bundle/monitor';
import { keyIdHex, parseNote } from '../../../src/checkpoint';
import { base64ToBytes } from '../../../src/bytes';
import { ApiOptions, getJson, getText } from '../common/api';
import { byId, fill, h } from '../common/dom';
import { formatCount, formatDateTime, formatTime, toHex } from '../common/format';
import { describeKey, loadLogKey, LogKey, pin } from '../common/log-key';
import { hasSessionCookie, signInUrl } from '../common/session';
import { sizeChart, SizePoint } from './chart';
import { entriesOfSerial, entryRows, parseLookup, proveEntry, provedEntryView } from './entries';
import { compare, openServed, Seen, Step } from './monitor';

const POLL_MS = 5_000;
const STORE = {
  trusted: 'rxledger.log.trusted',
  sizes: 'rxledger.log.sizes',
  checks: 'rxledger.log.checks',
  alarm: 'rxledger.log.alarm',
};
const KEEP_SIZES = 2_000;
const KEEP_CHECKS = 50;

interface Check {
  at: string;
  kind: 'first' | 'grown' | 'alarm';
  problem?: CheckpointProblem;
  from: number | null;
  to: number | null;
  proofHashes: number;
  message?: string;
}

type Alarm = Extract<Step, { kind: 'alarm' }> & { at: string };

const ALARM_TITLES: Record<CheckpointProblem, string> = {
  fork: 'Fork detected: this log has shown two different histories',
  rollback: 'Rollback: the log signed a smaller tree after a larger one',
  'bad-proof': 'The log could not prove that its new checkpoint extends the one this browser trusted',
  'bad-signature': 'A checkpoint the pinned log key did not sign',
};

const load = <T>(key: string, fallback: T): T => {
  try {
    return (JSON.parse(localStorage.getItem(key) ?? 'null') as T) ?? fallback;
  } catch {
    return fallback;
  }
};
const save = (key: string, value: unknown) => localStorage.setItem(key, JSON.stringify(value));

let key: LogKey | null = null;
let latest: { seen: Seen | null; step: Step | null; error: string | null; checkedAt: string | null } = {
  seen: null,
  step: null,
  error: null,
  checkedAt: null,
};
let busy = false;

async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  const button = byId<HTMLButtonElement>('check-now');
  button.disabled = true;
  try {
    key ??= await loadLogKey();
    const note = await getText('/v1/log/checkpoint');
    const trusted = load<Seen | null>(STORE.trusted, null);
    let seen: Seen | null = null;
    let signatureError: string | null = null;
    try {
      seen = openServed(note, key.verifier);
    } catch (error) {
      signatureError = `the served checkpoint does not verify with the pinned key: ${(error as Error).message}`;
    }
    const step =
      seen || trusted
        ? await compare(trusted, note, key.verifier, (from, to) =>
            getJson<{ from: number; to: number; hashes: string[] }>(`/v1/log/proof/consistency?from=${from}&to=${to}`),
          )
        : null;
    if (step) record(step);
    latest = { seen, step, error: signatureError, checkedAt: new Date().toISOString() };
  } catch (error) {
    latest = { ...latest, error: (error as Error).message, checkedAt: new Date().toISOString() };
  } finally {
    busy = false;
    button.disabled = false;
    render();
    if (entriesBefore === null) void renderEntries();
  }
}

/** Keeps what a step teaches: the new trusted tree, a point on the chart, a line in the checks, or the alarm. */
function record(step: Step): void {
  const now = new Date().toISOString();
  if (step.kind === 'same') return;
  const checks = load<Check[]>(STORE.checks, []);
  checks.unshift({
    at: now,
    kind: step.kind,
    from: step.kind === 'first' ? null : step.trusted.size,
    to: step.offered.size,
    proofHashes: step.kind === 'first' ? 0 : step.proof.length,
    ...(step.kind === 'alarm' ? { problem: step.problem, message: step.message } : {}),
  });
  save(STORE.checks, checks.slice(0, KEEP_CHECKS));
  if (step.kind === 'alarm') {
    save(STORE.alarm, { ...step, at: now } satisfies Alarm);
    return;
  }
  save(STORE.trusted, step.offered);
  const sizes = load<SizePoint[]>(STORE.sizes, []);
  sizes.push({ t: Date.now(), size: step.offered.size });
  save(STORE.sizes, sizes.slice(-KEEP_SIZES));
}

function render(): void {
  renderAlarm();
  renderCheckpoint();
  renderChart();
  renderChecks();
  renderKey();
  fill(
    byId('status'),
    latest.checkedAt
      ? `Last checked ${formatTime(latest.checkedAt)}; checking every ${POLL_MS / 1000}\u00a0s while this page is open.`
      : 'Checking…',
  );
}

function renderAlarm(): void {
  const alarm = load<Alarm | null>(STORE.alarm, null);
  const box = byId('alarm');
  box.hidden = !alarm;
  if (!alarm) return fill(box);
  box.dataset.problem = alarm.problem;
  const served =
    alarm.offered.size === null ? 'an unreadable checkpoint' : `checkpoint ${formatCount(alarm.offered.size)}`;
  fill(
    box,
    h('h2', null, `⚠ ${ALARM_TITLES[alarm.problem]}`),
    h(
      'p',
      null,
      `On ${formatDateTime(alarm.at)} the log served ${served}; this browser had verified checkpoint ${formatCount(alarm.trusted.size)} on ${formatDateTime(alarm.trusted.at)}. ${sentenceOf(alarm.message)}`,
    ),
    h(
      'p',
      null,
      alarm.problem === 'bad-signature'
        ? 'Either the log changed its key without notice or someone else answered for it. Keep the evidence below and report it to the network operator.'
        : 'Both checkpoints carry valid signatures of the log key: the log operator has signed trees that cannot both be true. Keep the evidence below and report it to the network operator and your regulator.',
    ),
    h(
      'details',
      null,
      h('summary', null, 'Evidence (both checkpoints as served, and the proof)'),
      h('h3', null, `Checkpoint ${alarm.trusted.size} (trusted)`),
      h('pre', { class: 'note' }, alarm.trusted.note),
      h('h3', null, `${served[0].toUpperCase()}${served.slice(1)} (served later)`),
      h('pre', { class: 'note' }, alarm.offered.note),
      h('h3', null, 'Consistency proof served'),
      h('pre', { class: 'note' }, alarm.proof.length ? alarm.proof.join('\n') : '(none needed for these sizes)'),
    ),
    h('button', { type: 'button', id: 'forget' }, 'Forget what this browser saw'),
  );
  box.querySelector('#forget')!.addEventListener('click', () => {
    if (!confirm('Forget every checkpoint this browser saw, and the alarm? Do this only after reporting it.')) return;
    for (const name of Object.values(STORE)) localStorage.removeItem(name);
    void refresh();
  });
}

function renderCheckpoint(): void {
  const panel = byId('checkpoint');
  const seen = latest.seen;
  if (!seen) {
    fill(
      panel,
      h('h2', null, 'Latest checkpoint'),
      latest.error
        ? h('p', { class: 'error', role: 'alert' }, sentenceOf(latest.error))
        : h('p', { class: 'muted' }, 'Loading…'),
    );
    return;
  }
  const note = parseNote(seen.note);
  const signer = note.signatures[0];
  fill(
    panel,
    h('h2', null, 'Latest checkpoint'),
    h(
      'p',
      { class: 'big-number' },
      h('span', { id: 'tree-size' }, formatCount(seen.size)),
      h('span', { class: 'unit' }, seen.size === 1 ? ' entry' : ' entries'),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Origin', note.text.split('\n')[0], 'full'),
      fact('Signed by key', signer ? keyIdHex(signer.keyId) : '—'),
      fact('Fetched', formatDateTime(latest.checkedAt ?? seen.at)),
      fact('Root hash (hex)', toHex(base64ToBytes(seen.root)), 'full', true),
    ),
    h(
      'p',
      { class: 'evidence evidence--ok', 'data-state': 'ok' },
      '✓ Signature verified in this browser with the pinned log key.',
    ),
    latest.step?.kind === 'alarm'
      ? h(
          'p',
          { class: 'evidence evidence--failed', 'data-state': 'fork' },
          `✕ Not consistent with checkpoint ${formatCount(latest.step.trusted.size)}, which this browser trusted: see the alarm above.`,
        )
      : null,
    latest.error ? h('p', { class: 'error', role: 'alert' }, sentenceOf(latest.error)) : null,
    h('details', null, h('summary', null, 'The signed note as served'), h('pre', { class: 'note' }, seen.note)),
  );
}

/** The tree's growth as the server recorded it (GET /v1/log/checkpoints, newest first): sizes and times only. */
let history: SizePoint[] = [];

async function loadHistory(): Promise<void> {
  try {
    const rows = await getJson<{ treeSize: number; createdAt: string }[]>('/v1/log/checkpoints?limit=1000');
    history = rows.map((row) => ({ t: Date.parse(row.createdAt), size: row.treeSize }));
  } catch {
    history = [];
  }
  renderChart();
}

function renderChart(): void {
  const box = byId('chart');
  const sizes = load<SizePoint[]>(STORE.sizes, []);
  fill(box, sizeChart([...history, ...sizes], box.clientWidth || 600));
  const plural = (n: number) => `${formatCount(n)} checkpoint${n === 1 ? '' : 's'}`;
  fill(
    byId('chart-caption'),
    [
      history.length ? `${plural(history.length)} from the server's history` : '',
      sizes.length ? `${plural(sizes.length)} seen by this browser since ${formatDateTime(sizes[0].t)}` : '',
    ]
      .filter(Boolean)
      .join('; ') + (history.length || sizes.length ? '.' : ''),
  );
}

const CHECK_CHIPS: Record<CheckpointProblem, string> = {
  fork: '✕ Fork',
  rollback: '✕ Rollback',
  'bad-proof': '✕ No proof',
  'bad-signature': '✕ Bad signature',
};

function renderChecks(): void {
  const checks = load<Check[]>(STORE.checks, []);
  fill(
    byId('checks'),
    ...checks.map((check) => {
      const bad = check.kind === 'alarm';
      return h(
        'li',
        { class: `check check--${bad ? 'alarm' : 'ok'}`, 'data-problem': check.problem },
        h('span', { class: `chip chip--${bad ? 'red' : 'green'}` }, bad ? CHECK_CHIPS[check.problem!] : '✓ Consistent'),
        ' ',
        h('span', { class: 'check-what' }, describeCheck(check)),
        h('span', { class: 'check-when' }, formatTime(check.at)),
      );
    }),
  );
  byId('checks-empty').hidden = checks.length > 0;
}

function describeCheck(check: Check): string {
  const size = (n: number | null) => (n === null ? '?' : formatCount(n));
  switch (check.kind) {
    case 'first':
      return `First checkpoint seen: ${size(check.to)} entries (trusted from now on)`;
    case 'grown':
      return `${size(check.from)} → ${size(check.to)}: the new tree contains the old (proof of ${check.proofHashes} hashes, checked here)`;
    default:
      return `${size(check.from)} → ${size(check.to)}: ${check.message ?? check.problem}`;
  }
}

function renderKey(): void {
  const panel = byId('vkey');
  if (!key)
    return fill(panel, h('p', { class: 'muted' }, latest.error ? 'The log key could not be loaded.' : 'Loading…'));
  const { name, keyId } = describeKey(key.pinned.vkey);
  fill(
    panel,
    h(
      'dl',
      { class: 'facts' },
      fact('Name', name, 'full'),
      fact('Key ID', keyId),
      fact('Pinned', formatDateTime(key.pinned.pinnedAt)),
    ),
    h('code', { class: 'vkey', id: 'vkey-text' }, key.pinned.vkey),
    key.changed
      ? h(
          'div',
          { class: 'alarm', role: 'alert' },
          h('strong', null, 'The server now serves a different key: '),
          h('code', { class: 'vkey' }, key.served!),
          'Checkpoints signed by it will not verify here. Pin it only if the operator announced a key change.',
          h('button', { type: 'button', id: 'repin' }, 'Pin the new key'),
        )
      : h(
          'p',
          { class: 'muted' },
          'Pinned in this browser the first time it loaded a page of this log; every checkpoint is checked against it.',
        ),
  );
  panel.querySelector('#repin')?.addEventListener('click', () => {
    pin(key!.served!);
    location.reload();
  });
}

function fact(term: string, value: string, modifier = '', code = false): HTMLElement {
  return h(
    'div',
    { class: `fact ${modifier ? `fact--${modifier}` : ''}` },
    h('dt', null, term),
    h('dd', null, code ? h('code', { class: 'vkey' }, value) : value),
  );
}

function sentenceOf(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) + (text.endsWith('.') ? '' : '.') : text;
}

/**
 * The explorer needs no sign-in. A person signed in (the session cookie, which fetch sends; its CSRF cookie tells the
 * page there is one: hasSessionCookie) or a token pasted on another page of this tab reads the events that name its party. Null: the
 * public, who see hashes only (no request that would only be refused).
 */
function credentials(): ApiOptions | null {
  const token = sessionStorage.getItem('rxledger.token.scan') ?? sessionStorage.getItem('rxledger.token.regulator');
  if (token) return { token };
  return hasSessionCookie() ? {} : null;
}

/** Runs a lookup from the box or the address (#entry=42, #leaf=<hex>): proves an entry or lists a serial's. */
async function lookUp(text: string): Promise<void> {
  const error = byId('lookup-error');
  const result = byId('lookup-result');
  fill(error);
  let lookup: ReturnType<typeof parseLookup>;
  try {
    lookup = parseLookup(text);
  } catch (problem) {
    fill(error, sentenceOf((problem as Error).message));
    return;
  }
  fill(result, h('p', { class: 'muted' }, 'Proving…'));
  try {
    key ??= await loadLogKey();
    if (lookup.kind !== 'serial') {
      fill(result, provedEntryView(await proveEntry(lookup, key.verifier, credentials())));
      return;
    }
    const viewer = credentials();
    if (!viewer) throw Object.assign(new Error('sign in'), { status: 401 });
    const entries = await entriesOfSerial(lookup.gtin, lookup.serial, viewer);
    fill(
      result,
      h('h3', null, `Entries about serial ${lookup.serial} of GTIN ${lookup.gtin}`),
      entries.length
        ? h(
            'ol',
            { class: 'serial-entries' },
            ...entries.map((entry) =>
              h(
                'li',
                null,
                h('a', { href: `#entry=${entry.index}` }, `Entry ${formatCount(entry.index)}`),
                ` · ${entry.type} · ${entry.time ? formatDateTime(entry.time) : ''}`,
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No entry about this unit is visible to you.'),
    );
  } catch (problem) {
    fill(result);
    if ((problem as { status?: number }).status === 401) {
      fill(
        error,
        'Looking up by serial needs a sign-in: ',
        h('a', { href: signInUrl() }, 'sign in'),
        ', then try again.',
      );
    } else fill(error, sentenceOf((problem as Error).message));
  }
}

function lookUpFromAddress(): void {
  const match = /^#(entry|leaf)=(.+)$/.exec(location.hash);
  if (!match) return;
  const value = decodeURIComponent(match[2]);
  byId<HTMLInputElement>('lookup-input').value = value;
  void lookUp(value);
}

const PAGE_SIZE = 20;
/** The list shows the tree this browser trusts (signed and consistent with what it saw), never a forked one. */
const trustedSize = () => load<Seen | null>(STORE.trusted, null)?.size ?? 0;
/** The exclusive upper index of the entries shown; null: the newest. */
let entriesBefore: number | null = null;
let entriesBusy = false;

async function renderEntries(): Promise<void> {
  const size = trustedSize();
  if (!size || entriesBusy) return;
  entriesBusy = true;
  const to = Math.min(entriesBefore ?? size, size);
  const from = Math.max(0, to - PAGE_SIZE);
  try {
    const rows = await entryRows(from, to, size);
    fill(
      byId('entries'),
      ...rows.map((row) =>
        h(
          'tr',
          null,
          h('td', null, h('a', { href: `#entry=${row.index}` }, formatCount(row.index))),
          h('td', null, formatDateTime(row.acceptedAt)),
          h('td', null, h('code', null, row.leafHash)),
        ),
      ),
    );
    fill(
      byId('entries-caption'),
      `Entries ${formatCount(from)} to ${formatCount(to - 1)} of ${formatCount(size)} (newest first).`,
    );
    byId<HTMLButtonElement>('entries-newer').disabled = to >= size;
    byId<HTMLButtonElement>('entries-older').disabled = from === 0;
  } catch (problem) {
    fill(byId('entries-caption'), sentenceOf((problem as Error).message));
  } finally {
    entriesBusy = false;
  }
}

function main(): void {
  byId('lookup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = byId<HTMLInputElement>('lookup-input').value;
    // An entry's address can be shared (#entry=42, #leaf=<hex>); a serial stays out of the address bar.
    let address: string | null = null;
    try {
      const lookup = parseLookup(value);
      if (lookup.kind === 'index') address = `#entry=${lookup.index}`;
      if (lookup.kind === 'leaf') address = `#leaf=${lookup.leafHash}`;
    } catch {
      // lookUp names the problem
    }
    if (address && location.hash !== address) location.hash = address;
    else void lookUp(value);
  });
  window.addEventListener('hashchange', lookUpFromAddress);
  byId('entries-newer').addEventListener('click', () => {
    const size = trustedSize();
    entriesBefore = Math.min(size, (entriesBefore ?? size) + PAGE_SIZE);
    if (entriesBefore >= size) entriesBefore = null;
    void renderEntries();
  });
  byId('entries-older').addEventListener('click', () => {
    const size = trustedSize();
    entriesBefore = Math.max(1, (entriesBefore ?? size) - PAGE_SIZE);
    void renderEntries();
  });
  lookUpFromAddress();
  byId('check-now').addEventListener('click', () => void refresh().then(loadHistory));
  let timer = window.setInterval(() => void refresh(), POLL_MS);
  document.addEventListener('visibilitychange', () => {
    window.clearInterval(timer);
    if (document.visibilityState === 'visible') {
      void refresh();
      timer = window.setInterval(() => void refresh(), POLL_MS);
    }
  });
  new ResizeObserver(() => renderChart()).observe(byId('chart'));
  render();
  void refresh().then(loadHistory);
}

main();
