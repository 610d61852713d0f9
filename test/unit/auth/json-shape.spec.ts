import { checkJsonShape } from '../../../src/auth/request-body';

/** The pre-parse scan of request bodies (issue 9 §3, §4): depth and value counts, never fooled by strings. */
describe('checkJsonShape', () => {
  const code = (text: string, maxValues = 100, maxDepth = 4): string | undefined => {
    try {
      checkJsonShape(Buffer.from(text), maxValues, maxDepth);
      return undefined;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('counts nesting of arrays and objects, not of brackets inside strings', () => {
    expect(code('[[[[1]]]]')).toBeUndefined();
    expect(code('[[[[[1]]]]]')).toBe('BODY_TOO_DEEP');
    expect(code('{"a":{"b":{"c":{"d":{}}}}}')).toBe('BODY_TOO_DEEP');
    expect(code('["[[[[[[[[", "{{{{{{{{"]')).toBeUndefined();
    expect(code('["\\"[[[[[[", "\\\\", "[[[[[["]')).toBeUndefined();
    expect(code('["\\\\"' + ',[[[[[1]]]]]]')).toBe('BODY_TOO_DEEP');
  });

  it('counts array elements and object members, empty containers holding none', () => {
    expect(code(`[${Array(100).fill('{}').join(',')}]`)).toBeUndefined();
    expect(code(`[${Array(101).fill('{}').join(',')}]`)).toBe('BODY_TOO_MANY_VALUES');
    expect(code(`{${Array.from({ length: 101 }, (_, i) => `"k${i}":[]`).join(',')}}`)).toBe('BODY_TOO_MANY_VALUES');
    expect(code(`["${Array(500).fill(',').join('')}"]`)).toBeUndefined();
  });

  it('leaves malformed text to JSON.parse', () => {
    expect(code('["unterminated')).toBeUndefined();
    expect(code(']]]]')).toBeUndefined();
  });
});
