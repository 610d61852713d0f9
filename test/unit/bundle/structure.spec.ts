/**
 * The verifier's answers to what is not a well-formed bundle or not from the trusted log: a report naming the path or
 * the check, never an exception; and the same report whether the bundle is read whole, as text, or streamed in pieces.
 */
import * as fc from 'fast-check';
import { verifyBundle, verifyBundleStream, verifyBundleText } from '../../../src/bundle';
import { generateNoteKey } from '../../../src/checkpoint';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import { copy, journey, Journey, LOG_ORIGIN } from './memory-log';

const fast = { verifySignature: verifyStrictNode };

describe('the verifier on bundles that are not what they claim', () => {
  let j: Journey;
  let text: string;
  beforeAll(() => {
    j = journey();
    text = JSON.stringify(j.bundleOfLot('LOT-A'));
  });

  describe('the checkpoint', () => {
    it('must be signed by the key the user trusts, not the one the bundle announces', () => {
      const impostor = journey();
      const bundle = impostor.bundleOfLot('LOT-A');
      // Same origin, another key: everything in the bundle is consistent, but not with the trusted key.
      const report = verifyBundle(bundle, j.log.vkey, fast);
      expect(report.ok).toBe(false);
      expect(report.checkpoint).toBeNull();
      expect(report.failures.map((f) => f.check)).toEqual(['checkpoint', 'checkpoint', 'inclusion']);
      expect(report.failures[0].message).toMatch(/log.verifierKey: the bundle announces the key/);
      expect(report.failures[1].message).toMatch(/checkpoint: does not verify with the trusted log key/);
      expect(report.failures[2].message).toMatch(/no inclusion proof could be checked/);
    });

    it('must be of the log the trusted key names', () => {
      const other = generateNoteKey('another.example/log');
      const report = verifyBundle(j.bundleOfLot('LOT-A'), other.vkey, fast);
      expect(report.failures[0]).toEqual({
        check: 'checkpoint',
        message: `log.origin: the bundle is from log "${LOG_ORIGIN}", the trusted key is for "another.example/log"`,
      });
    });

    it('reports an unusable trusted key instead of throwing', () => {
      const report = verifyBundle(j.bundleOfLot('LOT-A'), 'not a key', fast);
      expect(report).toMatchObject({ ok: false, checkpoint: null });
      expect(report.failures[0]).toMatchObject({
        check: 'checkpoint',
        message: expect.stringMatching(/trusted log key is not a usable verifier key/),
      });
    });

    it('must cover every event: an event logged after it is not proven', () => {
      const bundle = j.bundleOfLot('LOT-A', j.entries.caseShip.index);
      const later = j.log.bundled(j.log.entries[j.entries.caseShip.index]);
      bundle.events.push(later);
      bundle.summary.events++;
      expect(verifyBundle(bundle, j.log.vkey, fast).failures).toContainEqual(
        expect.objectContaining({
          check: 'inclusion',
          index: later.index,
          message: expect.stringMatching(/beyond the checkpoint/),
        }),
      );
    });
  });

  describe('malformed input is a structure failure naming the path', () => {
    it.each([
      ['a number', 42, '$: a bundle is a JSON object, not number 42'],
      ['null', null, '$: a bundle is a JSON object, not null'],
      ['an array', [], '$: a bundle is a JSON object, not an array'],
    ])('%s', (_what, value, message) => {
      expect(verifyBundle(value, j.log.vkey).failures).toEqual([{ check: 'structure', message }]);
    });

    it.each<[string, (b: Record<string, unknown> & ReturnType<Journey['bundleOfLot']>) => void, RegExp]>([
      [
        'a wrong format',
        (b) => (b.format = 'rxledger-evidence-bundle/v0' as never),
        /^format: expected "rxledger-evidence-bundle\/v1"/,
      ],
      ['a missing checkpoint', (b) => delete (b as Partial<typeof b>).checkpoint, /^checkpoint: missing$/],
      // A member the format does not have is ignored and named in the limits (PROTOCOL §11): bundle-tamper.e2e-spec.
      [
        'a generatedBy GLN with a fullwidth digit',
        (b) =>
          (b.generatedBy = b.generatedBy.slice(0, -1) + String.fromCharCode(0xff10 + Number(b.generatedBy.slice(-1)))),
        /^generatedBy: expected a GLN/,
      ],
      ['events that are not a list', (b) => (b.events = {} as never), /^events: expected an array, got an object$/],
      [
        'a proof hash that is not a string',
        (b) => (b.events[2].inclusionProof[1] = 5 as never),
        /^events\[2\]\.inclusionProof\[1\]: expected a string, got number 5$/,
      ],
      [
        'a proof hash of 31 bytes',
        (b) => (b.events[2].inclusionProof[0] = Buffer.alloc(31).toString('base64')),
        /^events\[2\]\.inclusionProof\[0\]: expected 32 bytes, got 31$/,
      ],
      [
        'a signature that is not base64',
        (b) => (b.registry[1].signature = '!'.repeat(88)),
        /^registry\[1\]\.signature: not canonical standard base64/,
      ],
      [
        'an event without a body',
        (b) => delete (b.events[0].event as Partial<(typeof b.events)[0]['event']>).body,
        /^events\[0\]\.event\.body: expected an object, got undefined/,
      ],
      [
        'an acceptance time with a time zone',
        (b) => (b.events[1].acceptedAt = b.events[1].acceptedAt.replace('Z', '+00:00')),
        /^events\[1\]\.acceptedAt: expected an RFC 3339 UTC time with milliseconds/,
      ],
      ['a negative index', (b) => (b.events[1].index = -1), /^events\[1\]\.index: expected a log index/],
      [
        'a history that goes back',
        (b) => b.items[0].history.reverse(),
        /^items\[0\]\.history\[1\]: log indexes must increase/,
      ],
      [
        'an item code that is not a unit',
        (b) => (b.items[0].code = '(00)106141411234567897'),
        /^items\[0\]\.code: the items of a bundle are units/,
      ],
      [
        'a commission body without serials',
        (b) =>
          delete (b.events.find((e) => e.event.type === 'commission')!.event.body as { serials?: unknown }).serials,
        /event\.body\.serials: expected an array of strings/,
      ],
    ])('%s', (_what, tamper, message) => {
      const bundle = copy(j.bundleOfLot('LOT-A')) as Record<string, unknown> & ReturnType<Journey['bundleOfLot']>;
      tamper(bundle);
      const report = verifyBundle(bundle, j.log.vkey, fast);
      expect(report.ok).toBe(false);
      expect(report.failures.filter((f) => f.check === 'structure').map((f) => f.message)).toContainEqual(
        expect.stringMatching(message),
      );
    });

    it('text that is not JSON, or stops half-way', () => {
      expect(verifyBundleText('hello', j.log.vkey).failures).toEqual([
        {
          check: 'structure',
          message: '$: a bundle is a JSON object (at character 0); the rest of the bundle was not read',
        },
      ]);
      const half = verifyBundleText(text.slice(0, Math.floor(text.length / 2)), j.log.vkey, fast);
      expect(half.ok).toBe(false);
      expect(half.failures[half.failures.length - 1].message).toMatch(
        /^events\[\d+\]: the text ends before the bundle does/,
      );
      const broken = text.replace('"events":[{', '"events":[{,');
      expect(verifyBundleText(broken, j.log.vkey, fast).failures).toContainEqual({
        check: 'structure',
        message: expect.stringMatching(/^events\[0\]: not valid JSON \(at character \d+\)$/),
      });
    });

    it('members out of the streaming order', () => {
      const bundle = j.bundleOfLot('LOT-A');
      const { checkpoint, ...rest } = bundle;
      const reordered = JSON.stringify({ ...rest, checkpoint });
      const report = verifyBundleText(reordered, j.log.vkey, fast);
      expect(report.failures.map((f) => f.message)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^checkpoint: comes after statement, but the format streams its members in the order format, scope/,
          ),
        ]),
      );
      // Parsed first, the same bundle is read in the format's order.
      expect(verifyBundle(JSON.parse(reordered), j.log.vkey, fast)).toMatchObject({ ok: true });
    });

    it('never throws, whatever the JSON', () => {
      const bundle = j.bundleOfLot('LOT-A');
      const paths: (string | number)[][] = [];
      const walk = (value: unknown, path: (string | number)[]) => {
        paths.push(path);
        if (value && typeof value === 'object') {
          for (const [key, inner] of Object.entries(value))
            walk(inner, [...path, Array.isArray(value) ? Number(key) : key]);
        }
      };
      walk(bundle, []);
      fc.assert(
        fc.property(fc.nat({ max: paths.length - 1 }), fc.jsonValue({ maxDepth: 2 }), (which, replacement) => {
          const tampered = copy(bundle) as unknown as Record<string | number, unknown>;
          const path = paths[which];
          if (path.length === 0) {
            expect(() => verifyBundle(replacement, j.log.vkey, fast)).not.toThrow();
            return;
          }
          let parent = tampered;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          parent[path[path.length - 1]] = replacement;
          const report = verifyBundle(tampered, j.log.vkey, fast);
          if (
            JSON.stringify(replacement) !==
            JSON.stringify(path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], bundle))
          ) {
            expect(report.ok).toBe(false);
          }
          expect(() => verifyBundleText(JSON.stringify(tampered), j.log.vkey, fast)).not.toThrow();
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('reading a bundle in pieces', () => {
    it('gives the same report however the text is cut', async () => {
      const whole = verifyBundleText(text, j.log.vkey, fast);
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.nat({ max: text.length }), { maxLength: 40 }), async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), text.length];
          const chunks = points.slice(1).map((end, i) => text.slice(points[i], end));
          expect(await verifyBundleStream(chunks, j.log.vkey, fast)).toEqual(whole);
        }),
        { numRuns: 100 },
      );
    });

    it('reads an async stream one character at a time, with whitespace between the tokens', async () => {
      const pretty = JSON.stringify(j.bundleOfLot('LOT-A'), null, 2);
      async function* characters() {
        for (const character of pretty) yield character;
      }
      expect(await verifyBundleStream(characters(), j.log.vkey, fast)).toMatchObject({
        ok: true,
        counts: { events: 13 },
      });
    });
  });
});
