/**
 * /app/regulator: a regulator picks a scope (serial, lot, product and period, party and period, open alerts), reads a
 * summary with the custody timeline, downloads the report in each format, reads the custody alerts, and triages the
 * verification alerts (./triage.ts).
 */
import { parseProductCode } from '../../../src/gs1/product-code';
import type { EvidenceBundle } from '../../../src/protocol/bundle';
import { ApiError, getFile, getJson } from '../common/api';
import { byId, fill, h } from '../common/dom';
import { loadLogKey } from '../common/log-key';
import { expire, startSession } from '../common/session';
import { AlertRow, loadAlerts, renderAlerts } from './alerts';
import { startTriage } from './triage';
import { Names, namesOf, renderReport, ReportFormat, verifyInBrowser } from './report';

const SESSION = { storageKey: 'rxledger.token.regulator', roles: ['regulator'], roleNames: 'regulators' };
type Kind = 'serial' | 'lot' | 'gtin' | 'party' | 'alerts';

async function main(): Promise<void> {
  const logKey = loadLogKey().then(
    (key) => key.pinned.vkey,
    (error: Error) => error,
  );
  const session = await startSession(SESSION);
  const auth = { token: session.token };
  byId('workspace').hidden = false;

  const directory: Names = new Map();
  const parties = getJson<{ gln: string; name: string; role: string }[]>('/v1/parties', auth)
    .then((list) => {
      for (const party of list) directory.set(party.gln, party.name);
      fill(byId('party-list'), ...list.map((p) => h('option', { value: p.gln }, `${p.name} (${p.role})`)));
    })
    .catch(() => undefined);

  const form = byId<HTMLFormElement>('scope-form');
  const field = (id: string) => byId<HTMLInputElement>(id);
  const kind = () => (form.querySelector<HTMLInputElement>('input[name="kind"]:checked')?.value ?? 'serial') as Kind;
  const showFields = () => {
    for (const element of form.querySelectorAll<HTMLElement>('[data-for]')) {
      element.hidden = !element.dataset.for!.split(' ').includes(kind());
    }
  };
  form.addEventListener('change', (event) => {
    if ((event.target as HTMLInputElement).name === 'kind') showFields();
  });
  showFields();
  const today = new Date().toISOString().slice(0, 10);
  field('f-from').value = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  field('f-to').value = today;

  // A scanned code fills GTIN, serial and lot.
  field('f-code').addEventListener('input', () => {
    try {
      const code = parseProductCode(field('f-code').value);
      if (code.gtin) field('f-gtin').value = code.gtin;
      if (code.serial) field('f-serial').value = code.serial;
      if (code.lot) field('f-lot').value = code.lot;
    } catch {
      // not complete yet
    }
  });

  const report = byId('report');
  const scopeError = byId('scope-error');
  let current: { path: string; bundle: { blob: Blob; filename: string | null } } | null = null;

  const save = (blob: Blob, filename: string) => {
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
  };

  const download = async (format: ReportFormat, button: HTMLButtonElement) => {
    if (!current) return;
    const status = byId('download-status');
    button.disabled = true;
    fill(status, `Preparing the ${button.textContent?.replace('⤓ ', '')}…`);
    try {
      const file = format === 'bundle' ? current.bundle : await getFile(`${current.path}&format=${format}`, auth);
      const filename =
        file.filename ?? `rxledger-report.${format === 'bundle' || format === 'epcis' ? 'json' : format}`;
      save(file.blob, filename);
      fill(status, `Downloaded ${filename} (${Math.max(1, Math.round(file.blob.size / 1024))} kB).`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return expire(SESSION);
      fill(status, `The download failed: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  };

  const show = async () => {
    fill(scopeError);
    const path = pathOf(kind(), field);
    if (typeof path !== 'string') {
      fill(scopeError, path.problem);
      return;
    }
    const button = byId<HTMLButtonElement>('show-report');
    button.disabled = true;
    report.hidden = false;
    report.setAttribute('aria-busy', 'true');
    fill(report, h('p', { class: 'muted' }, 'Preparing the report…'));
    try {
      const bundle = await getFile(`${path}&format=bundle`, auth);
      const text = await bundle.blob.text();
      const parsed = JSON.parse(text) as EvidenceBundle;
      current = { path, bundle };
      await parties;
      renderReport(report, parsed, namesOf(parsed, directory), (format, b) => void download(format, b));
      await verifyInBrowser(text, await logKey, byId('bundle-check'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return expire(SESSION);
      current = null;
      fill(report, h('p', { class: 'error', role: 'alert' }, `No report: ${(error as Error).message}`));
    } finally {
      button.disabled = false;
      report.removeAttribute('aria-busy');
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void show();
  });

  // Alerts
  const list = byId('alerts');
  const count = byId('alerts-count');
  const kindFilter = byId<HTMLSelectElement>('a-kind');
  const statusFilter = byId<HTMLSelectElement>('a-status');
  const search = byId<HTMLInputElement>('a-search');
  let rows: AlertRow[] = [];
  const openReport = (
    scope: { kind: 'lot'; gtin: string; lot: string } | { kind: 'serial'; gtin: string; serial: string },
  ) => {
    form.querySelector<HTMLInputElement>(`input[name="kind"][value="${scope.kind}"]`)!.checked = true;
    showFields();
    field('f-gtin').value = scope.gtin;
    if (scope.kind === 'lot') field('f-lot').value = scope.lot;
    else field('f-serial').value = scope.serial;
    void show().then(() => report.scrollIntoView({ block: 'start' }));
  };
  const draw = () => renderAlerts(list, count, rows, search.value, directory, openReport);
  const reload = async () => {
    fill(count, 'Loading…');
    try {
      await parties;
      rows = await loadAlerts(
        { kind: kindFilter.value, status: statusFilter.value as 'open' | 'closed' },
        auth,
        directory,
      );
      draw();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return expire(SESSION);
      fill(count, `The alerts could not be loaded: ${(error as Error).message}`);
    }
  };
  kindFilter.addEventListener('change', () => void reload());
  statusFilter.addEventListener('change', () => void reload());
  search.addEventListener('input', draw);
  byId('alert-filters').addEventListener('submit', (event) => event.preventDefault());
  void reload();

  void parties.then(() => startTriage(auth, directory, openReport, () => expire(SESSION)));
}

/** The report's path and query for the chosen scope (format added by the caller), or what is missing. */
function pathOf(kind: Kind, field: (id: string) => HTMLInputElement): string | { problem: string } {
  const value = (id: string) => field(id).value.trim();
  const need = (...ids: [string, string][]) => {
    const missing = ids.filter(([id]) => !value(id)).map(([, label]) => label);
    return missing.length ? { problem: `Fill in ${missing.join(' and ')}.` } : null;
  };
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const day = (date: string, plusDays = 0) =>
    new Date(Date.parse(`${date}T00:00:00Z`) + plusDays * 86_400_000).toISOString();
  switch (kind) {
    case 'serial':
      return (
        need(['f-gtin', 'the GTIN'], ['f-serial', 'the serial']) ??
        `/v1/reports/serial?${q({ gtin: value('f-gtin'), serial: value('f-serial') })}`
      );
    case 'lot':
      return (
        need(['f-gtin', 'the GTIN'], ['f-lot', 'the lot']) ??
        `/v1/reports/lot?${q({ gtin: value('f-gtin'), lot: value('f-lot') })}`
      );
    case 'gtin':
      return (
        need(['f-gtin', 'the GTIN'], ['f-from', 'the first day'], ['f-to', 'the last day']) ??
        `/v1/reports/gtin?${q({ gtin: value('f-gtin'), from: day(value('f-from')), to: day(value('f-to'), 1) })}`
      );
    case 'party':
      return (
        need(['f-gln', 'the GLN'], ['f-from', 'the first day'], ['f-to', 'the last day']) ??
        `/v1/reports/party?${q({ gln: value('f-gln'), from: day(value('f-from')), to: day(value('f-to'), 1) })}`
      );
    case 'alerts':
      return '/v1/reports/alerts?';
  }
}

void main();
