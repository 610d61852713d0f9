/**
 * The offline evidence-bundle verifier and the log monitor's check: pure, shared by the CLI, the SDK and the browser.
 */
export type { BundleCheck, BundleFailure, BundleReport } from './bundle-report';
export type { SignatureVerifier, VerifyBundleOptions } from './verify-bundle';
export { BUNDLE_MEMBERS, BundleVerifier, verifyBundle, verifyBundleStream, verifyBundleText } from './verify-bundle';
export type { BundleSink } from './bundle-stream';
export { BundleJsonSplitter, BundleSyntaxError } from './bundle-stream';
export type { CheckpointProblem, NewCheckpointCheck, TreeHead, TrustedCheckpoint } from './monitor';
export { checkNewCheckpoint } from './monitor';
