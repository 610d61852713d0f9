import { canonicalJson } from '../../canonical-json';
import { TreeService } from '../../ledger/tree.service';
import { BUNDLE_FORMAT } from '../../protocol/bundle';
import { ExportStatementBody, indexLine, ListDigester, StatementEntry } from '../../protocol/export-statement';
import { nodeTextHash } from '../../protocol/export-statement-node';
import { ReportContext } from '../report-context';
import { ReportSink } from '../report-sink';
import { BatchSize, EventRow, ReportSnapshot } from '../reports.repository';

/** About this many bytes of event JSON per cursor read: events range from 300 bytes to several megabytes. */
const EVENT_BATCH_BYTES = 1024 * 1024;
const ITEM_BATCH = 1000;

/** Batch sizes that keep roughly `targetBytes` of event text in memory per read. */
export function eventBatches(targetBytes = EVENT_BATCH_BYTES, min = 8, max = 2000): BatchSize<EventRow> {
  return (previous) => {
    if (!previous || previous.length === 0) return 64;
    const bytes = previous.reduce((sum, row) => sum + (row[2]?.length ?? 0) + 300, 0);
    const perRow = Math.max(1, bytes / previous.length);
    return Math.max(min, Math.min(max, Math.floor(targetBytes / perRow)));
  };
}

/**
 * Writes the evidence bundle (src/protocol/bundle.ts) in its key order: the checkpoint before the long lists, then
 * the registry events, the events (each with its inclusion proof against that checkpoint) and the units with their
 * histories, and the counts last. Event text is copied as logged (its RFC 8785 form), never re-serialised. An event
 * that does not name the viewer is withheld: the bundle carries its type and what its leaf is made of.
 *
 * The lists are digested as they stream (src/protocol/export-statement.ts). Once everything before it has been handed
 * to the connection, the export statement binding them is logged (`logStatement`) and ends the bundle: an export
 * broken off before that logs none (docs/PROTOCOL.md §9).
 */
export async function writeBundle(
  snapshot: ReportSnapshot,
  context: ReportContext,
  tree: TreeService,
  sink: ReportSink,
  logStatement: (body: ExportStatementBody) => Promise<StatementEntry>,
): Promise<{ events: number; items: number; registryEvents: number }> {
  const size = context.checkpoint.size;
  const head =
    `{"format":${JSON.stringify(BUNDLE_FORMAT)},` +
    `"scope":${JSON.stringify(context.scope)},` +
    `"generatedAt":${JSON.stringify(context.generatedAt.toISOString())},` +
    `"generatedBy":${JSON.stringify(context.viewer.gln)},` +
    `"log":${JSON.stringify({ origin: context.log.origin, verifierKey: context.log.verifierKey })},` +
    `"checkpoint":${JSON.stringify(context.checkpoint.note)},\n"registry":[`;
  await sink.write(head);
  const digests = { registry: new ListDigester(nodeTextHash()), events: new ListDigester(nodeTextHash()) };
  const registryEvents = await writeEvents(snapshot.registry(size, eventBatches()), size, tree, sink, digests.registry);
  await sink.write('\n],\n"events":[');
  const events = await writeEvents(snapshot.events(eventBatches()), size, tree, sink, digests.events);
  await sink.write('\n],\n"items":[');
  let items = 0;
  // An item's JSON as the database writes it is its line (`itemLine`): no white space, and item codes need no escape
  // that JSON.stringify and PostgreSQL would spell differently.
  const itemDigest = new ListDigester(nodeTextHash());
  for await (const rows of snapshot.itemsJson(size, context.completeHistories, ITEM_BATCH)) {
    for (const [json] of rows) {
      itemDigest.add(json);
      await sink.write((items++ === 0 ? '\n' : ',\n') + json);
    }
  }
  const summary = { events, items, registryEvents };
  await sink.write(`\n],\n"summary":${JSON.stringify(summary)},\n"statement":`);
  // Everything the statement binds has been handed to the connection before it is logged.
  await sink.flush();
  const statement = await logStatement({
    exportId: context.exportId,
    format: BUNDLE_FORMAT,
    scope: context.scope,
    requester: context.viewer.gln,
    generatedAt: context.generatedAt.toISOString(),
    checkpoint: { size, rootHash: context.checkpoint.rootHash.toString('base64') },
    registry: digests.registry.result(),
    events: digests.events.result(),
    items: itemDigest.result(),
  });
  await sink.write(
    `{"index":${statement.index},"acceptedAt":${JSON.stringify(statement.acceptedAt)},` +
      `"event":${canonicalJson(statement.event)},"signature":${JSON.stringify(statement.signature)}}}\n`,
  );
  return summary;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

async function writeEvents(
  batches: AsyncGenerator<EventRow[]>,
  treeSize: number,
  tree: TreeService,
  sink: ReportSink,
  digest: ListDigester,
): Promise<number> {
  let written = 0;
  for await (const rows of batches) {
    // One proof after another: the first to miss a tile reads it, the rest of the batch finds it cached (the tile
    // cache does not merge concurrent misses, so a parallel batch would read the same tiles many times over).
    const proofs: Uint8Array[][] = [];
    for (const [idx] of rows) proofs.push(await tree.inclusionProof(idx, treeSize));
    for (let i = 0; i < rows.length; i++) {
      const [idx, acceptedAt, eventJson, signature, eventHash, eventType] = rows[i];
      digest.add(indexLine(idx));
      const proof = proofs[i].map((hash) => `"${base64(hash)}"`).join(',');
      // A withheld event (docs/PROTOCOL.md §9): its leaf's parts instead of the event, and its type.
      const content =
        eventJson === null
          ? `"withheld":true,"type":${JSON.stringify(eventType)},"eventHash":"${eventHash.toString('base64')}"`
          : `"event":${eventJson}`;
      await sink.write(
        `${written++ === 0 ? '\n' : ',\n'}{"index":${idx},"acceptedAt":"${acceptedAt}",${content},` +
          `"signature":"${signature.toString('base64')}","inclusionProof":[${proof}]}`,
      );
    }
  }
  return written;
}
