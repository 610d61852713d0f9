import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError as ClassValidationError, ValidatorOptions } from 'class-validator';
import { FieldViolation, ValidationError } from './app-error';

export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
};

/** Flattens class-validator's nested errors into `field` paths such as `events[3].event.actor`. */
export function toFieldViolations(errors: ClassValidationError[], parent = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const error of errors) {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      out.push({ field, rule, message: rule === 'whitelistValidation' ? `${field} is not an allowed field` : message });
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
