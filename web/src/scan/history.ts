/** This session's scans, newest first, kept in sessionStorage (they survive a reload, not the closing of the tab). */
import { fill, h } from '../common/dom';
import { formatTime } from '../common/format';
import { ScanRecord, toneOf } from './answer';
import { visibleCode } from './result-card';

const STORAGE_KEY = 'rxledger.scans';
const KEEP = 200;
const SHOW = 50;
const CHIPS = { green: '✓ Genuine', amber: '! Caution', red: '✕ Stop', grey: '? No answer' } as const;

export class ScanHistory {
  readonly records: ScanRecord[];

  constructor(
    private readonly list: HTMLOListElement,
    private readonly empty: HTMLElement,
    private readonly onSelect: (record: ScanRecord) => void,
  ) {
    this.records = restore();
    list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-id]');
      const record = button && this.records.find((r) => r.id === Number(button.dataset.id));
      if (record) this.onSelect(record);
    });
    this.render();
  }

  nextId(): number {
    return (this.records[0]?.id ?? 0) + 1;
  }

  add(record: ScanRecord): void {
    this.records.unshift(record);
    this.records.length = Math.min(this.records.length, KEEP);
  }

  /** Saves and redraws; called once the card is on screen, so it never delays it. */
  save(): void {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.records));
    } catch {
      // storage full: the list on screen is still right
    }
    this.render();
  }

  private render(): void {
    this.empty.hidden = this.records.length > 0;
    fill(this.list, ...this.records.slice(0, SHOW).map(item));
  }
}

function item(record: ScanRecord): HTMLLIElement {
  const pending = !record.answer && !record.error;
  const tone = toneOf(record);
  const chip = pending ? '… Checking' : CHIPS[tone];
  const answer = record.answer;
  const what = answer?.product
    ? `${answer.product.name} · serial ${answer.asked.serial}${answer.item ? ` · lot ${answer.item.lot}` : ''}`
    : answer
      ? `Serial ${answer.asked.serial} · GTIN ${answer.asked.gtin}`
      : visibleCode(record.code);
  // On a stop, the checked evidence proves why: a tick there would read like an endorsement.
  const evidence =
    record.evidence?.state === 'ok'
      ? tone === 'red'
        ? 'proof checked'
        : 'evidence ✓'
      : record.evidence?.state === 'failed'
        ? 'evidence ✕'
        : '';
  return h(
    'li',
    null,
    h(
      'button',
      { type: 'button', class: `history-item`, 'data-id': record.id, 'data-tone': pending ? 'pending' : tone },
      h('span', { class: `chip chip--${pending ? 'pending' : tone}` }, chip),
      h('span', { class: 'history-what' }, what),
      h('span', { class: 'history-when' }, `${formatTime(record.at)}${evidence ? ` · ${evidence}` : ''}`),
    ),
  );
}

function restore(): ScanRecord[] {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as ScanRecord[];
    return Array.isArray(stored) ? stored.filter((r) => r.answer || r.error) : [];
  } catch {
    return [];
  }
}
