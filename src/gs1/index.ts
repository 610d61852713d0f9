/**
 * GS1 identifiers for RxLedger: pure TypeScript, no NestJS and no Node-only APIs, so the server, the CLI,
 * the SDK and the browser share it. See README.md in this folder for the decisions behind it.
 */
export { Gs1Error, type Gs1ErrorDetails, type Gs1Field, type Gs1Rule } from './errors';
export { appendCheckDigit, computeCheckDigit, hasValidCheckDigit } from './check-digit';
export {
  CHARSET_82,
  GLN_LENGTH,
  GTIN_LENGTHS,
  LOT_MAX_LENGTH,
  SERIAL_MAX_LENGTH,
  SSCC_LENGTH,
  isCharset82,
  isGln,
  isGtin14,
  isSscc,
  makeGtin14,
  makeSscc,
  normalizeGtin,
  validateCharset82,
  validateGln,
  validateGtin14,
  validateLot,
  validateSerial,
  validateSscc,
} from './identifiers';
export {
  NDC_CONFIGURATIONS,
  formatNdc,
  gtinToNdc,
  ndcOfGtin,
  isNdcGtin,
  ndcToGtin,
  parseNdc,
  toNdc11,
  type NdcConfiguration,
} from './ndc';
export {
  daysInMonth,
  formatYymmdd,
  isExpired,
  parseYymmdd,
  resolveYear,
  type CenturyOptions,
  type DateField,
  type Gs1Date,
} from './expiry';
export {
  AI_BY_FIELD,
  AI_DEFINITIONS,
  GS,
  GS1_SYMBOLOGY_IDENTIFIERS,
  GS_SPELLINGS,
  formatElementString,
  formatHumanReadable,
  isSupportedAi,
  parseElementString,
  parseHumanReadable,
  validateAiValue,
  validateFields,
  type AiDefinition,
  type ElementStringFormatOptions,
  type ElementStringParseOptions,
  type Gs1Ai,
  type Gs1FieldName,
  type Gs1Fields,
} from './element-string';
export {
  DEFAULT_DIGITAL_LINK_STEM,
  formatDigitalLink,
  isDigitalLinkUri,
  parseDigitalLink,
  type DigitalLink,
} from './digital-link';
export {
  MAX_COMPANY_PREFIX_LENGTH,
  MIN_COMPANY_PREFIX_LENGTH,
  escapeEpcSerial,
  formatSgtinUrn,
  formatSsccUrn,
  isEpcUrn,
  parseEpcUrn,
  unescapeEpcSerial,
  type EpcIdentity,
  type SgtinEpc,
  type SsccEpc,
} from './epc';
export {
  DSCSA_PRODUCT_IDENTIFIER,
  MAX_PRODUCT_CODE_LENGTH,
  parseProductCode,
  type ProductCode,
  type ProductCodeField,
  type ProductCodeForm,
  type ProductCodeOptions,
} from './product-code';
