import { Module } from '@nestjs/common';
import { PartiesModule } from '../parties/parties.module';
import { DevicesService } from './devices.service';
import { PasskeysService } from './passkeys.service';
import { PeopleClock } from './people-clock';
import { PeopleController } from './people.controller';
import { PeopleRepository } from './people.repository';
import { PeopleService } from './people.service';
import { SessionsService } from './sessions.service';

/** People under a party, their sessions and passkeys, and their browsers' device keys (issue 13 §1). */
@Module({
  imports: [PartiesModule],
  controllers: [PeopleController],
  providers: [PeopleRepository, PeopleClock, PeopleService, SessionsService, PasskeysService, DevicesService],
  exports: [SessionsService, PeopleClock],
})
export class PeopleModule {}
