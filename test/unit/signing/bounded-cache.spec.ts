import { BoundedCache } from '../../../src/signing/bounded-cache';

describe('BoundedCache', () => {
  it('evicts the least recently used entry beyond its capacity', () => {
    const cache = new BoundedCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('never grows past its capacity', () => {
    const cache = new BoundedCache<number>(10);
    for (let i = 0; i < 1000; i++) cache.set(String(i), i);
    expect(cache.size).toBe(10);
    expect(cache.get('999')).toBe(999);
    expect(cache.get('989')).toBeUndefined();
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
  });
});
