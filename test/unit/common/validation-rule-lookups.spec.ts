/**
 * src/common/validation.ts keeps class-validator's per-class rule lookups (issue 12 §2). What it keeps must follow
 * every rule registered later, and a class must never see another class's rules.
 */
import { IsString, registerDecorator } from 'class-validator';
import { ValidationError } from '../../../src/common/app-error';
import { validatePlain } from '../../../src/common/validation';

function violations(run: () => unknown): { field: string; rule: string }[] {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.violations.map(({ field, rule }) => ({ field, rule }));
  }
}

describe('kept rule lookups', () => {
  it('a rule registered after a class was validated applies from then on', () => {
    class Late {
      @IsString()
      a!: string;
    }
    // First lookup: `b` has no rule, so it is not an allowed field.
    expect(violations(() => validatePlain(Late, { a: 'x', b: 1 }))).toEqual([
      { field: 'b', rule: 'whitelistValidation' },
    ]);
    registerDecorator({
      name: 'isSmall',
      target: Late,
      propertyName: 'b',
      validator: { validate: (value: unknown) => typeof value === 'number' && value < 10 },
    });
    expect(violations(() => validatePlain(Late, { a: 'x', b: 1 }))).toEqual([]);
    expect(violations(() => validatePlain(Late, { a: 'x', b: 11 }))).toEqual([{ field: 'b', rule: 'isSmall' }]);
  });

  it('classes keep their own rules, a subclass its own and its parent’s', () => {
    class Parent {
      @IsString()
      p!: string;
    }
    class Child extends Parent {
      @IsString()
      c!: string;
    }
    class Other {
      @IsString()
      o!: string;
    }
    for (let round = 0; round < 2; round++) {
      expect(violations(() => validatePlain(Parent, { p: 'x', c: 'y' }))).toEqual([
        { field: 'c', rule: 'whitelistValidation' },
      ]);
      expect(violations(() => validatePlain(Child, { p: 'x', c: 'y' }))).toEqual([]);
      expect(violations(() => validatePlain(Child, { p: 1, c: 'y' }))).toEqual([{ field: 'p', rule: 'isString' }]);
      expect(violations(() => validatePlain(Other, { o: 'x', p: 'y' }))).toEqual([
        { field: 'p', rule: 'whitelistValidation' },
      ]);
    }
  });
});
