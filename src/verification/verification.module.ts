import { Module, OnModuleInit } from '@nestjs/common';
import { EventTypeRegistry } from '../ledger/event-type.registry';
import { LedgerModule } from '../ledger/ledger.module';
import { PartiesModule } from '../parties/parties.module';
import { ReturnVerifications } from '../supply-chain/return-verifications';
import { RecordedReturnVerifications } from './return-verifications.store';
import { VerificationRecorder } from './verification-recorder';
import { VerificationController } from './verification.controller';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';

/** Verification of product identifiers (GS1 US Lightweight Messaging and the rich answer), and their records. */
@Module({
  imports: [LedgerModule, PartiesModule],
  controllers: [VerificationController],
  providers: [VerificationRepository, VerificationRecorder, VerificationService],
  exports: [VerificationRepository, VerificationService],
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
