import { ValidationOptions, registerDecorator } from 'class-validator';
import { hasValidCheckDigit } from '../gs1/check-digit';

function digitsWithCheck(length: number) {
  return (value: unknown) =>
    typeof value === 'string' && value.length === length && /^\d+$/.test(value) && hasValidCheckDigit(value);
}

function gs1Decorator(name: string, test: (value: unknown) => boolean, what: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: `$property must be ${what}`, ...options },
        validator: { validate: test },
      });
}

/** A GLN: 13 digits with a valid GS1 check digit. */
export const IsGln = gs1Decorator('isGln', digitsWithCheck(13), 'a GLN (13 digits with a valid GS1 check digit)');
/** A GTIN-14: 14 digits with a valid GS1 check digit. */
export const IsGtin14 = gs1Decorator('isGtin14', digitsWithCheck(14), 'a GTIN-14 (14 digits with a valid GS1 check digit)');
/** An SSCC: 18 digits with a valid GS1 check digit. */
export const IsSscc = gs1Decorator('isSscc', digitsWithCheck(18), 'an SSCC (18 digits with a valid GS1 check digit)');
