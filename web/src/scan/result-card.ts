/** The result card: one glance gives the colour, the word and the reasons; then the facts and the evidence line. */
import { h, fill } from '../common/dom';
import { daysUntil, formatDateTime, formatDay, formatTime, sentence } from '../common/format';
import { describeNdc } from '../../../src/gs1/ndc';
import { nextStepFor } from '../common/reasons';
import { EvidenceOutcome, REASON_TITLES, ScanRecord, Tone, toneOf, VerificationAnswer } from './answer';

const ICONS: Record<Tone, string> = { green: '✓', amber: '!', red: '✕', grey: '?' };

/** The words at the top of the card, for the party's role (a pharmacy dispenses; others pass products on). */
function headline(tone: Tone, record: ScanRecord, role: string): string {
  if (!record.answer) return record.error?.status === 400 ? 'Could not read this code' : 'No answer';
  const stop = role === 'dispenser' ? 'Do not dispense' : 'Do not use';
  if (tone === 'green') return role === 'dispenser' ? 'Genuine: OK to dispense' : 'Genuine';
  if (tone === 'red') return stop;
  return record.evidence?.state === 'failed' && record.answer.verdict === 'genuine'
    ? 'Caution: evidence failed'
    : 'Caution: check first';
}

function subline(tone: Tone, record: ScanRecord): string {
  const answer = record.answer;
  if (!answer) return record.error?.message ? sentence(record.error.message) : '';
  if (tone === 'green' && answer.item) {
    return `In date until ${formatDay(answer.item.expiry)} · held by ${answer.item.custodian?.name ?? 'you'}`;
  }
  const titles = answer.reasons.map((reason) => REASON_TITLES[reason.code] ?? reason.code);
  if (record.evidence?.state === 'failed') {
    if (titles.length === 0) return 'The server says genuine, but its log evidence does not check out';
    titles.push('Evidence check failed');
  }
  return titles.join(' · ');
}

export function renderCard(card: HTMLElement, record: ScanRecord, role: string): void {
  const tone = toneOf(record);
  card.className = `card card--${tone}`;
  card.dataset.verdict = record.answer?.verdict ?? 'error';
  card.dataset.scan = String(record.id);
  const title = headline(tone, record, role);
  fill(
    card,
    h(
      'div',
      { class: 'card-band' },
      h('span', { class: 'card-icon', 'aria-hidden': 'true' }, ICONS[tone]),
      h(
        'div',
        { class: 'card-heading' },
        h('h2', { id: 'card-title' }, title),
        h('p', { class: 'card-sub' }, subline(tone, record)),
      ),
    ),
    record.answer ? body(record.answer, record.evidence, tone) : errorBody(record),
    h(
      'p',
      { class: 'card-meta' },
      `Scanned ${formatTime(record.at)}`,
      h('span', { class: 'card-ms' }, record.ms !== undefined ? answeredIn(record.ms) : ''),
      h('span', { class: 'card-code' }, ` · ${visibleCode(record.code)}`),
    ),
  );
}

/** A short sentence for screen readers (aria-live). */
export function announcement(record: ScanRecord, role: string): string {
  const tone = toneOf(record);
  const product = record.answer?.product
    ? `${record.answer.product.name}, lot ${record.answer.item?.lot ?? 'unknown'}.`
    : '';
  const evidence =
    record.evidence?.state === 'failed'
      ? ' Evidence check failed.'
      : record.evidence?.state === 'ok'
        ? ' Evidence checked.'
        : '';
  return `${headline(tone, record, role)}. ${subline(tone, record)}. ${product}${evidence}`.replace(/\.\s*\./g, '.');
}

function body(answer: VerificationAnswer, evidence: EvidenceOutcome | undefined, tone: Tone): HTMLElement {
  const reasons = answer.reasons.length
    ? h(
        'ul',
        { class: 'reasons', 'aria-label': 'Reasons' },
        ...answer.reasons.map((reason) =>
          h(
            'li',
            { class: `reason reason--${reason.severity}`, 'data-code': reason.code },
            h('strong', null, `${REASON_TITLES[reason.code] ?? reason.code}:`),
            ' ',
            h('span', null, withPeriod(reason.message)),
          ),
        ),
      )
    : null;
  const item = answer.item;
  const product = answer.product;
  const expiryNote = item ? expiryHint(item.expiry) : '';
  const facts = h(
    'dl',
    { class: 'facts' },
    fact(
      'Product',
      product
        ? [product.name, product.strength, product.dosageForm].filter(Boolean).join(' ')
        : 'Not a registered product',
      'wide',
    ),
    fact('NDC', product?.ndc ? (product.ndcForms?.join(' or ') ?? describeNdc(product.ndc)) : '—'),
    // Without the unit in the log, lot and expiry are only what the package says: shown as such, never as facts.
    item ? fact('Lot', item.lot) : printedFact('Lot', answer.asked.lot),
    item
      ? fact('Expiry', `${formatDay(item.expiry)}${expiryNote}`)
      : printedFact('Expiry', answer.asked.expiry && formatDay(answer.asked.expiry)),
    fact('Serial', answer.asked.serial),
    fact('GTIN', answer.asked.gtin),
    fact('Held by', item ? custodyText(item) : '—'),
  );
  return h('div', { class: 'card-body' }, nextStep(answer), reasons, facts, evidenceLine(evidence, answer, tone));
}

/** The reason that decides the card, as its own headline, and what to do about it now. */
function nextStep(answer: VerificationAnswer): HTMLElement | null {
  const next = nextStepFor(answer);
  if (!next) return null;
  return h(
    'div',
    { class: 'next-step', 'data-reason': next.code },
    h('h3', { class: 'next-step-title' }, next.headline),
    next.detail ? h('p', { class: 'next-step-detail' }, withPeriod(next.detail)) : null,
    h('p', { class: 'next-step-text' }, h('strong', null, 'Next step: '), next.step),
  );
}

function fact(term: string, value: string, modifier = ''): HTMLElement {
  return h('div', { class: `fact ${modifier ? `fact--${modifier}` : ''}` }, h('dt', null, term), h('dd', null, value));
}

/** A value read from the package that the log does not confirm (its unit is unknown). */
function printedFact(term: string, value: string | undefined): HTMLElement {
  if (!value) return fact(term, '—');
  return h(
    'div',
    { class: 'fact fact--unconfirmed', 'data-confirmed': 'false' },
    h('dt', null, term),
    h('dd', null, value, h('span', { class: 'fact-note' }, ' as printed on the package; not in the log')),
  );
}

function expiryHint(expiry: string): string {
  const days = daysUntil(expiry);
  if (days < 0) return ' (expired)';
  if (days <= 90) return ` (in ${days} day${days === 1 ? '' : 's'})`;
  return '';
}

function custodyText(item: NonNullable<VerificationAnswer['item']>): string {
  if (item.status === 'dispensed') return 'Dispensed';
  const who = item.custodian?.name ?? (item.heldByRequester ? 'You' : 'Another party');
  return item.status === 'in_transit' ? `${who} (in transit)` : who;
}

/** What the evidence's log entry is, in words ("the recall of this lot"), from the answer. */
const PROOF_OF: Record<string, string> = {
  RECALLED: 'the recall of this lot',
  ALREADY_DISPENSED: 'the dispensing of this serial',
  QUARANTINED: 'the hold placed on this package',
};

function evidenceLine(evidence: EvidenceOutcome | undefined, answer: VerificationAnswer, tone: Tone): HTMLElement {
  if (!evidence) return h('p', { class: 'evidence evidence--none' }, 'Evidence: not checked.');
  const proves = answer.evidenceFor?.reason;
  if (evidence.state === 'ok' && (tone === 'red' || proves)) {
    // A stop card's evidence proves why to stop; it must not read like the green card's endorsement.
    const what = proves
      ? PROOF_OF[proves]
      : `this package's last recorded event (${answer.evidenceFor?.eventType ?? '?'})`;
    return h(
      'p',
      { class: 'evidence evidence--proof', 'data-state': 'ok', 'data-proves': proves ?? 'latest' },
      h('strong', null, proves ? 'Proof in the log: ' : 'In the log: '),
      `${what}, log entry ${evidence.index}, checked in this browser against checkpoint ${evidence.treeSize}`,
      h('span', { class: 'evidence-detail' }, ` (logged ${formatDateTime(evidence.acceptedAt)})`),
    );
  }
  if (evidence.state === 'ok') {
    return h(
      'p',
      { class: 'evidence evidence--ok', 'data-state': 'ok' },
      h('span', { 'aria-hidden': 'true' }, '✓ '),
      `Evidence checked in this browser against checkpoint ${evidence.treeSize}`,
      h(
        'span',
        { class: 'evidence-detail' },
        ` (log entry ${evidence.index}, logged ${formatDateTime(evidence.acceptedAt)})`,
      ),
    );
  }
  if (evidence.state === 'failed') {
    return h(
      'p',
      { class: 'evidence evidence--failed', 'data-state': 'failed', role: 'alert' },
      h('span', { 'aria-hidden': 'true' }, '✕ '),
      h('strong', null, 'Evidence check failed in this browser: '),
      `${sentence(evidence.problem)} Do not rely on this answer; report it to your network operator.`,
    );
  }
  return h(
    'p',
    { class: 'evidence evidence--none', 'data-state': 'none' },
    h('span', { 'aria-hidden': 'true' }, '– '),
    `No log evidence: ${evidence.why}`,
  );
}

function errorBody(record: ScanRecord): HTMLElement {
  const error = record.error;
  const advice =
    error?.status === 400
      ? 'Scan the package again, or type the code as printed: (01) GTIN, (21) serial, (17) expiry, (10) lot.'
      : error?.status === 0
        ? 'Check the network connection and scan again.'
        : 'Scan again; if it keeps failing, tell your network operator.';
  const detail = error?.detail
    ? h('p', { class: 'muted card-detail' }, `Reader's detail: ${sentence(error.detail)}`)
    : null;
  return h('div', { class: 'card-body' }, h('p', null, advice), detail);
}

function withPeriod(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

export function answeredIn(ms: number): string {
  return ` · answered in ${Math.round(ms)} ms`;
}

/** The scanned text with its invisible GS shown as ‹GS›. */
export function visibleCode(code: string): string {
  return code.split('\u001d').join('‹GS›');
}
