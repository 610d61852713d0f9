import { makeGtin14, makeSscc } from '../../src/gs1/identifiers';
import { containerCode, unitCode } from '../../src/protocol/item-code';
import { CustodyRepository } from '../../src/supply-chain/custody.repository';
import { newParty, TestApp, TestParty } from './test-app';

let prefixCounter = 0;

/** A manufacturer with a granted company prefix and a registered product (GTIN) under it. */
export class TestManufacturer extends TestParty {
  prefix!: string;
  private ssccCounter = 0;
  private productCounter = 0;

  gtin(itemReference = 1): string {
    return makeGtin14('0', this.prefix, String(itemReference).padStart(12 - this.prefix.length, '0'));
  }

  /** A fresh SSCC under this manufacturer's prefix, as an item code. */
  newContainerCode(): string {
    this.ssccCounter++;
    return containerCode(makeSscc('0', this.prefix, String(this.ssccCounter).padStart(16 - this.prefix.length, '0')));
  }

  nextItemReference(): number {
    return ++this.productCounter;
  }
}

export async function newManufacturer(t: TestApp): Promise<TestManufacturer> {
  const party = await newParty(t, 'manufacturer', 'Acme Pharma');
  const m = new TestManufacturer(party.gln, party.role, party.secretKey, party.token);
  prefixCounter++;
  m.prefix = `03${String(process.pid % 100).padStart(2, '0')}${String(prefixCounter).padStart(3, '0')}`;
  const granted = await t.http
    .post(`/v1/manufacturers/${m.gln}/prefixes`)
    .set('Authorization', `Bearer ${t.operatorToken}`)
    .send({ prefix: m.prefix });
  if (granted.status !== 201) throw new Error(`prefix grant failed: ${JSON.stringify(granted.body)}`);
  return m;
}

export const productDetails = {
  name: 'Amoxicillin',
  strength: '500 mg',
  dosageForm: 'capsule',
  containerSize: '100 capsules',
};

/** Posts one signed event; returns the response (expects nothing). */
export async function post(t: TestApp, party: TestParty, type: string, body: object, wait = false) {
  return t.http
    .post(`/v1/events${wait ? '?wait=true' : ''}`)
    .set(...party.auth)
    .send(party.event(type, body));
}

/** Posts and insists on acceptance; returns the receipt. */
export async function accept(t: TestApp, party: TestParty, type: string, body: object, wait = false) {
  const response = await post(t, party, type, body, wait);
  if (response.status !== 201) {
    throw new Error(`${type} by ${party.role} refused: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body as { index: number; leafHash: string; checkpoint?: string; inclusionProof?: { treeSize: number; hashes: string[] } };
}

export async function registerProduct(t: TestApp, m: TestManufacturer): Promise<string> {
  const gtin = m.gtin(m.nextItemReference());
  await accept(t, m, 'product.register', { gtin, ...productDetails });
  return gtin;
}

export function serials(count: number, prefix = 'SN'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(6, '0')}`);
}

export function units(gtin: string, list: string[]): string[] {
  return list.map((serial) => unitCode(gtin, serial));
}

export const transaction = { date: '2026-11-20', shipmentDate: '2026-11-20', purchaseOrder: 'PO-1', invoice: 'INV-1' };

export async function item(t: TestApp, code: string) {
  const repo = t.app.get(CustodyRepository);
  const [found] = await repo.itemsWithContents(repo.db, [code]).then((all) => all.filter((i) => i.code === code));
  return found;
}

export async function newTradingPartners(t: TestApp) {
  const manufacturer = await newManufacturer(t);
  const distributor = await newParty(t, 'distributor', 'Big Wholesale');
  const pharmacy = await newParty(t, 'dispenser', 'Corner Pharmacy');
  const regulator = await newParty(t, 'regulator', 'FDA');
  return { manufacturer, distributor, pharmacy, regulator };
}
