import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Principal } from '../auth/principal';
import { AppConfig } from '../config/app-config';
import { EpcisDocumentError, validateEpcisDocument } from '../epcis';
import { EpcisXmlError, type XmlItem } from '../epcis/xml';
import { IntakeService } from '../ledger/intake.service';
import type { LedgerEvent } from '../protocol/event';
import { eventListOf, mapCapturedEvents, signatureMembers, signedEvents } from './capture-signatures';
import { CaptureJobRow, EpcisRestRepository } from './epcis-rest.repository';
import { EpcisRestError, Problem, problemOf } from './problem';

export type CaptureErrorBehaviour = 'rollback' | 'proceed';

/** The capture job object of GS1's OpenAPI document (components.schemas.CaptureJob). */
export interface CaptureJob {
  captureID: string;
  createdAt: string;
  finishedAt?: string;
  running: boolean;
  success: boolean;
  captureErrorBehaviour: CaptureErrorBehaviour;
  errors: Problem[];
}

/** Per-event refusals of a capture that are not the ledger's own (theirs keep their codes, docs/PROTOCOL.md §10). */
export const CAPTURE_EVENT_ERRORS = {
  /** The EPCIS event (or a part of it) has no RxLedger form for the capturing party (src/epcis/README.md). */
  EPCIS_EVENT_UNMAPPED: 422,
  /** The EPCIS event carries no usable `rxl:keyId` / `rxl:signature` (docs/PROTOCOL.md §12.1). */
  EPCIS_EVENT_UNSIGNED: 422,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Signed {
  eventIndex: number;
  eventID?: string;
  signed: { event: LedgerEvent<unknown>; signature: string };
}

/**
 * `POST /epcis/capture` (docs/PROTOCOL.md §12.2): the document is checked against GS1's EPCIS JSON schema at once
 * (400 otherwise), a job is recorded and answered 202, and the job then maps each EPCIS event with the shared mapping
 * for the caller, pairs each RxLedger event with the signature the document carries for it and submits them to
 * intake as the caller, which checks them like any posted event. Each refusal becomes one error of the job.
 */
@Injectable()
export class CaptureService implements OnModuleDestroy {
  private readonly logger = new Logger('EpcisCapture');
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly repository: EpcisRestRepository,
    private readonly intake: IntakeService,
    private readonly config: AppConfig,
  ) {}

  /** The most EPCIS events one capture takes: what one batch of intake takes (`MAX_BATCH_EVENTS`). */
  get captureLimit(): number {
    return this.config.MAX_BATCH_EVENTS;
  }

  async start(principal: Principal, document: unknown, behaviour: CaptureErrorBehaviour): Promise<string> {
    const events = eventListOf(document);
    // The limit first: it is known without reading the events.
    if (events && events.length > this.captureLimit) {
      throw new EpcisRestError(
        'EPCIS_CAPTURE_LIMIT',
        `the document holds ${events.length} events; one capture takes at most ${this.captureLimit}`,
        { limit: this.captureLimit },
      );
    }
    const validation = validateEpcisDocument(document);
    if (!validation.valid || !events) {
      const problems = validation.valid
        ? [{ path: '/', message: 'is an EPCISDocument or EPCISQueryDocument with an event list' }]
        : validation.problems;
      throw new EpcisRestError(
        'EPCIS_DOCUMENT_INVALID',
        `not an EPCIS 2.0 document (GS1's EPCIS JSON schema): ${problems
          .slice(0, 5)
          .map((p) => `${p.path} ${p.message}`)
          .join('; ')}`,
        { problems: problems.slice(0, 100) },
      );
    }
    return this.startJob(principal, events, behaviour);
  }

  /** The events of an XML document (src/epcis/xml, in their JSON-LD shape), read by the controller as they came. */
  async startXml(principal: Principal, items: AsyncIterable<XmlItem>, behaviour: CaptureErrorBehaviour) {
    const events: unknown[] = [];
    try {
      for await (const item of items) {
        if (item.kind !== 'event') continue;
        if (events.length === this.captureLimit) {
          throw new EpcisRestError('EPCIS_CAPTURE_LIMIT', `one capture takes at most ${this.captureLimit} events`, {
            limit: this.captureLimit,
          });
        }
        events.push(item.event);
      }
    } catch (error) {
      const badUtf8 = (error as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA';
      if (error instanceof EpcisXmlError || error instanceof EpcisDocumentError || badUtf8) {
        throw new EpcisRestError('EPCIS_DOCUMENT_INVALID', `not an EPCIS XML document: ${(error as Error).message}`, {
          problems: [{ path: '/', message: (error as Error).message }],
        });
      }
      throw error;
    }
    return this.startJob(principal, events, behaviour);
  }

  private async startJob(principal: Principal, events: unknown[], behaviour: CaptureErrorBehaviour) {
    const id = randomUUID();
    await this.repository.createJob({ id, gln: principal.gln, errorBehaviour: behaviour, epcisEvents: events.length });
    const job = this.run(id, principal, events, behaviour)
      .catch(async (error: unknown) => {
        this.logger.error(`capture job ${id} failed: ${(error as Error).stack ?? String(error)}`);
        const problem = problemOf(500, {
          code: 'INTERNAL',
          message: 'the capture job failed; the operator has the details',
        });
        await this.repository.finishJob(id, { success: false, logged: 0, errors: [problem] }).catch(() => undefined);
      })
      .finally(() => this.running.delete(job));
    this.running.add(job);
    return id;
  }

  private async run(id: string, principal: Principal, events: unknown[], behaviour: CaptureErrorBehaviour) {
    const errors: Problem[] = [];
    const toSubmit: Signed[] = [];
    const eventError = (eventIndex: number, eventID: string | undefined, problem: Problem) =>
      errors.push({ ...problem, ...(eventID !== undefined ? { instance: eventID } : {}), eventIndex });
    for (const { eventIndex, raw, mapping } of mapCapturedEvents(events, principal.gln)) {
      const eventID = (raw as { eventID?: unknown }).eventID;
      const id1 = typeof eventID === 'string' ? eventID : undefined;
      for (const unmapped of mapping.unmapped) {
        eventError(
          eventIndex,
          id1,
          problemOf(CAPTURE_EVENT_ERRORS.EPCIS_EVENT_UNMAPPED, {
            code: 'EPCIS_EVENT_UNMAPPED',
            message: `event ${eventIndex}: ${unmapped.reason}`,
          }),
        );
      }
      if (mapping.events.length === 0) continue;
      const members = signatureMembers(raw);
      const signed = 'problem' in members ? members : signedEvents(mapping.events, members);
      if ('problem' in signed) {
        eventError(
          eventIndex,
          id1,
          problemOf(CAPTURE_EVENT_ERRORS.EPCIS_EVENT_UNSIGNED, {
            code: 'EPCIS_EVENT_UNSIGNED',
            message: `event ${eventIndex}: ${signed.problem}`,
          }),
        );
        continue;
      }
      for (const one of signed) toSubmit.push({ eventIndex, eventID: id1, signed: one });
    }
    // rollback: nothing is submitted unless every event maps and is signed (docs/PROTOCOL.md §12.2).
    if (behaviour === 'rollback' && errors.length > 0) {
      await this.repository.finishJob(id, { success: false, logged: 0, errors });
      return;
    }
    let logged = 0;
    for (let from = 0; from < toSubmit.length; from += this.config.MAX_BATCH_EVENTS) {
      const chunk = toSubmit.slice(from, from + this.config.MAX_BATCH_EVENTS);
      const results = await this.intake.submit(
        principal,
        chunk.map((s) => s.signed),
      );
      results.forEach((result, i) => {
        if (result.accepted) logged++;
        else eventError(chunk[i].eventIndex, chunk[i].eventID, problemOf(result.status, result.error));
      });
    }
    errors.sort((a, b) => (a.eventIndex as number) - (b.eventIndex as number));
    await this.repository.finishJob(id, { success: errors.length === 0, logged, errors });
  }

  async job(principal: Principal, captureID: string): Promise<CaptureJob> {
    const row = UUID.test(captureID) ? await this.repository.job(captureID, principal.gln) : undefined;
    if (!row) throw new EpcisRestError('EPCIS_CAPTURE_JOB_UNKNOWN', `no capture job ${captureID} of ${principal.gln}`);
    return jobView(row);
  }

  /** Waits for the jobs under way, so none is cut off by a shutdown (their events are being logged). */
  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.running]);
  }
}

function jobView(row: CaptureJobRow): CaptureJob {
  return {
    captureID: row.id,
    createdAt: row.created_at.toISOString(),
    ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
    running: row.running,
    success: row.success,
    captureErrorBehaviour: row.error_behaviour,
    errors: row.errors,
  };
}
