/**
 * The parts of EPCIS 2.0 JSON-LD (EPCIS 2.0 §10, the GS1 JSON schema) that RxLedger writes. Import reads documents
 * as `unknown` and checks every member it uses, so these types describe our output, not what we accept.
 */
export type EpcisAction = 'ADD' | 'OBSERVE' | 'DELETE';

export interface EpcisBizTransaction {
  type?: string;
  bizTransaction: string;
}

export interface EpcisSource {
  type: string;
  source: string;
}

export interface EpcisDestination {
  type: string;
  destination: string;
}

export interface EpcisEvent {
  type: 'ObjectEvent' | 'AggregationEvent';
  eventID: string;
  eventTime: string;
  eventTimeZoneOffset: string;
  recordTime?: string;
  action: EpcisAction;
  bizStep?: string;
  disposition?: string;
  epcList?: string[];
  parentID?: string;
  childEPCs?: string[];
  readPoint?: { id: string };
  bizLocation?: { id: string };
  bizTransactionList?: EpcisBizTransaction[];
  sourceList?: EpcisSource[];
  destinationList?: EpcisDestination[];
  ilmd?: Record<string, string>;
  /** Extension members (`rxl:…`). */
  [extension: `${string}:${string}`]: unknown;
}

export interface EpcisAttribute {
  id: string;
  attribute: string;
}

/** Master data: one element of a vocabulary (a product class, a location) with its attributes. */
export interface EpcisVocabularyElement {
  id: string;
  attributes: EpcisAttribute[];
}

export interface EpcisVocabulary {
  type: string;
  vocabularyElementList: EpcisVocabularyElement[];
}

export interface EpcisDocument {
  '@context': (string | Record<string, string>)[];
  type: 'EPCISDocument';
  schemaVersion: '2.0';
  creationDate: string;
  epcisHeader?: { epcisMasterData: { vocabularyList: EpcisVocabulary[] } };
  epcisBody: { eventList: EpcisEvent[] };
}
