import { readScope } from '../../../src/bundle/bundle-shape';

/**
 * The scope of a bundle (and of an export statement at intake) as docs/PROTOCOL.md §9 defines it: GS1 keys are GS1
 * keys (GS1 General Specifications §3.4.2 GLN, §3.3.2 GTIN: digits 0-9 with the mod-10 check digit of §7.9.1), window
 * bounds in the one UTC millisecond form, from before to; members the format does not define refused at intake
 * (§11: bodies are closed) and only reported by the verifier (§11: clients ignore unknown members in answers).
 */
describe('readScope', () => {
  const gln = '0614141000012';
  const window = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
  const fullwidth = (digits: string) => digits.slice(0, -1) + String.fromCharCode(0xff10 + Number(digits.slice(-1)));

  it('takes a party window as the server writes it', () => {
    expect(readScope({ kind: 'party', gln, ...window }, 'scope')).toEqual({ kind: 'party', gln, ...window });
  });

  it.each([
    ['a GLN with a fullwidth digit', { kind: 'party', gln: fullwidth(gln), ...window }, /scope\.gln: expected a GLN/],
    ['a GLN with a wrong check digit', { kind: 'party', gln: '0614141000013', ...window }, /scope\.gln/],
    [
      'a GTIN with a fullwidth digit',
      { kind: 'gtin', gtin: fullwidth('00361234567890'), ...window },
      /scope\.gtin: expected a GTIN-14/,
    ],
    ['a bound not in UTC milliseconds', { kind: 'party', gln, ...window, to: '2026-12-01T00:00:00Z' }, /scope\.to/],
    ['a window that ends before it starts', { kind: 'party', gln, from: window.to, to: window.from }, /scope\.to/],
    ['a member the format does not define', { kind: 'alerts', note: 'x' }, /scope\.note: is not a member/],
  ])('refuses %s', (_, scope, message) => {
    expect(() => readScope(scope, 'scope')).toThrow(message);
  });

  it('with a collector, reports members the format does not define and leaves them out', () => {
    const unknown: string[] = [];
    const scope = readScope({ kind: 'party', gln, ...window, site: 'x' }, 'scope', (path) => unknown.push(path));
    expect(scope).toEqual({ kind: 'party', gln, ...window });
    expect(unknown).toEqual(['scope.site']);
  });
});
