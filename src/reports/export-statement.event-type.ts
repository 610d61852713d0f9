import { ShapeError, readScope } from '../bundle/bundle-shape';
import { EventContext, EventType, IntakeBatch } from '../ledger/event-type';
import { RuleViolation } from '../ledger/ledger.errors';
import { EXPORT_STATEMENT_TYPE } from '../protocol/export-statement';
import { RegistryViolation } from '../protocol/registry';
import { ExportStatementBodyDto } from './dto/export-statement-body.dto';
import { REPORT_ERRORS } from './reports.errors';

/**
 * `export.statement` (docs/PROTOCOL.md §9): the operator's signed statement of what an evidence bundle holds, logged
 * when the export has streamed its lists. It changes no state; it names no party besides the operator (the bundle's
 * requester holds it in the bundle; regulators read every entry), so no party's window of events ever holds it.
 */
export class ExportStatementType implements EventType<ExportStatementBodyDto> {
  readonly type = 'export.statement' satisfies typeof EXPORT_STATEMENT_TYPE;
  readonly body = ExportStatementBodyDto;
  readonly actorRoles = ['operator'] as const;

  namedParties(): string[] {
    return [];
  }

  prepare(batch: IntakeBatch, body: ExportStatementBodyDto): void {
    batch.registry.want([body.requester], []);
  }

  apply(batch: IntakeBatch, { body, index }: EventContext<ExportStatementBodyDto>): void {
    try {
      readScope(body.scope, 'body.scope');
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      throw invalid(`the statement's scope is not a bundle scope: ${error.message}`);
    }
    if (!batch.registry.party(body.requester)) {
      throw new RegistryViolation('PARTY_UNKNOWN', `party ${body.requester} is not registered`);
    }
    // The statement is logged after the export it describes: the bundle's checkpoint cannot hold it.
    if (body.checkpoint.size > index) {
      throw invalid(
        `the statement names checkpoint ${body.checkpoint.size}, beyond its own log index ${index}: ` +
          'a statement is logged after the checkpoint of its export',
      );
    }
  }
}

const invalid = (message: string) =>
  new RuleViolation('EXPORT_STATEMENT_INVALID', message, undefined, REPORT_ERRORS.EXPORT_STATEMENT_INVALID);
