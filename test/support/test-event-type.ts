import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';
import { EventTypeRegistry } from '../../src/ledger/event-type.registry';
import { EventType } from '../../src/ledger/event-type';
import { TestApp } from './test-app';
import { IsGln } from '../../src/common/gs1.validators';

export class TestNoteBody {
  @IsString()
  @Length(1, 1000)
  text!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsGln({ each: true })
  cc?: string[];
}

/**
 * A stateless event type used only by the ledger-core tests, to exercise intake and the log without the
 * supply-chain rules: any registered party may sign it; `cc` names other parties who may then read it.
 */
export const testNoteType: EventType<TestNoteBody> = {
  type: 'test.note',
  body: TestNoteBody,
  actorRoles: ['manufacturer', 'distributor', 'dispenser', 'regulator', 'operator'],
  namedParties: (body) => body.cc ?? [],
  prepare: () => undefined,
  apply: () => undefined,
};

export function registerTestEventType(t: TestApp): void {
  const registry = t.app.get(EventTypeRegistry);
  if (!registry.get(testNoteType.type)) registry.register(testNoteType);
}
