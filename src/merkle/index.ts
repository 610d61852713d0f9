export type { Hash } from './hash';
export { HASH_SIZE, EMPTY_ROOT, leafHash, nodeHash, isHash } from './hash';
export type { NodeId } from './node-id';
export { isTreeSize, nodeRange, isCompleteIn, nodeKey, rangeNodes } from './node-id';
export type { OnComplete } from './frontier';
export { MerkleFrontier } from './frontier';
export type { ProofPlan, NodeReader } from './proof';
export { planInclusion, planConsistency, inclusionProof, consistencyProof } from './proof';
export { verifyInclusion, verifyConsistency, rootFromInclusionProof } from './verify';
export type { TilePath, TileRange } from './tiles';
export {
  TILE_HEIGHT,
  TILE_WIDTH,
  MAX_ENTRY_SIZE,
  TilePathError,
  formatTileIndex,
  parseTileIndex,
  tilePath,
  entriesPath,
  parseTilePath,
  tileWidth,
  tileForNode,
  hashFromTileRange,
  encodeEntryBundle,
  decodeEntryBundle,
} from './tiles';
