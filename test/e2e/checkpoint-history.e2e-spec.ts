/**
 * GET /v1/log/checkpoints (issue 13 §5, the tree's growth from the server's history): every stored checkpoint,
 * newest first, public, paged by tree size with no checkpoint twice or missed; each note is the one signed for that
 * size (docs/PROTOCOL.md §6.4).
 */
import { newTradingPartners, registerProduct, accept } from '../support/supply-chain';
import { createTestApp, TestApp } from '../support/test-app';

interface Row {
  treeSize: number;
  rootHash: string;
  createdAt: string;
  note: string;
}

describe('GET /v1/log/checkpoints', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    const { manufacturer: m } = await newTradingPartners(t);
    const gtin = await registerProduct(t, m);
    for (let i = 0; i < 5; i++) {
      await accept(t, m, 'commission', { gtin, lot: `L${i}`, expiry: '291231', serials: [`S${i}`] }, true);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('pages through every stored checkpoint, newest first, none twice or missed, anonymously', async () => {
    const all = (await t.http.get('/v1/log/checkpoints').query({ limit: 1000 }).expect(200)).body as Row[];
    expect(all.length).toBeGreaterThanOrEqual(5);
    const sizes = all.map((r) => r.treeSize);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(new Set(sizes).size).toBe(sizes.length);
    const latest = (await t.http.get('/v1/log/checkpoint').expect(200)).text;
    expect(all[0].note).toBe(latest);
    for (const row of all) {
      // §6.1: the note's body is origin, tree size, base64 root hash.
      expect(row.note.split('\n').slice(1, 3)).toEqual([String(row.treeSize), row.rootHash]);
    }

    const paged: number[] = [];
    let before: number | undefined;
    for (;;) {
      const query: Record<string, number> = { limit: 2, ...(before !== undefined ? { before } : {}) };
      const page = (await t.http.get('/v1/log/checkpoints').query(query).expect(200)).body as Row[];
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      paged.push(...page.map((r) => r.treeSize));
      before = page[page.length - 1].treeSize;
    }
    expect(paged).toEqual(sizes);
  });

  it('refuses a bad page parameter with the usual validation error', async () => {
    const response = await t.http.get('/v1/log/checkpoints').query({ limit: 0 }).expect(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(response.body.error)).toContain('limit');
  });
});
