/**
 * EPCIS 2.0 / CBV 2.0 import and export for RxLedger: pure TypeScript, no NestJS and no Node-only APIs, so the
 * server, the CLI and the browser share it. README.md in this folder has the mapping table and the decisions.
 */
export type { EpcisAction, EpcisDocument, EpcisEvent } from './epcis-document';
export { eventHashHex, exportedEventId, importedEventId, RXLEDGER_UUID_NAMESPACE, uuidV5 } from './event-id';
export {
  epcisContext,
  toEpcisDocument,
  toEpcisEvents,
  type EpcisExport,
  type ExportContext,
  type ExportEntry,
  type SkippedEntry,
} from './export';
export {
  companyPrefixLengthFrom,
  itemUri,
  locationUri,
  partyUri,
  readGlnUri,
  readItemUri,
  type IdentifierOptions,
  type ItemReading,
} from './identifiers';
export {
  EpcisDocumentError,
  fromEpcisDocument,
  type EpcisImport,
  type IgnoredMembers,
  type ImportOptions,
  type UnmappedEvent,
  type UnsignedEvent,
} from './import';
export { validateEpcisDocument, type EpcisValidation, type SchemaProblem } from './validate';
export { cbvWord, EPCIS_CONTEXT, RXL, RXLEDGER_NAMESPACE, RXLEDGER_PREFIX } from './vocabulary';
