import { applyDecorators, ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { ClassConstructor, plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
  registerDecorator,
  validateSync,
  ValidationError as ClassValidationError,
  ValidatorOptions,
} from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { storedTextViolation } from '../protocol/stored-text';
import { FieldViolation, ValidationError } from './app-error';

export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
};

/**
 * class-validator looks a class's rules up again on every object it validates: `getTargetValidationMetadatas` filters
 * the class's rules and tests every decorated class for inheritance, then `groupByPropertyName` groups them, new
 * arrays each time (issue 12 §2's profile: ~10 µs and garbage per signed event, on every request). The rules change
 * only when a rule is registered (a decorated class is defined, `registerDecorator`), so both answers are kept per
 * class until then. Lookups with validation groups (unused here) are not kept. Neither caller changes what it gets.
 */
function keepRuleLookups(): void {
  const storage = getMetadataStorage();
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let kept = new Map<unknown, Map<string, ValidationMetadata[]>>();
  const grouped = new WeakMap<ValidationMetadata[], ReturnType<typeof group>>();
  storage.addValidationMetadata = (metadata) => {
    kept = new Map();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (groups && groups.length > 0) return lookup(target, schema, always, strictGroups, groups);
    let byOptions = kept.get(target);
    if (!byOptions) kept.set(target, (byOptions = new Map()));
    const key = `${schema}\u0000${always}\u0000${strictGroups}`;
    let found = byOptions.get(key);
    if (!found) byOptions.set(key, (found = lookup(target, schema, always, strictGroups, groups)));
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (!found) grouped.set(metadata, (found = group(metadata)));
    return found;
  };
}
keepRuleLookups();

/**
 * Rules that can say which element of an array broke them (`{ each: true }`): the rule's name → the reason one
 * value breaks it, or null. class-validator reports only the array; these name `items[3]`.
 */
const ELEMENT_RULES = new Map<string, (value: unknown) => string | null>();

/** Most elements of one array named one by one; the rest are counted in one more violation. */
export const MAX_ELEMENT_VIOLATIONS = 100;

/** Registers a rule whose `{ each: true }` violations name each offending element (see `toFieldViolations`). */
export function explainElements(rule: string, reason: (value: unknown) => string | null): void {
  ELEMENT_RULES.set(rule, reason);
}

function elementViolations(field: string, rule: string, values: unknown[]): FieldViolation[] | undefined {
  const reason = ELEMENT_RULES.get(rule);
  if (!reason) return undefined;
  const out: FieldViolation[] = [];
  let broken = 0;
  values.forEach((value, i) => {
    const why = reason(value);
    if (why === null) return;
    broken++;
    if (broken <= MAX_ELEMENT_VIOLATIONS)
      out.push({ field: `${field}[${i}]`, rule, message: `${field}[${i}]: ${why}` });
  });
  if (broken > MAX_ELEMENT_VIOLATIONS) {
    const more = broken - MAX_ELEMENT_VIOLATIONS;
    out.push({ field, rule, message: `${field}: ${more} more element${more === 1 ? '' : 's'} break the same rule` });
  }
  return out.length > 0 ? out : undefined;
}

/**
 * Flattens class-validator's nested errors into `field` paths such as `events[3].event.actor`; an element rule
 * (`explainElements`) broken inside an array names the element: `event.body.items[3]`.
 */
export function toFieldViolations(errors: ClassValidationError[], parent = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const error of errors) {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      const elements = Array.isArray(error.value) ? elementViolations(field, rule, error.value) : undefined;
      if (elements) out.push(...elements);
      else
        out.push({
          field,
          rule,
          message: rule === 'whitelistValidation' ? `${field} is not an allowed field` : message,
        });
    }
    if (error.children?.length) out.push(...toFieldViolations(error.children, field));
  }
  return out;
}

/**
 * Validates a plain value against a DTO class without changing the value itself (signed JSON must stay
 * byte-for-byte what was signed); returns the typed instance or throws VALIDATION_FAILED naming each field.
 */
export function validatePlain<T extends object>(dto: ClassConstructor<T>, value: unknown, fieldPrefix = ''): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError([
      { field: fieldPrefix || '(body)', rule: 'isObject', message: `${fieldPrefix || 'body'} must be a JSON object` },
    ]);
  }
  const instance = plainToInstance(dto, value);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new ValidationError(toFieldViolations(errors, fieldPrefix));
  return instance;
}

/**
 * Like `validatePlain` for DTOs without nested types, without class-transformer's deep copy: the instance is a
 * shallow copy of the value (hot path: every signed event's envelope).
 */
export function validateShallow<T extends object>(dto: ClassConstructor<T>, value: unknown, fieldPrefix = ''): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError([
      { field: fieldPrefix || '(body)', rule: 'isObject', message: `${fieldPrefix || 'body'} must be a JSON object` },
    ]);
  }
  const instance = Object.assign(new dto(), value);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new ValidationError(toFieldViolations(errors, fieldPrefix));
  return instance;
}

const DECIMAL_INTEGER = /^-?\d+$/;

/**
 * A whole number in a query or path parameter, between `min` and `max` (at most 2^53 − 1, what a JavaScript number
 * holds exactly and a PostgreSQL bigint stores). Written in ASCII decimal digits with an optional minus; any other
 * spelling ("1e3", " 1", "0x10", fullwidth "１２", empty) breaks rule `isInt`; an integer outside the range, however
 * long, breaks rule `range` ("out of range"). Valid values become numbers.
 */
export function IsIntegerParam(min: number, max: number = Number.MAX_SAFE_INTEGER): PropertyDecorator {
  const range = `from ${min} to ${max}`;
  const register = (name: string, message: string, validate: (value: unknown) => boolean): PropertyDecorator =>
    ((target: object, propertyName: string) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName,
        options: { message },
        validator: { validate },
      })) as PropertyDecorator;
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && DECIMAL_INTEGER.test(value) && Number.isSafeInteger(Number(value))
        ? Number(value)
        : value,
    ),
    register(
      'isInt',
      `$property must be a whole number in ASCII decimal digits, ${range}`,
      (value) => (typeof value === 'number' && Number.isInteger(value)) || isLongInteger(value),
    ),
    // An integer too long for a number stays a string of digits: out of range whatever the bounds.
    register(
      'range',
      `$property is out of range: it must be ${range}`,
      (value) => !isLongInteger(value) && !(typeof value === 'number' && (value < min || value > max)),
    ),
  );
}

function isLongInteger(value: unknown): boolean {
  return typeof value === 'string' && DECIMAL_INTEGER.test(value);
}

/**
 * The application's pipe: class-validator on every DTO and, first, on every query and path parameter whatever its
 * type, the log's stored-text rule (`storedTextViolation`: no U+0000, no lone surrogate), so that no handler passes
 * such text on to PostgreSQL (a verification request, for one, is recorded with its query).
 */
export class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Bodies too, but not raw JSON (`Object`): signed events, which intake checks one by one (a batch is not atomic).
    const dtoBody = metadata.type === 'body' && metadata.metatype !== undefined && metadata.metatype !== Object;
    if (metadata.type === 'query' || metadata.type === 'param' || dtoBody) {
      const violation = storedTextViolation(value, metadata.data ?? '');
      if (violation) {
        const field = violation.field.replace(/^\./, '');
        throw new ValidationError([{ ...violation, field, message: violation.message.replace(/^\./, '') }]);
      }
    }
    return super.transform(value, metadata);
  }
}
