/**
 * JSON Schema validation of EPCIS 2.0 documents against GS1's EPCIS JSON schema (gs1/EPCIS repository; source and
 * commit in test/unit/epcis/fixtures/README.md), with ajv. The schema checks structure and vocabularies; it does
 * not check that identifiers are valid GS1 keys (check digits), which import does.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import schema from './epcis-json-schema.json';

export interface SchemaProblem {
  /** JSON Pointer to the offending value, e.g. `/epcisBody/eventList/0/eventTimeZoneOffset`. */
  path: string;
  message: string;
}

export interface EpcisValidation {
  valid: boolean;
  problems: SchemaProblem[];
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // strict: false because GS1's draft-07 schema uses keywords beside `$ref` and `if` without `then`.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Whether `doc` is valid per GS1's EPCIS 2.0 JSON schema, and if not, where and why. */
export function validateEpcisDocument(doc: unknown): EpcisValidation {
  const validate = validator();
  if (validate(doc)) return { valid: true, problems: [] };
  const problems = (validate.errors ?? []).map((error) => ({
    path: error.instancePath || '/',
    message: `${error.message ?? 'is invalid'}${error.params && 'allowedValues' in error.params ? `: ${JSON.stringify(error.params.allowedValues)}` : ''}`,
  }));
  return { valid: false, problems };
}
