// Reading a request body with a bound in bytes: beyond it, BodyTooLarge (the caller answers 413).
import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
