import { Writable } from 'node:stream';

/** The client went away (or the connection broke) while a report was being written. */
export class ReportAborted extends Error {
  constructor() {
    super('the client closed the connection before the report was complete');
    this.name = 'ReportAborted';
  }
}

/**
 * Text written to a response as it is produced, in chunks of about `chunkBytes`, waiting whenever the socket's
 * buffer is full: the report's producer runs no faster than the client reads, so memory stays flat.
 */
export class ReportSink {
  private parts: string[] = [];
  private pending = 0;
  private gone = false;
  /** Characters (or, for binary output, bytes) written so far, flushed or not. */
  written = 0;

  constructor(
    private readonly out: Writable,
    private readonly chunkBytes = 64 * 1024,
  ) {
    const lost = () => (this.gone = true);
    out.once('close', lost);
    out.once('error', lost);
  }

  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.pending += text.length;
    this.written += text.length;
    if (this.pending >= this.chunkBytes) await this.flush();
  }

  /** Binary output (a PDF): whatever text is pending goes first. */
  async writeBytes(chunk: Buffer): Promise<void> {
    await this.flush();
    this.written += chunk.length;
    await writeChunk(this.out, chunk, () => this.gone);
  }

  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    await writeChunk(this.out, chunk, () => this.gone);
  }

  /** Flushes and ends the response; resolves once everything is handed to the socket. */
  async end(): Promise<void> {
    await this.flush();
    await endStream(this.out, () => this.gone);
  }
}

/** Writes one chunk and waits for 'drain' if the stream's buffer is full. */
export async function writeChunk(out: Writable, chunk: string | Buffer, gone: () => boolean): Promise<void> {
  if (gone() || out.destroyed) throw new ReportAborted();
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      out.off('drain', drained);
      out.off('close', closed);
      out.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    const drained = () => done();
    const closed = () => done(new ReportAborted());
    out.on('drain', drained);
    out.once('close', closed);
    out.once('error', done);
  });
}

export async function endStream(out: Writable, gone: () => boolean): Promise<void> {
  if (gone() || out.destroyed) throw new ReportAborted();
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}
