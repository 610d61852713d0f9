/**
 * A thread of the intake worker pool (`IntakePool`, piscina): seals a slice of a request's events off the main
 * thread. Verification runs here, synchronously: this thread is already off the event loop.
 */
import { verifyStrictNode } from '../signing/ed25519-node';
import { seal, Sealed, SealTask } from './event-seal';

export default function sealAll(tasks: SealTask[]): Promise<Sealed[]> {
  return Promise.all(tasks.map((task) => seal(task, verifyStrictNode)));
}
