/**
 * What a provenance report covers and how it is delivered: the scopes of the evidence bundle format
 * (src/protocol/bundle.ts) and the four formats, with the names people see (titles, file names).
 */
import { ReportScope } from '../protocol/bundle';

export const REPORT_FORMATS = ['bundle', 'epcis', 'epcis-xml', 'csv', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const MEDIA_TYPES: Record<ReportFormat, string> = {
  bundle: 'application/json; charset=utf-8',
  epcis: 'application/ld+json; charset=utf-8',
  'epcis-xml': 'application/xml; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  pdf: 'application/pdf',
};

const EXTENSIONS: Record<ReportFormat, string> = {
  bundle: 'bundle.json',
  epcis: 'epcis.jsonld',
  'epcis-xml': 'epcis.xml',
  csv: 'csv',
  pdf: 'pdf',
};

/** A one-line description for titles and logs, e.g. `lot LOT-A of GTIN 00361234567890`. */
export function describeScope(scope: ReportScope): string {
  switch (scope.kind) {
    case 'serial':
      return `serial ${scope.serial} of GTIN ${scope.gtin}`;
    case 'lot':
      return `lot ${scope.lot} of GTIN ${scope.gtin}`;
    case 'gtin':
      return `GTIN ${scope.gtin}, events from ${scope.from} to ${scope.to}`;
    case 'party':
      return `party ${scope.gln}, events from ${scope.from} to ${scope.to}`;
    case 'alerts':
      return 'open alerts and investigations';
  }
}

/** `rxledger-lot-00361234567890-LOT-A-20261123T101500Z.csv`: only characters safe in every file system. */
export function reportFileName(scope: ReportScope, format: ReportFormat, at: Date): string {
  const parts: string[] = ['rxledger', scope.kind];
  switch (scope.kind) {
    case 'serial':
      parts.push(scope.gtin, scope.serial);
      break;
    case 'lot':
      parts.push(scope.gtin, scope.lot);
      break;
    case 'gtin':
      parts.push(scope.gtin, compactTime(scope.from), compactTime(scope.to));
      break;
    case 'party':
      parts.push(scope.gln, compactTime(scope.from), compactTime(scope.to));
      break;
    case 'alerts':
      break;
  }
  parts.push(compactTime(at.toISOString()));
  const name = parts.map((part) => part.replace(/[^A-Za-z0-9._-]+/g, '_')).join('-');
  return `${name}.${EXTENSIONS[format]}`;
}

/** 2026-11-23T10:15:00.000Z → 20261123T101500Z */
function compactTime(iso: string): string {
  return iso.replace(/\.\d+/, '').replace(/[-:]/g, '');
}
