/**
 * THE mapping between RxLedger events and EPCIS events, both ways, for every encoding (EPCIS 2.0 JSON-LD, EPCIS 1.2
 * XML, the EPCIS 2.0 REST binding). EPCIS events are handled in the shape of EPCIS 2.0 JSON-LD (`EpcisEvent`);
 * encodings only translate that shape (see ../xml for EPCIS 1.2 XML). Mapping table: ../README.md.
 *
 * - RxLedger → EPCIS: `toEpcisEvents(entry)` per logged event, `toMasterData(entry)` for `product.register`.
 * - EPCIS → RxLedger: an `EpcisEventMapper` per document and importing party: `masterData(elements)` for the
 *   header's EPCClass vocabulary, then `map(event, eventIndex)` per event, in document order (streaming).
 */
export {
  toEpcisEvents,
  toMasterData,
  type EpcisExport,
  type ExportContext,
  type ExportEntry,
  type SkippedEntry,
} from './to-epcis';
export {
  EpcisDocumentError,
  EpcisEventMapper,
  type EpcisImport,
  type EventMapping,
  type IgnoredMembers,
  type ImportOptions,
  type UnmappedEvent,
  type UnsignedEvent,
} from './from-epcis';
