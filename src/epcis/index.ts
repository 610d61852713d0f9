/**
 * EPCIS 2.0 / CBV 2.0 import and export for RxLedger: pure TypeScript, no NestJS and no Node-only APIs, so the
 * server, the CLI and the browser share it. README.md in this folder has the mapping table and the decisions.
 */
export type {
  EpcisAction,
  EpcisAttribute,
  EpcisDocument,
  EpcisEvent,
  EpcisVocabulary,
  EpcisVocabularyElement,
} from './epcis-document';
export { eventHashHex, exportedEventId, importedEventId, RXLEDGER_UUID_NAMESPACE, uuidV5 } from './event-id';
export { epcisContext, toEpcisDocument } from './export';
export { fromEpcisDocument } from './import';
export {
  EpcisDocumentError,
  EpcisEventMapper,
  toEpcisEvents,
  toMasterData,
  type EpcisExport,
  type EpcisImport,
  type EventMapping,
  type ExportContext,
  type ExportEntry,
  type IgnoredMembers,
  type ImportOptions,
  type SkippedEntry,
  type UnmappedEvent,
  type UnsignedEvent,
} from './mapping';
export {
  companyPrefixLengthFrom,
  itemUri,
  locationUri,
  partyUri,
  lotClassUri,
  productClassUri,
  readClassUri,
  readGlnUri,
  readItemUri,
  type IdentifierOptions,
  type ItemReading,
} from './identifiers';
export { validateEpcisDocument, type EpcisValidation, type SchemaProblem } from './validate';
export {
  cbvWord,
  EPC_CLASS_VOCABULARY,
  EPCIS_CONTEXT,
  PRODUCT_ATTRIBUTE,
  RXL,
  RXL_ATTRIBUTE,
  RXL_BIZ_STEP,
  RXLEDGER_NAMESPACE,
  RXLEDGER_PREFIX,
} from './vocabulary';
