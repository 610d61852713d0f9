/**
 * Receiving mode (issue 13 §2): choose a shipment on its way to this party, scan its totes, cases and units, see
 * what the advance notice expects against what was scanned (a container counts with everything packed in it), and
 * post the receipt for what arrived. An item the notice does not list is flagged as extra and named in the receipt,
 * so the log records the discrepancy: it is never received silently (PROTOCOL §7.3: extra items are not received).
 */
import { parseProductCode } from '../../../src/gs1/product-code';
import { containerCode, unitCode } from '../../../src/protocol/item-code';
import type { Shipment } from '../../../src/protocol/custody/model';
import type { ExpectedItem, ExpectedShipment } from '../../../src/supply-chain/receiving.service';
import { ApiError, getJson } from '../common/api';
import { signEvent } from '../common/device-key';
import { byId, fill, h } from '../common/dom';
import { formatDateTime, formatDay } from '../common/format';
import { postSignedEvent, receiveEvent } from './actions';
import { entryLink } from './card-actions';
import { confirmAction } from './confirm';

type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
type ShipmentView = Wire<Shipment>;

const ROLE_PATHS: Record<string, string> = {
  dispenser: 'dispensers',
  distributor: 'distributors',
  manufacturer: 'manufacturers',
};

/** The item code a scan names: a container's SSCC or a unit's GTIN and serial; null for anything else. */
export function itemCodeOf(text: string): string | null {
  try {
    const code = parseProductCode(text);
    if (code.sscc) return containerCode(code.sscc);
    if (code.gtin && code.serial) return unitCode(code.gtin, code.serial);
  } catch {
    // not a code
  }
  return null;
}

/** Expected against scanned, for one shipment. */
export class Tally {
  private readonly byCode = new Map<string, ExpectedItem>();
  private readonly children = new Map<string, ExpectedItem[]>();
  readonly scanned: string[] = [];
  readonly extra: string[] = [];

  constructor(readonly expected: ExpectedShipment) {
    for (const item of expected.items) {
      this.byCode.set(item.code, item);
      if (item.container) this.children.set(item.container, [...(this.children.get(item.container) ?? []), item]);
    }
  }

  /** Records a scan: 'expected', 'extra' or 'repeat'. */
  add(code: string): 'expected' | 'extra' | 'repeat' {
    if (this.scanned.includes(code) || this.extra.includes(code)) return 'repeat';
    if (!this.byCode.has(code)) {
      this.extra.push(code);
      return 'extra';
    }
    this.scanned.push(code);
    return 'expected';
  }

  get top(): ExpectedItem[] {
    return this.expected.items.filter((item) => item.container === null);
  }

  /** The units at any depth in a container. */
  unitsIn(code: string): ExpectedItem[] {
    return (this.children.get(code) ?? []).flatMap((child) =>
      child.kind === 'unit' ? [child] : this.unitsIn(child.code),
    );
  }

  /** Arrived: scanned, inside a scanned container, or a container whose every unit was scanned. */
  arrived(code: string): boolean {
    if (this.scanned.includes(code)) return true;
    const item = this.byCode.get(code);
    if (!item) return false;
    if (this.insideScanned(item)) return true;
    if (item.kind === 'container') {
      const units = this.unitsIn(code);
      return units.length > 0 && units.every((unit) => this.scanned.includes(unit.code));
    }
    return false;
  }

  private insideScanned(item: ExpectedItem): boolean {
    for (let parent = item.container; parent; parent = this.byCode.get(parent)?.container ?? null) {
      if (this.scanned.includes(parent)) return true;
    }
    return false;
  }

  /** Units expected and units arrived (containers counted with their contents). */
  counts(): { expected: number; arrived: number; extra: number } {
    const units = this.expected.items.filter((item) => item.kind === 'unit');
    const arrivedUnits = units.filter((unit) => this.arrived(unit.code) || this.arrivedByContainer(unit));
    return { expected: units.length, arrived: arrivedUnits.length, extra: this.extra.length };
  }

  private arrivedByContainer(unit: ExpectedItem): boolean {
    for (let parent = unit.container; parent; parent = this.byCode.get(parent)?.container ?? null) {
      if (this.arrived(parent)) return true;
    }
    return false;
  }

  /** The shipped (top-level) items not arrived. */
  missing(): ExpectedItem[] {
    return this.top.filter((item) => !this.arrived(item.code));
  }

  /** What the receipt names: the shipped items that arrived, then the extra ones (flagged by the log). */
  receiptItems(): string[] {
    return [...this.top.filter((item) => this.arrived(item.code)).map((item) => item.code), ...this.extra];
  }
}

export interface ReceivingContext {
  session: { token: string | null; gln: string; role: string; name: string };
  hasDeviceKey: () => boolean;
  /** Focus back to the scan box. */
  focusScan: () => void;
}

export class ReceivingMode {
  private tally: Tally | null = null;
  private shipments: ShipmentView[] = [];
  private readonly choose = byId<HTMLSelectElement>('receiving-shipment');
  private readonly status = byId('receiving-status');
  private readonly view = byId('receiving-view');
  private readonly post = byId<HTMLButtonElement>('receiving-post');
  private readonly result = byId('receiving-result');

  constructor(private readonly context: ReceivingContext) {
    this.choose.addEventListener('change', () => void this.open(this.choose.value));
    this.post.addEventListener('click', () => void this.postReceipt());
  }

  /** Loads the shipments on their way to this party. */
  async load(): Promise<void> {
    const base = ROLE_PATHS[this.context.session.role];
    if (!base) {
      fill(this.status, 'Only trading partners that hold stock receive shipments.');
      return;
    }
    fill(this.status, 'Loading incoming shipments…');
    try {
      this.shipments = await getJson<ShipmentView[]>(`/v1/${base}/me/shipments/incoming?limit=100`, {
        token: this.context.session.token,
      });
    } catch (error) {
      fill(this.status, `The incoming shipments could not be loaded: ${(error as Error).message}`);
      return;
    }
    const current = this.tally?.expected.shipment.id;
    fill(
      this.choose,
      h('option', { value: '' }, this.shipments.length ? 'Choose a shipment…' : 'No shipment on its way to you'),
      ...this.shipments.map((s) =>
        h(
          'option',
          { value: s.id, selected: s.id === current },
          `${s.shipmentId} from GLN ${s.shipper} · ${s.unitCount} unit${s.unitCount === 1 ? '' : 's'} · shipped ${formatDay(s.shippedAt.slice(0, 10))}`,
        ),
      ),
    );
    fill(this.status, this.shipments.length ? '' : 'Nothing is on its way to you.');
  }

  private async open(id: string): Promise<void> {
    fill(this.result);
    this.tally = null;
    const shipment = this.shipments.find((s) => s.id === id);
    if (!shipment) return this.render();
    fill(this.status, 'Loading the advance notice…');
    try {
      const expected = await getJson<ExpectedShipment>(
        `/v1/receiving/shipment?shipper=${encodeURIComponent(shipment.shipper)}&shipmentId=${encodeURIComponent(shipment.shipmentId)}`,
        { token: this.context.session.token },
      );
      this.tally = new Tally(expected);
      fill(this.status, `Scan the totes, cases and units of ${shipment.shipmentId}.`);
    } catch (error) {
      fill(this.status, `The shipment could not be loaded: ${(error as Error).message}`);
    }
    this.render();
    this.context.focusScan();
  }

  /** A scan while receiving. */
  scan(text: string): void {
    if (!this.tally) {
      fill(this.status, 'Choose the shipment you are receiving first.');
      return;
    }
    const code = itemCodeOf(text);
    if (!code) {
      fill(this.status, `Not a case label or a package code: ${text.slice(0, 60)}`);
      return;
    }
    const outcome = this.tally.add(code);
    const item = this.tally.expected.items.find((i) => i.code === code);
    fill(
      this.status,
      outcome === 'repeat'
        ? `${code} was already scanned.`
        : outcome === 'extra'
          ? `Extra: ${code} is not in this shipment's advance notice.`
          : `Scanned ${item?.kind === 'container' ? `container ${code} (${item.units ?? 0} units)` : code}.`,
    );
    this.render();
  }

  private render(): void {
    const tally = this.tally;
    this.post.hidden = !tally;
    if (!tally) return fill(this.view);
    const { expected, arrived, extra } = tally.counts();
    const missing = tally.missing();
    const rows = tally.expected.items.map((item) => {
      const ok = tally.arrived(item.code) || (item.container !== null && tally.arrived(item.container));
      const partly =
        !ok && item.kind === 'container' && tally.unitsIn(item.code).some((u) => tally.scanned.includes(u.code));
      const state = ok ? 'arrived' : partly ? 'partly' : 'missing';
      const label = ok ? 'Arrived' : partly ? 'Partly scanned' : item.container ? 'Not scanned' : 'Missing';
      return h(
        'tr',
        { class: `receiving-row receiving-row--${state}`, 'data-code': item.code, 'data-state': state },
        h(
          'td',
          { class: item.container ? 'receiving-inside' : '' },
          h('code', null, item.code),
          item.container ? h('span', { class: 'visually-hidden' }, ` (in ${item.container})`) : null,
        ),
        h(
          'td',
          null,
          item.kind === 'container'
            ? `Container · ${item.units ?? 0} unit${item.units === 1 ? '' : 's'}`
            : `${item.product ?? 'Unit'} · lot ${item.lot ?? '?'}${item.expiry ? ` · exp. ${formatDay(item.expiry)}` : ''}`,
        ),
        h('td', null, h('span', { class: `chip chip--${ok ? 'green' : partly ? 'amber' : 'red'}` }, label)),
      );
    });
    fill(
      this.view,
      h(
        'p',
        { class: 'receiving-counts', id: 'receiving-counts' },
        h('strong', null, `${arrived} of ${expected} units scanned`),
        ` · ${missing.length} shipped item${missing.length === 1 ? '' : 's'} missing · `,
        h('span', { class: extra ? 'receiving-extra-count' : '' }, `${extra} extra`),
      ),
      h(
        'table',
        { class: 'receiving-table', id: 'receiving-items' },
        h('caption', { class: 'visually-hidden' }, 'Expected items and what was scanned'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Item'),
            h('th', { scope: 'col' }, 'What'),
            h('th', { scope: 'col' }, 'Status'),
          ),
        ),
        h('tbody', null, ...rows),
      ),
      tally.extra.length
        ? h(
            'div',
            { class: 'receiving-extra', id: 'receiving-extra', role: 'alert' },
            h('h3', null, 'Extra: not in the advance notice'),
            h(
              'p',
              null,
              'The receipt names these so the log records the discrepancy; they are not received. Keep them apart and contact the shipper.',
            ),
            h('ul', null, ...tally.extra.map((code) => h('li', { 'data-code': code }, h('code', null, code)))),
          )
        : null,
    );
  }

  private async postReceipt(): Promise<void> {
    const tally = this.tally;
    if (!tally) return;
    if (!this.context.hasDeviceKey()) {
      fill(this.status, 'Register this browser as a signing device first (panel “Signing device”).');
      return;
    }
    const items = tally.receiptItems();
    const shipment = tally.expected.shipment;
    const missing = tally.missing();
    const arrivedCount = items.length - tally.extra.length;
    if (arrivedCount === 0 && tally.extra.length === 0) {
      fill(this.status, 'Nothing scanned yet: scan what arrived before posting the receipt.');
      return;
    }
    const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
    const parts = [
      `${n(arrivedCount, 'shipped item', 'shipped items')} (${n(tally.counts().arrived, 'unit', 'units')}) will be received into your custody.`,
      missing.length
        ? `${n(missing.length, 'missing item stays', 'missing items stay')} in transit and ${missing.length === 1 ? 'is' : 'are'} reported as a discrepancy.`
        : '',
      tally.extra.length ? `${n(tally.extra.length, 'extra item is', 'extra items are')} reported, not received.` : '',
    ];
    const receipt = await confirmAction({
      title: `Post the receipt of ${shipment.shipmentId}?`,
      text: parts.filter(Boolean).join(' '),
      confirmLabel: 'Confirm: post the receipt',
      run: async () =>
        postSignedEvent(await signEvent(receiveEvent(shipment, items)), { token: this.context.session.token }),
      returnFocus: () => this.result,
    }).catch((error: ApiError) => {
      fill(this.status, error.message);
      return null;
    });
    if (!receipt) return;
    fill(
      this.result,
      h('strong', null, 'Receipt posted: '),
      'recorded in the log as entry ',
      h('a', { href: entryLink(receipt.index) }, String(receipt.index)),
      missing.length || tally.extra.length ? ', with the discrepancy (missing and extra items) flagged.' : '.',
      h('span', { class: 'muted' }, ` ${formatDateTime(new Date())}`),
    );
    this.result.dataset.index = String(receipt.index);
    this.result.focus();
    this.tally = null;
    this.render();
    await this.load();
    this.choose.value = '';
  }
}
