import { createHash } from 'node:crypto';

const NODE_PREFIX = Uint8Array.of(1);

/**
 * RFC 9162 roots of the first `size` leaves and of every prefix size in `at`, computed in one streaming pass with
 * Node's own SHA-256: an implementation independent of src/merkle and of the stored tiles, to check the server's
 * checkpoints and proofs against. Memory stays O(log size).
 */
export function prefixRoots(
  leafHash: (index: number) => Uint8Array,
  size: number,
  at: Iterable<number>,
  onProgress?: (done: number) => void,
): { root: Uint8Array; rootsAt: Map<number, Uint8Array> } {
  if (size < 1) throw new Error('the empty tree has no leaves to check');
  const wanted = new Set(at);
  const rootsAt = new Map<number, Uint8Array>();
  // The roots of the maximal complete subtrees so far, largest (leftmost) first: one per set bit of the size.
  const stack: Uint8Array[] = [];
  const node = (left: Uint8Array, right: Uint8Array) =>
    createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  const fold = () => {
    let root = stack[stack.length - 1];
    for (let j = stack.length - 2; j >= 0; j--) root = node(stack[j], root);
    return root;
  };
  const step = Math.max(1, Math.floor(size / 10));
  for (let index = 0; index < size; index++) {
    let hash = leafHash(index);
    // Each trailing set bit of `index` is a complete subtree waiting for a right sibling of the same height.
    for (let rest = index; rest % 2 === 1; rest = Math.floor(rest / 2)) hash = node(stack.pop()!, hash);
    stack.push(hash);
    if (wanted.has(index + 1)) rootsAt.set(index + 1, fold());
    if (onProgress && (index + 1) % step === 0) onProgress(index + 1);
  }
  return { root: fold(), rootsAt };
}
