/**
 * How events name the things they move (docs/PROTOCOL.md §7): the GS1 human-readable form of the item's key.
 *   a unit (saleable package):        (01)<GTIN-14>(21)<serial>     e.g. (01)00361234567890(21)SN0001
 *   a container (case, pallet, tote): (00)<SSCC-18>                 e.g. (00)106141411234567897
 * One canonical spelling per item: GTIN-14 (check digit verified), serial from GS1 character set 82 (1-20).
 */
import { Gs1Error } from '../gs1/errors';
import { validateGtin14, validateSerial, validateSscc } from '../gs1/identifiers';

export type ItemRef = { kind: 'unit'; gtin: string; serial: string } | { kind: 'container'; sscc: string };

const UNIT = /^\(01\)(\d{14})\(21\)(.+)$/;
const CONTAINER = /^\(00\)(\d{18})$/;

export function unitCode(gtin: string, serial: string): string {
  return `(01)${gtin}(21)${serial}`;
}

/** Whether a code has the form of a unit's (not checked further: see parseItemCode). */
export function isUnitCode(code: string): boolean {
  return UNIT.test(code);
}

export function containerCode(sscc: string): string {
  return `(00)${sscc}`;
}

/** Parses and validates an item code; throws a Gs1Error naming the field and rule. */
export function parseItemCode(code: string): ItemRef {
  const unit = UNIT.exec(code);
  if (unit) return { kind: 'unit', gtin: validateGtin14(unit[1]), serial: validateSerial(unit[2]) };
  const container = CONTAINER.exec(code);
  if (container) return { kind: 'container', sscc: validateSscc(container[1]) };
  throw new Gs1Error(
    'input',
    'format',
    `"${code.slice(0, 60)}" is not an item code: use (01)<GTIN-14>(21)<serial> or (00)<SSCC-18>`,
  );
}

export function itemCodeError(code: unknown): string | null {
  if (typeof code !== 'string') return 'an item code must be a string';
  try {
    parseItemCode(code);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
