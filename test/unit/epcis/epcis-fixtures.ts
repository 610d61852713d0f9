import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendCheckDigit, makeGtin14, makeSscc } from '../../../src/gs1';
import type { ExportEntry } from '../../../src/epcis';
import type { LedgerEvent } from '../../../src/protocol/event';
import { containerCode, unitCode } from '../../../src/protocol/item-code';

/** GS1's published examples and schema, vendored byte for byte (see fixtures/README.md). */
export function gs1Fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures/gs1', name), 'utf8'));
}

let schemaValidator: ValidateFunction | undefined;

/** Validates against the vendored fixture copy of GS1's schema (independently of src/epcis/validate.ts). */
export function gs1SchemaErrors(doc: unknown): string[] {
  if (!schemaValidator) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    schemaValidator = ajv.compile(gs1Fixture('EPCIS-JSON-Schema.json') as object);
  }
  return schemaValidator(doc) ? [] : (schemaValidator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

export const PREFIX = '0614141';
export const gln = (reference: string) => appendCheckDigit(`${PREFIX}${reference}`.padEnd(12, '0'));
export const MANUFACTURER = gln('00001');
export const DISTRIBUTOR = appendCheckDigit('086000000001');
export const PHARMACY = appendCheckDigit('086000000002');
export const GTIN = makeGtin14('0', PREFIX, '12345');
export const unit = (serial: string, gtin = GTIN) => unitCode(gtin, serial);
export const sscc = (n: number) => containerCode(makeSscc('0', PREFIX, String(n).padStart(9, '0')));

let counter = 0;

/** A logged event as the log API returns it (the signature is not needed to export). */
export function logged(actor: string, type: string, body: object, time = '2026-11-23T10:00:00.000Z'): ExportEntry {
  counter++;
  const keyId = `${actor}000`; // 16 hex digits, one key per party
  const event: LedgerEvent<unknown> = { id: `${type}-${counter}`, type, actor, keyId, time, body };
  return { index: counter, acceptedAt: '2026-11-23T10:00:01.250Z', event };
}

export const transaction = {
  date: '2026-11-22',
  shipmentDate: '2026-11-23',
  purchaseOrder: 'PO-2026-1182',
  invoice: 'INV-88213',
};

/** The supported subset, one of each, in an order the ledger would accept. */
export function journey(): ExportEntry[] {
  const serials = ['SN0001', 'SN0002', 'SN0003', 'SN0004', 'SN0005'];
  return [
    logged(
      MANUFACTURER,
      'commission',
      { gtin: GTIN, lot: 'LOT2026A', expiry: '281231', serials },
      '2026-11-20T08:00:00.000-05:00',
    ),
    logged(MANUFACTURER, 'commission', { gtin: GTIN, lot: 'LOT2026B', expiry: '290200', serials: ['SN0100'] }),
    logged(MANUFACTURER, 'pack', { parent: sscc(1), children: serials.slice(0, 4).map((s) => unit(s)) }),
    logged(MANUFACTURER, 'pack', { parent: sscc(2), children: [sscc(1), unit('SN0005')] }),
    logged(
      MANUFACTURER,
      'ship',
      {
        shipmentId: 'ASN-2026-000123',
        recipient: DISTRIBUTOR,
        reason: 'sale',
        items: [sscc(2)],
        transaction,
      },
      '2026-11-23T16:30:00.5+01:00',
    ),
    logged(DISTRIBUTOR, 'receive', { shipper: MANUFACTURER, shipmentId: 'ASN-2026-000123', items: [sscc(2)] }),
    logged(DISTRIBUTOR, 'unpack', { parent: sscc(2) }),
    logged(DISTRIBUTOR, 'unpack', { parent: sscc(1), children: [unit('SN0001')] }),
    logged(DISTRIBUTOR, 'ship', {
      shipmentId: 'D/77',
      recipient: PHARMACY,
      items: [unit('SN0001'), sscc(1)],
      transaction: { date: '2026-11-24', shipmentDate: '2026-11-24' },
    }),
    logged(PHARMACY, 'receive', { shipper: DISTRIBUTOR, shipmentId: 'D/77', items: [unit('SN0001'), sscc(1)] }),
    logged(PHARMACY, 'dispense', { items: [unit('SN0001')] }),
    logged(PHARMACY, 'ship', {
      shipmentId: 'RET-1',
      recipient: DISTRIBUTOR,
      reason: 'return',
      items: [unit('SN0002')],
      transaction: { date: '2026-11-25', shipmentDate: '2026-11-25', purchaseOrder: 'RMA 5 (damaged) ü' },
    }),
    logged(DISTRIBUTOR, 'decommission', { items: [unit('SN0003')], reason: 'damaged' }),
    logged(MANUFACTURER, 'destroy', { items: [unit('SN0100')], reason: 'expired' }),
  ];
}
