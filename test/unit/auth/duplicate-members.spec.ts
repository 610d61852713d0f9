import { Body, Controller, INestApplication, Module, Post } from '@nestjs/common';
import { APP_FILTER, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { LargeBody, RequestBodyInterceptor } from '../../../src/auth/request-body';
import { HttpExceptionFilter } from '../../../src/common/http-exception.filter';
import { countMembers, countMembersInText, findDuplicateMember } from '../../../src/protocol/json-members';

/**
 * Duplicate member names (RFC 8259 §4 "names within an object SHOULD be unique"; RFC 7493 §2.3 I-JSON: MUST NOT):
 * JSON.parse keeps the last of two, other readers the first, so `{"lot":"FAKE","lot":"LOT-A"}` shows different
 * content to different tools. Intake refuses them with a coded 400 naming the member (docs/PROTOCOL.md §10).
 */
@Controller()
class EchoController {
  @Post('small')
  small(@Body() body: unknown) {
    return { body };
  }

  @Post('large')
  @LargeBody()
  large(@Body() body: unknown) {
    return { body };
  }
}

@Module({ controllers: [EchoController], providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }] })
class EchoModule {}

describe('intake refuses duplicate member names', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [EchoModule] }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalInterceptors(new RequestBodyInterceptor(app.get(Reflector), 1024 * 1024));
    await app.init();
  });
  afterAll(() => app.close());

  const post = (path: string, text: string) =>
    request(app.getHttpServer()).post(path).set('content-type', 'application/json').send(text);

  it.each([
    ['/small', '{"event":{"body":{"lot":"FAKE","gtin":"1","lot":"LOT-A"}}}', 'event.body.lot'],
    ['/large', '{"events":[{"a":1},{"event":{"body":{"lot":"FAKE","lot":"LOT-A"}}}]}', 'events[1].event.body.lot'],
    // The same name spelled with an escape is the same name.
    ['/small', '{"lot":"FAKE","l\\u006ft":"LOT-A"}', 'lot'],
    ['/small', '[{"x":{"a b":1,"a b":2}}]', '$[0].x["a b"]'],
  ])('%s %s is 400 DUPLICATE_MEMBER naming %s', async (path, text, member) => {
    const response = await post(path, text);
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual(expect.objectContaining({ code: 'DUPLICATE_MEMBER', details: { member } }));
    expect(response.body.error.message).toContain(member);
  });

  it('accepts the same name in different objects, and names inside strings', async () => {
    const text = '{"a":{"lot":1},"b":{"lot":2},"c":"\\"lot\\":1,\\"lot\\":2","d":[{"lot":1},{"lot":2}]}';
    const response = await post('/small', text);
    expect(response.status).toBe(201);
    expect(response.body.body).toEqual(JSON.parse(text));
  });
});

describe('json-members', () => {
  it('counts members in text and in the parsed value alike, unless a name repeats', () => {
    for (const text of ['{}', '[]', '{"a":":","b":[{"c":{}}],"d\\"":1}', '"x:y"', '[1,{"a":[{"b":2}]}]']) {
      expect(countMembersInText(text)).toBe(countMembers(JSON.parse(text)));
      expect(findDuplicateMember(text)).toBeNull();
    }
    const twice = '{"a":{"b":1,"b":2}}';
    expect(countMembersInText(twice)).toBe(countMembers(JSON.parse(twice)) + 1);
    expect(findDuplicateMember(twice)).toBe('a.b');
  });
});
