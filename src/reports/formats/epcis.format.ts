import {
  companyPrefixLengthFrom,
  EPC_CLASS_VOCABULARY,
  epcisContext,
  IdentifierOptions,
  toEpcisEvents,
} from '../../epcis';
import { LedgerEvent } from '../../protocol/event';
import { ReportContext } from '../report-context';
import { ReportSink } from '../report-sink';
import { ReportSnapshot } from '../reports.repository';
import { eventBatches } from './bundle.format';
import { scopeMasterData } from './epcis-xml.format';

/**
 * The events in scope as an EPCIS 2.0 JSON-LD document (src/epcis, the one mapping, table in its README), written as
 * it is made: the document's members in the order `toEpcisDocument` gives them, the products in scope as EPCClass
 * master data in the header (`scopeMasterData`, shared with the EPCIS 1.2 XML format), then one EPCIS event at a
 * time. Identifiers are EPC URNs wherever the GS1 company prefix is known to the log (every prefix granted by
 * `prefix.grant`).
 *
 * Registry events (party.register, key.add, key.revoke, prefix.grant) have no EPCIS form and are left out here, and
 * `product.register` is master data, not an event; the bundle, the CSV and the PDF carry them. So are events withheld
 * from the viewer (they do not name it): an EPCIS event without its what, where and why would say nothing true; the
 * `RxLedger-Events-Withheld` header counts them.
 */
export async function writeEpcis(
  snapshot: ReportSnapshot,
  context: ReportContext,
  sink: ReportSink,
): Promise<{ events: number; skipped: number }> {
  const options: IdentifierOptions = { companyPrefixLength: companyPrefixLengthFrom(await snapshot.companyPrefixes()) };
  const products = await scopeMasterData(snapshot, options);
  const header =
    products.length > 0
      ? `"epcisHeader":${JSON.stringify({
          epcisMasterData: { vocabularyList: [{ type: EPC_CLASS_VOCABULARY, vocabularyElementList: products }] },
        })},`
      : '';
  await sink.write(
    `{"@context":${JSON.stringify(epcisContext())},"type":"EPCISDocument","schemaVersion":"2.0",` +
      `"creationDate":${JSON.stringify(context.generatedAt.toISOString())},${header}"epcisBody":{"eventList":[`,
  );
  let events = 0;
  let skipped = 0;
  for await (const rows of snapshot.events(eventBatches())) {
    for (const [index, acceptedAt, eventJson] of rows) {
      if (eventJson === null) {
        skipped++;
        continue;
      }
      const event = JSON.parse(eventJson) as LedgerEvent<unknown>;
      const result = toEpcisEvents({ index, acceptedAt, event }, options);
      if ('skipped' in result) {
        skipped++;
        continue;
      }
      for (const epcisEvent of result.events) {
        await sink.write(`${events++ === 0 ? '\n' : ',\n'}${JSON.stringify(epcisEvent)}`);
      }
    }
  }
  await sink.write('\n]}}\n');
  return { events, skipped };
}
