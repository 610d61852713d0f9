import { Module, OnModuleInit } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { EventTypeRegistry } from '../ledger/event-type.registry';
import { RegistryStore } from '../ledger/event-type';
import { PartiesController } from './parties.controller';
import { OperatorService } from './operator.service';
import { PartiesService } from './parties.service';
import { KeyAddType, KeyRevokeType, PartyRegisterType } from './registry.event-types';
import { CachedKeyDirectory } from './key-directory';
import { RegistryRepository } from './registry.repository';
import { TableRegistryStore } from './registry.store';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';

/** Trading partners, their keys (logged) and API tokens (not logged). */
@Module({
  imports: [LedgerModule],
  controllers: [PartiesController],
  providers: [PartiesService, OperatorService, RegistryRepository, TokensRepository, TokensService],
  exports: [PartiesService, OperatorService, TokensService, RegistryRepository],
})
export class PartiesModule implements OnModuleInit {
  constructor(
    private readonly types: EventTypeRegistry,
    private readonly registry: RegistryRepository,
  ) {}

  onModuleInit(): void {
    this.types.register(new PartyRegisterType(), new KeyAddType(), new KeyRevokeType());
    this.types.registerStore(RegistryStore, () => new TableRegistryStore(this.registry));
    this.types.useKeyDirectory(new CachedKeyDirectory(this.registry));
    this.types.registerReadModel('party', 'party_key');
  }
}
