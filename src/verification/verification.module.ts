import { Module, OnModuleInit } from '@nestjs/common';
import { EventTypeRegistry } from '../ledger/event-type.registry';
import { LedgerModule } from '../ledger/ledger.module';
import { ReturnVerifications } from '../supply-chain/return-verifications';
import { RecordedReturnVerifications } from './return-verifications.store';
import { VerificationRepository } from './verification.repository';

/** Verification of product identifiers (GS1 US Lightweight Messaging and the rich answer), and their records. */
@Module({
  imports: [LedgerModule],
  providers: [VerificationRepository],
  exports: [VerificationRepository],
})
export class VerificationModule implements OnModuleInit {
  constructor(
    private readonly types: EventTypeRegistry,
    private readonly repository: VerificationRepository,
  ) {}

  onModuleInit(): void {
    this.types.registerStore(ReturnVerifications, () => new RecordedReturnVerifications(this.repository));
  }
}
