/**
 * Verification alerts as a regulator works through them (issue 13 §4): what kind an alert is, how severe, and what
 * each triage action may do in each state. Pure and free of Node imports: the server, the regulator page and the CSV
 * export share this one definition.
 */
import type { ReasonCode } from '../verification/verdict';

/**
 * The reason a suspicious verification is filed under, most telling first: a verification naming several reasons
 * is an alert of the first of them in this order (a recalled unit scanned by a party that does not hold it is a
 * RECALLED alert, not a custody question).
 */
export const ALERT_KINDS = [
  'ALREADY_DISPENSED',
  'ILLEGITIMATE',
  'DESTROYED',
  'UNKNOWN_SERIAL',
  'UNKNOWN_GTIN',
  'LOT_MISMATCH',
  'EXPIRY_MISMATCH',
  'RECALLED',
  'QUARANTINED',
  'DECOMMISSIONED',
  'CUSTODY_MISMATCH',
  'EXPIRED',
  'EXPIRING_SOON',
] as const satisfies readonly ReasonCode[];

export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type AlertSeverity = (typeof SEVERITIES)[number];

/** The recall classes (21 CFR 7.3(m)); a recall without one is '' here. */
export const RECALL_CLASSES = ['I', 'II', 'III', ''] as const;

/** The kind of an alert from a verification's reasons (null: none of them is an alert kind). */
export function alertKindOf(reasons: readonly string[]): AlertKind | null {
  return ALERT_KINDS.find((kind) => reasons.includes(kind)) ?? null;
}

/**
 * Severity by meaning: a possible clone (already dispensed), illegitimate, destroyed or unknown product and
 * identifiers that disagree with the log are high; a recall by its class (I high, II medium, III low, none given
 * medium); a unit on hold, decommissioned, or held by another party medium; expiry low.
 */
export function alertSeverity(kind: AlertKind, recallClass: string | null): AlertSeverity {
  switch (kind) {
    case 'ALREADY_DISPENSED':
    case 'ILLEGITIMATE':
    case 'DESTROYED':
    case 'UNKNOWN_SERIAL':
    case 'UNKNOWN_GTIN':
    case 'LOT_MISMATCH':
    case 'EXPIRY_MISMATCH':
      return 'high';
    case 'RECALLED':
      return recallClass === 'I' ? 'high' : recallClass === 'III' ? 'low' : 'medium';
    case 'QUARANTINED':
    case 'DECOMMISSIONED':
    case 'CUSTODY_MISMATCH':
      return 'medium';
    case 'EXPIRED':
    case 'EXPIRING_SOON':
      return 'low';
  }
}

/** The colour a severity is drawn in (the page's chip classes). */
export const SEVERITY_COLOURS: Record<AlertSeverity, 'red' | 'amber' | 'grey'> = {
  high: 'red',
  medium: 'amber',
  low: 'grey',
};

/**
 * The kinds and recall classes of one severity, for a filter run by the database: an alert has the severity when
 * its kind is in `kinds`, or it is RECALLED and its recall class ('' for none) is in `recallClasses`.
 */
export function severityFilter(severity: AlertSeverity): { kinds: AlertKind[]; recallClasses: string[] } {
  return {
    kinds: ALERT_KINDS.filter((kind) => kind !== 'RECALLED' && alertSeverity(kind, null) === severity),
    recallClasses: RECALL_CLASSES.filter((c) => alertSeverity('RECALLED', c || null) === severity),
  };
}

export const ALERT_STATES = ['open', 'acknowledged', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_ACTIONS = ['acknowledge', 'assign', 'note', 'close', 'reopen'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/**
 * Each action: the states it may be taken in, and the state it leaves (none: the state is unchanged). An alert
 * with no action is open; its state is what its latest state-changing action left.
 */
export const TRANSITIONS: Record<AlertAction, { from: readonly AlertState[]; to?: AlertState }> = {
  acknowledge: { from: ['open'], to: 'acknowledged' },
  assign: { from: ['open', 'acknowledged'] },
  note: { from: ['open', 'acknowledged', 'closed'] },
  close: { from: ['open', 'acknowledged'], to: 'closed' },
  reopen: { from: ['closed'], to: 'open' },
};

/** The actions that change the state, and the state each leaves (the database derives the state from these). */
export const STATE_CHANGES = (Object.entries(TRANSITIONS) as [AlertAction, { to?: AlertState }][])
  .filter(([, t]) => t.to !== undefined)
  .map(([action, t]) => ({ action, to: t.to! }));

/** The state after a sequence of actions, oldest first. */
export function stateAfter(actions: readonly AlertAction[]): AlertState {
  let state: AlertState = 'open';
  for (const action of actions) state = TRANSITIONS[action].to ?? state;
  return state;
}

/** Whether `action` may be taken in `state`. */
export const mayTake = (action: AlertAction, state: AlertState): boolean => TRANSITIONS[action].from.includes(state);

/** Longest note and assignee name kept (characters). */
export const NOTE_MAX = 4000;
export const ASSIGNEE_MAX = 120;

/** The alert id: the kind and the unit code, base64url (stable, opaque, safe in a path). */
export function alertId(kind: AlertKind, code: string): string {
  const bytes = new TextEncoder().encode(`${kind}\n${code}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The kind and unit code an alert id names, or null when it names none. */
export function parseAlertId(id: string): { kind: AlertKind; code: string } | null {
  if (id.length === 0 || id.length > 200 || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  let text: string;
  try {
    const binary = atob(id.replace(/-/g, '+').replace(/_/g, '/'));
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const [kind, code, ...rest] = text.split('\n');
  if (rest.length > 0 || !code || !(ALERT_KINDS as readonly string[]).includes(kind)) return null;
  if (!/^\(01\)\d{14}\(21\)[\x21-\x7e]{1,20}$/.test(code)) return null;
  if (alertId(kind as AlertKind, code) !== id) return null;
  return { kind: kind as AlertKind, code };
}

/** The serial of a unit code `(01)<GTIN>(21)<serial>`. */
export const serialOfCode = (code: string): string => code.slice(code.indexOf('(21)') + 4);
