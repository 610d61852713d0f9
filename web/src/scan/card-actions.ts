/**
 * The card's actions (issue 13 §2): what the verdict allows for the scanned unit, each behind one confirmation
 * (confirm.ts), signed by this browser's device key and posted (actions.ts); the result names the log entry that
 * recorded it, linked to the log explorer. The server decides: a refusal is shown in the dialog with its code.
 */
import { formatDay } from '../common/format';
import { getJson } from '../common/api';
import { h, fill } from '../common/dom';
import { signEvent } from '../common/device-key';
import type { UnsignedEvent } from '../common/device-key';
import {
  dispenseEvent,
  Form3911,
  illegitimateEvent,
  postSignedEvent,
  quarantineEvent,
  returnEvent,
  ScannedUnit,
} from './actions';
import { REASONS } from '../../../src/verification/verdict';
import { ActionDone, ActionKind, ScanRecord, toneOf } from './answer';
import { confirmAction, field, refusal, select } from './confirm';

export interface ActionContext {
  session: { token: string | null; gln: string; role: string; name: string };
  /** Whether this browser holds a registered device key (actions are signed with it). */
  hasDeviceKey: () => boolean;
  /** After an action was recorded (history saved, counter mode goes on). */
  recorded: (record: ScanRecord, done: ActionDone) => void;
  /** Where the focus goes after the dialog (default: the button that opened it). */
  returnFocus?: () => HTMLElement | null;
}

const LABELS: Record<ActionKind, string> = {
  dispense: 'Dispense',
  quarantine: 'Quarantine',
  report: 'Report suspect / illegitimate',
  return: 'Start a return',
};

const DONE_TEXT: Record<ActionKind, string> = {
  dispense: 'Dispensed',
  quarantine: 'Quarantined',
  report: 'Reported illegitimate (FDA Form 3911)',
  return: 'Return shipped',
};

const CUSTODIANS = ['dispenser', 'distributor', 'manufacturer'];

/** The unit the card is about, when the server knows it. */
export function unitOf(record: ScanRecord): ScannedUnit | null {
  const asked = record.answer?.asked;
  if (!record.answer?.item || !asked?.gtin || !asked.serial) return null;
  return { gtin: asked.gtin, serial: asked.serial };
}

/**
 * The actions the verdict allows: dispensing only on a green card (a pharmacy's); a hold, a report or a return only
 * for a unit in the log that this party holds. (The server checks each again.)
 */
export function allowedActions(record: ScanRecord, role: string): ActionKind[] {
  const item = record.answer?.item;
  if (!item || !unitOf(record) || !CUSTODIANS.includes(role) || !item.heldByRequester) return [];
  const actions: ActionKind[] = [];
  const active = item.status === 'active';
  if (role === 'dispenser' && toneOf(record) === 'green' && active && !item.hold) actions.push('dispense');
  if (!item.hold) actions.push('quarantine');
  if (item.hold !== 'illegitimate') actions.push('report');
  if (active && !item.hold && role !== 'manufacturer') actions.push('return');
  return actions;
}

/** The log explorer's address of an entry. */
export function entryLink(index: number): string {
  return `/app/log#entry=${index}`;
}

/** The action row (or the recorded result) under the card's body. */
export function renderActions(card: HTMLElement, record: ScanRecord, context: ActionContext): void {
  card.querySelector('.card-actions')?.remove();
  const section = h('div', { class: 'card-actions', 'aria-label': 'Actions' });
  if (record.done) {
    section.append(resultLine(record.done));
  } else {
    const allowed = allowedActions(record, context.session.role);
    if (allowed.length === 0) {
      const note = nothingToRecord(record, context.session.role);
      if (!note) return;
      section.append(h('p', { class: 'action-note' }, note));
    }
    if (!context.hasDeviceKey()) {
      section.append(
        h(
          'p',
          { class: 'muted' },
          'To act on this package, register this browser as a signing device (panel “Signing device”).',
        ),
      );
    }
    const row = h('div', { class: 'action-row' });
    for (const kind of allowed) {
      const button = h(
        'button',
        {
          type: 'button',
          class: kind === 'dispense' ? 'action-dispense' : 'secondary',
          'data-action': kind,
          disabled: !context.hasDeviceKey(),
        },
        LABELS[kind],
      );
      button.addEventListener('click', () => void act(kind, card, record, context));
      row.append(button);
    }
    section.append(row);
  }
  const meta = card.querySelector('.card-meta');
  if (meta) card.insertBefore(section, meta);
  else card.append(section);
}

/**
 * Why a stop card offers no action: the log takes a hold or a report only from the unit's custodian, its
 * manufacturer or a regulator, and nothing for a serial it does not know.
 */
export function nothingToRecord(record: ScanRecord, role: string): string | null {
  const answer = record.answer;
  if (!answer || toneOf(record) === 'green' || !CUSTODIANS.includes(role)) return null;
  const suspicious = answer.reasons.some((reason) => REASONS[reason.code]?.suspicious);
  const seen = suspicious ? ' This scan is recorded as a suspicious verification that regulators see.' : '';
  if (!answer.item) {
    return `Nothing can be recorded against a serial the log does not know: keep the package apart from saleable stock.${seen}`;
  }
  if (!answer.item.heldByRequester) {
    return `The log records this package as another party's, so it takes no hold or report from you: keep the package apart and contact the party that sold it to you.${seen}`;
  }
  return null;
}

function resultLine(done: ActionDone): HTMLElement {
  return h(
    'p',
    { class: 'action-result', role: 'status', tabindex: '-1', 'data-kind': done.kind, 'data-index': done.index },
    h('strong', null, `${DONE_TEXT[done.kind]}: `),
    'recorded in the log as entry ',
    h('a', { href: entryLink(done.index) }, String(done.index)),
    '.',
  );
}

/** Opens the action's confirmation; on success records the result on the scan and shows it on the card. */
export async function act(
  kind: ActionKind,
  card: HTMLElement,
  record: ScanRecord,
  context: ActionContext,
): Promise<ActionDone | null> {
  const unit = unitOf(record);
  if (!unit) return null;
  const post = async (unsigned: UnsignedEvent<unknown>) =>
    postSignedEvent(await signEvent(unsigned), { token: context.session.token });
  const what = describeUnit(record);
  const returnFocus = () => context.returnFocus?.() ?? null;
  let receipt: { index: number } | null;
  if (kind === 'dispense') {
    receipt = await confirmAction({
      title: 'Dispense this package?',
      text: `${what} will be recorded as dispensed by ${context.session.name}. This cannot be undone.`,
      confirmLabel: 'Confirm: dispense',
      run: () => post(dispenseEvent(unit)),
      returnFocus,
    });
  } else if (kind === 'quarantine') {
    const reason = h('textarea', { name: 'reason', required: true, maxlength: 500, rows: 2 });
    reason.value = suggestedReason(record);
    receipt = await confirmAction({
      title: 'Quarantine this package?',
      text: `${what} will be placed on hold: no one can ship or dispense it until the hold is cleared.`,
      fields: [field('Reason for the hold', reason, 'Up to 500 characters; the log records it.')],
      confirmLabel: 'Confirm: quarantine',
      tone: 'danger',
      check: (form) => (value(form, 'reason') ? null : { message: 'Give the reason for the hold.', field: 'reason' }),
      run: (form) => post(quarantineEvent(unit, value(form, 'reason'))),
      returnFocus,
    });
  } else if (kind === 'report') {
    receipt = await confirmAction({
      title: 'Report a suspect or illegitimate product (FDA Form 3911)',
      text: `${what} will be placed on hold as illegitimate and the report recorded in the log with the Form 3911 fields below.`,
      fields: form3911Fields(record, context),
      confirmLabel: 'Confirm: file the report',
      tone: 'danger',
      check: check3911,
      run: (form) => post(illegitimateEvent(unit, read3911(form))),
      returnFocus,
    });
  } else {
    const partners = await tradingPartners(context).catch((): [string, string][] => []);
    const recipient = select('recipient', [['', 'Choose the trading partner…'], ...partners]);
    receipt = await confirmAction({
      title: 'Start a return',
      text: `${what} will be shipped back to the trading partner that sold it to you (a return, PROTOCOL §8.3).`,
      fields: [field('Return to', recipient, 'The party you bought it from; the log refuses any other.')],
      confirmLabel: 'Confirm: ship the return',
      check: (form) =>
        value(form, 'recipient') ? null : { message: 'Choose who the return goes to.', field: 'recipient' },
      run: (form) => post(returnEvent(unit, value(form, 'recipient'))),
      returnFocus,
    });
  }
  if (!receipt) return null;
  return recorded(kind, receipt.index, card, record, context);
}

function recorded(
  kind: ActionKind,
  index: number,
  card: HTMLElement,
  record: ScanRecord,
  context: ActionContext,
): ActionDone {
  const done: ActionDone = { kind, index };
  record.done = done;
  if (card.dataset.scan === String(record.id)) {
    renderActions(card, record, context);
    // The result takes the focus from the button that is gone (at the counter, the scan box keeps it).
    if (!context.returnFocus?.()) card.querySelector<HTMLElement>('.action-result')?.focus();
  }
  context.recorded(record, done);
  return done;
}

/**
 * Verify-and-dispense with auto-confirm on (a setting, off by default): a green card's unit is dispensed without the
 * dialog. The result (or the refusal) is shown on the card.
 */
export async function autoDispense(
  card: HTMLElement,
  record: ScanRecord,
  context: ActionContext,
): Promise<ActionDone | null> {
  const unit = unitOf(record);
  if (!unit || !allowedActions(record, context.session.role).includes('dispense')) return null;
  try {
    const receipt = await postSignedEvent(await signEvent(dispenseEvent(unit)), { token: context.session.token });
    return recorded('dispense', receipt.index, card, record, context);
  } catch (error) {
    card.querySelector('.card-actions')?.append(h('p', { class: 'error action-error', role: 'alert' }, refusal(error)));
    return null;
  }
}

function describeUnit(record: ScanRecord): string {
  const product = record.answer?.product?.name ?? 'This package';
  const item = record.answer?.item;
  return `${product}, serial ${record.answer?.asked.serial ?? '?'}${item ? `, lot ${item.lot}` : ''}`;
}

function suggestedReason(record: ScanRecord): string {
  const codes = record.answer?.reasons.map((r) => r.code) ?? [];
  if (codes.includes('RECALLED')) return 'held under the recall of this lot';
  if (codes.includes('EXPIRED')) return 'expired: set aside for return or destruction';
  if (codes.includes('ALREADY_DISPENSED')) return 'suspected clone: this serial was already dispensed';
  return '';
}

function value(form: HTMLFormElement, name: string): string {
  const element = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null;
  return element?.value.trim() ?? '';
}

/** FDA Form 3911's sections: type of report, classification, product (from the scan), description, reporter. */
function form3911Fields(record: ScanRecord, context: ActionContext): HTMLElement[] {
  const answer = record.answer!;
  const product = answer.product;
  const item = answer.item;
  const codes = answer.reasons.map((r) => r.code);
  const classification = select('classification', [
    ['', 'Choose…'],
    ['counterfeit', 'Counterfeit'],
    ['diverted', 'Diverted'],
    ['stolen', 'Stolen'],
    ['intentionally-adulterated', 'Intentional adulteration'],
    ['unfit-for-distribution', 'Unfit for distribution'],
    ['fraudulent-transaction', 'Fraudulent transaction'],
  ]);
  if (codes.includes('ALREADY_DISPENSED') || codes.includes('LOT_MISMATCH') || codes.includes('EXPIRY_MISMATCH'))
    classification.value = 'counterfeit';
  const description = h('textarea', { name: 'description', required: true, maxlength: 4000, rows: 3 });
  if (codes.includes('ALREADY_DISPENSED')) {
    description.value = 'Scanned at the counter: the log records this serial as already dispensed (suspected clone).';
  }
  const productFacts = h(
    'dl',
    { class: 'dialog-facts' },
    ...(
      [
        ['Product', product ? [product.name, product.strength, product.dosageForm].filter(Boolean).join(' ') : '—'],
        ['NDC', product?.ndcForms?.join(' or ') ?? product?.ndc ?? '—'],
        ['Serial', answer.asked.serial ?? '—'],
        ['Lot', item?.lot ?? '—'],
        ['Expiry', item ? formatDay(item.expiry) : '—'],
        ['Quantity', '1 package'],
        ['Reporter', `${context.session.name} (GLN ${context.session.gln})`],
      ] as [string, string][]
    ).flatMap(([term, text]) => [h('dt', null, term), h('dd', null, text)]),
  );
  return [
    field(
      'Type of report',
      select('reportType', [
        ['initial', 'Initial notification'],
        ['follow-up', 'Follow-up notification'],
        ['termination', 'Request for termination'],
      ]),
    ),
    field('Classification of notification', classification),
    h('fieldset', { class: 'dialog-fieldset' }, h('legend', null, 'Product (from the scan)'), productFacts),
    field('Description of the event or issue', description, 'Up to 4,000 characters.'),
    field('Contact name', h('input', { name: 'contactName', required: true, maxlength: 200, autocomplete: 'name' })),
    field('Contact telephone', h('input', { name: 'contactPhone', type: 'tel', autocomplete: 'tel' })),
    field('Contact e-mail', h('input', { name: 'contactEmail', type: 'email', autocomplete: 'email' })),
  ];
}

/** The fields Form 3911 requires (and PROTOCOL §7.2's `illegitimate` body validates the same way). */
function check3911(form: HTMLFormElement): { message: string; field: string } | null {
  if (!value(form, 'classification'))
    return { message: 'Choose the classification of the notification.', field: 'classification' };
  if (!value(form, 'description'))
    return { message: 'Describe the event or issue (what you saw).', field: 'description' };
  if (!value(form, 'contactName')) return { message: 'Give a contact name.', field: 'contactName' };
  const phone = value(form, 'contactPhone');
  if (phone && !/^[0-9+() .-]{5,30}$/.test(phone))
    return { message: 'The telephone number may hold only digits, spaces and + ( ) . -', field: 'contactPhone' };
  const email = value(form, 'contactEmail');
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    return { message: 'The e-mail address does not look like one.', field: 'contactEmail' };
  return null;
}

function read3911(form: HTMLFormElement): Form3911 {
  return {
    reportType: value(form, 'reportType') as Form3911['reportType'],
    classification: value(form, 'classification') as Form3911['classification'],
    description: value(form, 'description'),
    contact: {
      name: value(form, 'contactName'),
      phone: value(form, 'contactPhone'),
      email: value(form, 'contactEmail'),
    },
  };
}

let partnersCache: Promise<[string, string][]> | null = null;

/** The trading partners a return may go to: distributors and manufacturers (the log refuses all but the seller). */
function tradingPartners(context: ActionContext): Promise<[string, string][]> {
  partnersCache ??= getJson<{ gln: string; name: string; role: string }[]>('/v1/parties', {
    token: context.session.token,
  })
    .then((parties) =>
      parties
        .filter((p) => (p.role === 'distributor' || p.role === 'manufacturer') && p.gln !== context.session.gln)
        .map((p): [string, string] => [p.gln, `${p.name} (${p.role}, GLN ${p.gln})`]),
    )
    .catch((error: Error) => {
      partnersCache = null;
      throw error;
    });
  return partnersCache;
}

/** The card's actions region emptied (a new scan is on its way). */
export function clearActions(card: HTMLElement): void {
  const section = card.querySelector('.card-actions');
  if (section) fill(section);
}
