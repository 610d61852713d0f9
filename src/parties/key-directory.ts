import { KeyDirectory } from '../ledger/event-type.registry';
import { RegistryRepository } from './registry.repository';

const CACHE_SIZE = 10_000;

/**
 * Public keys by key id, remembered: a key id always names the same public key (it is derived from it), so a
 * cached answer never goes stale. Whether the key may still sign is decided inside the intake transaction.
 */
export class CachedKeyDirectory implements KeyDirectory {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly registry: RegistryRepository) {}

  async publicKeys(keyIds: string[]): Promise<Map<string, Uint8Array>> {
    const found = new Map<string, Uint8Array>();
    const missing: string[] = [];
    for (const keyId of keyIds) {
      const key = this.keys.get(keyId);
      if (key) found.set(keyId, key);
      else missing.push(keyId);
    }
    if (missing.length > 0) {
      for (const [keyId, key] of await this.registry.publicKeys(missing)) {
        found.set(keyId, key);
        if (this.keys.size >= CACHE_SIZE) this.keys.delete(this.keys.keys().next().value!);
        this.keys.set(keyId, key);
      }
    }
    return found;
  }
}
