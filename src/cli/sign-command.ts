import type { SignedEvent } from '../protocol/event';
import { Output } from './cli-error';
import { parseEventsText } from './events-file';
import { readInput, readKeyFile } from './files';
import { signItems } from './sign';

export interface SignOptions {
  key: string;
  /** Event file, `-` for standard input. */
  file: string;
}

/**
 * `rxledger sign`: prints `{event, signature}` for the event in the file (one JSON line per event when the file
 * holds several, ready for `rxledger post`). Events that are already signed are printed as they are.
 */
export function signCommand(options: SignOptions, output: Output): SignedEvent<unknown>[] {
  const source = options.file === '-' ? 'stdin' : options.file;
  const items = parseEventsText(readInput(options.file, 'event file'), source);
  const key = readKeyFile(options.key, output);
  const signed = signItems(items, key);
  if (signed.length === 1) output.out(JSON.stringify(signed[0], null, 2));
  else signed.forEach((event) => output.out(JSON.stringify(event)));
  return signed;
}
