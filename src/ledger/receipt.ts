/** What intake answers for each accepted event (docs/PROTOCOL.md §5). Hashes are standard base64. */
export interface Receipt {
  index: number;
  leafHash: string;
  eventId: string;
  actor: string;
  acceptedAt: string;
  /** True when this exact event was already logged: nothing was appended. */
  duplicate: boolean;
  /** With `wait`: the signed checkpoint that includes the event, and the proof against it. */
  checkpoint?: string;
  inclusionProof?: { treeSize: number; leafIndex: number; hashes: string[] };
}

export interface RefusedEvent {
  eventId?: string;
  error: { code: string; message: string; details?: unknown };
  status: number;
}

export type IntakeResult = { accepted: true; receipt: Receipt } | ({ accepted: false } & RefusedEvent);
