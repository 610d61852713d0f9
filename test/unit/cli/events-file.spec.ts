import { CliError } from '../../../src/cli/cli-error';
import { parseEventsText } from '../../../src/cli/events-file';

const note = (id: string) => ({ id, type: 'test.note', body: { text: id } });
const signed = (id: string) => ({
  event: { ...note(id), actor: '0614141000005', keyId: 'a'.repeat(16), time: 'x' },
  signature: 'c2ln',
});

describe('parseEventsText', () => {
  it('reads one event object (unsigned)', () => {
    const items = parseEventsText(JSON.stringify(note('a'), null, 2), 'one.json');
    expect(items).toEqual([{ where: 'one.json', unsigned: note('a') }]);
  });

  it('reads one signed event, and {event} without a signature as one to sign', () => {
    expect(parseEventsText(JSON.stringify(signed('a')), 's.json')).toEqual([{ where: 's.json', signed: signed('a') }]);
    expect(parseEventsText(JSON.stringify({ event: note('b') }), 'u.json')).toEqual([
      { where: 'u.json', unsigned: note('b') },
    ]);
  });

  it('reads an array, naming each element', () => {
    const items = parseEventsText(JSON.stringify([note('a'), signed('b')]), 'many.json');
    expect(items.map((item) => [item.where, item.signed ? 'signed' : 'unsigned'])).toEqual([
      ['many.json [0]', 'unsigned'],
      ['many.json [1]', 'signed'],
    ]);
  });

  it('reads NDJSON: blank lines skipped, CRLF and a byte order mark tolerated, lines named', () => {
    const text =
      '\uFEFF' +
      [note('a'), signed('b')].map((e) => JSON.stringify(e)).join('\r\n') +
      '\r\n\n' +
      JSON.stringify(note('c')) +
      '\n';
    const items = parseEventsText(text, 'events.txt');
    expect(items.map((item) => item.where)).toEqual(['events.txt line 1', 'events.txt line 2', 'events.txt line 4']);
    expect(items[2].unsigned).toEqual(note('c'));
  });

  it('treats a one-line .ndjson file as NDJSON', () => {
    expect(parseEventsText(JSON.stringify(note('a')), 'x.ndjson')[0].where).toBe('x.ndjson line 1');
    expect(parseEventsText(JSON.stringify(note('a')), 'x', { ndjson: true })[0].where).toBe('x line 1');
  });

  it.each([
    ['', 'e.json', /e.json is empty/],
    ['[]', 'e.json', /empty array/],
    ['{"id": ', 'e.json', /e.json is not valid JSON/],
    ['42', 'e.json', /e.json is not an event: expected a JSON object/],
    ['[{"id":"a"}, "b"]', 'e.json', /e.json \[1\] is not an event/],
    ['{"id":"a"}\n{"id":\n', 'e.ndjson', /e.ndjson line 2 is not valid JSON/],
    ['{"id":"a"}\n{oops}\n', 'e.txt', /neither one JSON value .* nor NDJSON \(e.txt line 2 is not valid JSON/],
    ['{"event":{"id":"a"},"signature":"x","extra":1}', 'e.json', /only "event" and "signature", not "extra"/],
    ['{"event":"a","signature":"x"}', 'e.json', /"event" must be a JSON object/],
    ['{"event":{"id":"a"},"signature":7}', 'e.json', /"signature" must be a base64 string/],
  ])('refuses %j (%s) with a message naming the problem', (text, source, message) => {
    expect(() => parseEventsText(text, source)).toThrow(CliError);
    expect(() => parseEventsText(text, source)).toThrow(message);
  });
});
