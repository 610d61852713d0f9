import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { Principal } from '../auth/principal';
import { AppError, AuthError } from '../common/app-error';
import { CheckpointService } from '../ledger/checkpoint.service';
import { LogService } from '../ledger/log.service';
import { TreeService } from '../ledger/tree.service';
import { OperatorService } from '../parties/operator.service';
import { ReportScope } from '../protocol/bundle';
import { EXPORT_STATEMENT_TYPE, ExportStatementBody, StatementEntry } from '../protocol/export-statement';
import { parseEventTime } from '../protocol/event';
import { unitCode } from '../protocol/item-code';
import { writeBundle } from './formats/bundle.format';
import { writeCsv } from './formats/csv.format';
import { writeEpcis } from './formats/epcis.format';
import { writeEpcisXml } from './formats/epcis-xml.format';
import { writePdf } from './formats/pdf.format';
import { checkpointFingerprint, ReportContext } from './report-context';
import { describeScope, MEDIA_TYPES, ReportFormat, reportFileName } from './report-scope';
import { ReportAborted, ReportSink } from './report-sink';
import { ReportError } from './reports.errors';
import { EventCount, ExportRecord, ReportSnapshot, ReportsRepository, Viewer } from './reports.repository';

/** How long an export waits for the integrator to cover the events logged before it started (p99 merge ≤ 1 s). */
const INTEGRATION_WAIT_MS = 3000;
/** Exports running at once, each on a connection of its own; more are refused with 503 and Retry-After. */
const MAX_CONCURRENT_EXPORTS = 4;

interface Selection extends EventCount {
  items: number;
  complete: boolean;
}

/**
 * Provenance reports: resolves a scope into the units and events the caller may see, inside one signed checkpoint,
 * records the export, and streams it in the asked format. See docs/PROTOCOL.md §9 for the evidence bundle.
 *
 * Access: a regulator may export any scope. Any other party sees only its own history: the events it is named in,
 * and for a serial or a lot the whole history of the units it holds or held; asking for another party's history,
 * or for a serial or lot it never held, is refused (403). Of the events in its report, those that do not name it
 * are withheld in every format: only their type, index and leaf (docs/PROTOCOL.md §9).
 */
@Injectable()
export class ReportsService {
  private readonly logger = new Logger(ReportsService.name);
  private running = 0;

  constructor(
    private readonly repository: ReportsRepository,
    private readonly checkpoints: CheckpointService,
    private readonly log: LogService,
    private readonly tree: TreeService,
    private readonly operator: OperatorService,
  ) {}

  async export(principal: Principal, scope: ReportScope, format: ReportFormat, response: Response): Promise<void> {
    const viewer: Viewer = { gln: principal.gln, everyone: principal.role === 'regulator' };
    checkAccess(scope, viewer);
    if (this.running >= MAX_CONCURRENT_EXPORTS) {
      response.setHeader('Retry-After', '5');
      throw new AppError(
        'EXPORTS_BUSY',
        `${MAX_CONCURRENT_EXPORTS} exports are running; try again in a few seconds`,
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    this.running++;
    const started = performance.now();
    try {
      await this.awaitIntegration();
      const snapshot = await this.repository.openSnapshot();
      try {
        const context = await this.prepare(snapshot, principal, viewer, scope);
        await this.repository.record({
          id: context.exportId,
          requester: viewer.gln,
          requesterRole: principal.role,
          scope,
          format,
          checkpointSize: context.checkpoint.size,
          events: context.counts.events,
          items: context.counts.items,
          eventsExcluded: context.counts.excluded,
        });
        startResponse(response, context, format);
        const sink = new ReportSink(response);
        await this.write(format, snapshot, context, sink);
        await sink.end();
        await snapshot.close();
        this.logger.log(
          `export ${context.exportId}: ${format} of ${describeScope(scope)} for ${viewer.gln}, ` +
            `${context.counts.events} events, ${context.counts.items} units, ${sink.written} characters ` +
            `in ${(performance.now() - started).toFixed(0)} ms`,
        );
      } catch (error) {
        await snapshot.abort();
        if (response.headersSent) {
          // Half a report must not pass for a whole one: break the connection instead of ending the body.
          response.destroy();
          if (error instanceof ReportAborted) {
            this.logger.warn(`export of ${describeScope(scope)} for ${viewer.gln}: ${error.message}`);
            return;
          }
        }
        throw error;
      }
    } finally {
      this.running--;
    }
  }

  list(requester: string | undefined, limit: number, offset: number): Promise<ExportRecord[]> {
    return this.repository.list(requester, limit, offset);
  }

  /** Waits (briefly) for a checkpoint that covers every event logged before the export began. */
  private async awaitIntegration(): Promise<void> {
    const committed = await this.log.committedSize();
    const latest = this.checkpoints.latest();
    if (committed > (latest?.size ?? 0)) await this.checkpoints.waitFor(committed - 1, INTEGRATION_WAIT_MS);
  }

  private async prepare(
    snapshot: ReportSnapshot,
    principal: Principal,
    viewer: Viewer,
    scope: ReportScope,
  ): Promise<ReportContext> {
    const checkpoint = await snapshot.latestCheckpoint();
    if (!checkpoint) throw new ReportError('NO_CHECKPOINT', 'no checkpoint has been published yet; try again shortly');
    const selection = await select(snapshot, scope, viewer, checkpoint.size);
    return {
      exportId: randomUUID(),
      scope,
      viewer,
      viewerName: await snapshot.partyName(viewer.gln),
      generatedAt: new Date(),
      log: { origin: this.checkpoints.origin, verifierKey: this.checkpoints.verifierKey },
      checkpoint: { ...checkpoint, fingerprint: checkpointFingerprint(checkpoint.note) },
      counts: {
        items: selection.items,
        events: selection.events,
        excluded: selection.excluded,
        withheld: await snapshot.withholdFrom(viewer),
      },
      completeHistories: selection.complete,
    };
  }

  private async write(format: ReportFormat, snapshot: ReportSnapshot, context: ReportContext, sink: ReportSink) {
    switch (format) {
      case 'bundle':
        return writeBundle(snapshot, context, this.tree, sink, (body) => logStatement(this.operator, body));
      case 'csv':
        return writeCsv(snapshot, context, sink);
      case 'epcis':
        return writeEpcis(snapshot, context, sink);
      case 'epcis-xml':
        return writeEpcisXml(snapshot, context, sink);
      case 'pdf':
        return writePdf(snapshot, context, sink);
    }
  }
}

/**
 * Logs the operator's export statement of a bundle (docs/PROTOCOL.md §9) and returns it as the bundle carries it.
 * A refusal breaks the export off: a bundle without its statement does not verify.
 */
async function logStatement(operator: OperatorService, body: ExportStatementBody): Promise<StatementEntry> {
  const { signed, result } = await operator.signAndSubmit(EXPORT_STATEMENT_TYPE, `export-${body.exportId}`, body);
  if (!result.accepted) {
    throw new Error(`the export statement was not logged: ${result.error.code}: ${result.error.message}`);
  }
  const { index, acceptedAt } = result.receipt;
  return { index, acceptedAt, event: signed.event as StatementEntry['event'], signature: signed.signature };
}

/** Refusals that need no database: a party window of someone else; a window that ends before it starts. */
function checkAccess(scope: ReportScope, viewer: Viewer): void {
  if (scope.kind === 'party' && !viewer.everyone && scope.gln !== viewer.gln) {
    throw AuthError.forbidden(`only regulators may export another party's history; you are ${viewer.gln}`);
  }
  if (scope.kind === 'gtin' || scope.kind === 'party') {
    if (!(parseEventTime(scope.from) < parseEventTime(scope.to))) {
      throw new ReportError('WINDOW_INVALID', `the window must end after it starts: from ${scope.from} to ${scope.to}`);
    }
  }
}

/** Fills the snapshot's scope tables; throws 404 for what does not exist and 403 for history that is not the viewer's. */
async function select(snapshot: ReportSnapshot, scope: ReportScope, viewer: Viewer, size: number): Promise<Selection> {
  const notYours = (what: string) =>
    AuthError.forbidden(`${viewer.gln} never held ${what}; only regulators may export other parties' history`);
  let count: EventCount;
  let complete = true;
  switch (scope.kind) {
    case 'serial': {
      const code = unitCode(scope.gtin, scope.serial);
      if (!(await snapshot.unitExists(code))) {
        throw new ReportError('ITEM_UNKNOWN', `no unit ${scope.serial} of GTIN ${scope.gtin} was commissioned`);
      }
      await snapshot.selectUnits({ code });
      if (!viewer.everyone && (await snapshot.keepHeldBy(viewer.gln)) === 0) throw notYours(`unit ${code}`);
      count = add(await snapshot.selectHistories(size), await snapshot.selectProductEvents(size));
      break;
    }
    case 'lot': {
      if (!(await snapshot.lotExists(scope.gtin, scope.lot))) {
        throw new ReportError('LOT_UNKNOWN', `no unit of lot ${scope.lot} of GTIN ${scope.gtin} was commissioned`);
      }
      await snapshot.selectUnits({ gtin: scope.gtin, lot: scope.lot });
      if (!viewer.everyone && (await snapshot.keepHeldBy(viewer.gln)) === 0) {
        throw notYours(`any unit of lot ${scope.lot} of GTIN ${scope.gtin}`);
      }
      count = add(await snapshot.selectHistories(size), await snapshot.selectProductEvents(size));
      break;
    }
    case 'gtin': {
      if (!(await snapshot.productExists(scope.gtin))) {
        throw new ReportError('PRODUCT_UNKNOWN', `GTIN ${scope.gtin} is not a registered product`);
      }
      if (!viewer.everyone && !(await snapshot.everNamedWithGtin(viewer.gln, scope.gtin))) {
        throw notYours(`any unit of GTIN ${scope.gtin}`);
      }
      const named = viewer.everyone ? undefined : viewer.gln;
      const window = { from: scope.from, to: scope.to };
      count = add(
        await snapshot.selectGtinWindow(scope.gtin, scope.from, scope.to, size, named ?? null),
        await snapshot.selectProductEvents(size, { gtin: scope.gtin, window, namedGln: named }),
      );
      complete = false;
      break;
    }
    case 'party': {
      if (!(await snapshot.partyExists(scope.gln))) {
        throw new ReportError('PARTY_UNKNOWN', `party ${scope.gln} is not registered`);
      }
      count = await snapshot.selectPartyWindow(scope.gln, scope.from, scope.to, size);
      complete = false;
      break;
    }
    case 'alerts': {
      const beyond = await snapshot.selectOpenAlerts(viewer, size);
      if (!viewer.everyone) await snapshot.keepHeldBy(viewer.gln);
      // The histories of the units concerned are the evidence; an alert's own opening event is among them, except a
      // discrepancy's receive, which acts on the units that did arrive, not on the missing or extra ones it names.
      count = add(await snapshot.selectHistories(size), await snapshot.selectProductEvents(size));
      count.excluded += beyond;
      break;
    }
  }
  return { ...count, items: await snapshot.count('rpt_item'), complete };
}

const add = (a: EventCount, b: EventCount): EventCount => ({
  events: a.events + b.events,
  excluded: a.excluded + b.excluded,
});

function startResponse(response: Response, context: ReportContext, format: ReportFormat): void {
  const fileName = reportFileName(context.scope, format, context.generatedAt);
  response.status(200);
  response.setHeader('Content-Type', MEDIA_TYPES[format]);
  response.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('RxLedger-Export-Id', context.exportId);
  response.setHeader('RxLedger-Checkpoint-Size', String(context.checkpoint.size));
  response.setHeader('RxLedger-Checkpoint-Fingerprint', context.checkpoint.fingerprint);
  response.setHeader('RxLedger-Events', String(context.counts.events));
  response.setHeader('RxLedger-Items', String(context.counts.items));
  response.setHeader('RxLedger-Events-Excluded', String(context.counts.excluded));
  response.setHeader('RxLedger-Events-Withheld', String(context.counts.withheld));
  response.flushHeaders();
}
