/**
 * Why a scan could not be read, in a pharmacist's words. The GS1 library's messages are exact but technical
 * ("expected an application identifier at character 1"): they stay available under the card, and the headline
 * line says what is wrong with the package or the scanner, and what to do.
 */
import { Gs1Error } from '../../../src/gs1/errors';
import { DSCSA_PRODUCT_IDENTIFIER, parseProductCode } from '../../../src/gs1/product-code';

/** A sentence for the card; `undefined` when the code reads (the server refused it for another reason). */
export function explainUnreadable(code: string): string | undefined {
  let error: Gs1Error;
  try {
    parseProductCode(code, { require: DSCSA_PRODUCT_IDENTIFIER });
    return undefined;
  } catch (e) {
    if (!(e instanceof Gs1Error)) return undefined;
    if (e.rule === 'missing') {
      try {
        parseProductCode(code, { require: ['gtin', 'serial'] });
        return undefined;
      } catch (inner) {
        if (!(inner instanceof Gs1Error)) return undefined;
        error = inner;
      }
    } else {
      error = e;
    }
  }
  const atStart = (error.position ?? 0) === 0 && error.field === 'input';
  if (atStart && (error.rule === 'format' || error.rule === 'unknown-ai' || error.rule === 'charset')) {
    return (
      'This is not a GS1 barcode of a drug package: it does not start with a product number (GTIN). ' +
      'Scan the square DataMatrix near the NDC, not a price, pharmacy or shipping label.'
    );
  }
  switch (error.rule) {
    case 'check-digit':
      return `The product number (GTIN) in this code has a wrong check digit: the code was misread or mistyped. Scan it again.`;
    case 'missing':
      return error.field === 'serial'
        ? 'This code has no serial number: it names the product, not this package. Scan the DataMatrix, which carries the serial.'
        : 'This code has no product number (GTIN): scan the DataMatrix of the package.';
    case 'ambiguous':
      return (
        'The scanner left out the separators between the fields, so the code can be read more than one way. ' +
        'Set the scanner to send GS1 separators (FNC1 as GS), or type the code as printed.'
      );
    case 'date':
      return 'The expiry date in this code is not a real date: the code is damaged or not genuine. Set the package aside.';
    case 'unknown-ai':
    case 'format':
    case 'charset':
    case 'length':
    case 'duplicate':
      return 'The scan stopped part-way or was garbled: the code does not read as a whole. Scan it again.';
  }
  return undefined;
}
