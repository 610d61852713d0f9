import { Injectable } from '@nestjs/common';
import { Receipt } from '../ledger/receipt';
import { OperatorService } from '../parties/operator.service';
import { CustodyViewsService } from '../supply-chain/custody-views.service';
import { PrefixGrantBody } from './dto/manufacturer-bodies.dto';

/** The operator grants GS1 company prefixes: `prefix.grant` events it signs (docs/PROTOCOL.md §3.3, §7). */
@Injectable()
export class PrefixGrantsService {
  constructor(
    private readonly operator: OperatorService,
    private readonly views: CustodyViewsService,
  ) {}

  /** Safe to retry: granting a manufacturer a prefix it already holds answers the original receipt. */
  async grant(gln: string, prefix: string): Promise<{ gln: string; prefix: string; receipt: Receipt }> {
    const body: PrefixGrantBody = { gln, prefix };
    const receipt = await this.operator.submit({
      type: 'prefix.grant',
      id: `prefix.grant:${prefix}`,
      body,
      alreadyDone: 'PREFIX_ALREADY_GRANTED',
      holder: async () => (await this.views.prefixes(gln)).find((p) => p.prefix === prefix)?.grantedIndex,
    });
    return { gln, prefix, receipt };
  }
}
