// ssh2's SFTP WRITE as patched by patches/ssh2+1.17.0.patch (the upload's CPU, BENCHMARKS.md): the caller's bytes go
// to the channel as they are, after the request's header, instead of being copied with it into a fresh buffer. Fails
// when the patch is not applied or ssh2's internals it relies on change; the files must still arrive intact.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client, type SFTPWrapper } from 'ssh2';
import { embeddedServer } from './fixtures.js';

interface Protocol {
  channelData(chan: number, data: Buffer): void;
}
const require = createRequire(import.meta.url);
const { prototype: protocol } = require('ssh2/lib/protocol/Protocol.js') as { prototype: Protocol };
// The reused packet buffer is in the patched AES-GCM cipher of ssh2's native binding; without the binding (not built
// for this Node.js, or no compiler where it was installed, as in the image) ssh2's own cipher allocates as before.
const { bindingAvailable } = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean };

type Fixture = Awaited<ReturnType<typeof embeddedServer>>;

function connect(f: Fixture): Promise<{ client: Client; sftp: SFTPWrapper }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('error', reject);
    client.once('ready', () => client.sftp((error, sftp) => (error ? reject(error) : resolve({ client, sftp }))));
    client.connect({ host: '127.0.0.1', port: f.drop.port, username: 'erp', privateKey: readFileSync(f.clientKey), hostVerifier: () => true });
  });
}

const write = (sftp: SFTPWrapper, handle: Buffer, bytes: Buffer, position: number) =>
  new Promise<void>((resolve, reject) => sftp.write(handle, bytes, 0, bytes.length, position, (e) => (e ? reject(e) : resolve())));

describe("ssh2's SFTP write (patched)", () => {
  let f: Fixture;
  let session: { client: Client; sftp: SFTPWrapper };
  beforeAll(async () => {
    f = await embeddedServer();
    session = await connect(f);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    session.client.end();
    await f.close();
  });

  async function upload(remote: string, writes: (handle: Buffer) => Promise<unknown>): Promise<Buffer[]> {
    const sent: Buffer[] = [];
    const channelData = protocol.channelData;
    vi.spyOn(protocol, 'channelData').mockImplementation(function (this: Protocol, chan, data) {
      sent.push(data);
      channelData.call(this, chan, data);
    });
    const { sftp } = session;
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(remote, 'w', (e, h) => (e ? reject(e) : resolve(h))));
    await writes(handle);
    await new Promise<void>((resolve, reject) => sftp.close(handle, (e) => (e ? reject(e) : resolve())));
    return sent;
  }

  it("sends the caller's bytes without copying them, split over WRITEs of the server's limit", async () => {
    const content = randomBytes(100_000); // more than the 34,000-byte WRITE a server without limits@openssh.com takes
    const sent = await upload('/one.bin', (handle) => write(session.sftp, handle, content, 0));
    expect(readFileSync(f.local('/one.bin')).equals(content)).toBe(true);
    const views = sent.filter((data) => data.buffer === content.buffer);
    expect(views.length).toBeGreaterThanOrEqual(3);
    expect(views.reduce((n, data) => n + data.length, 0)).toBe(content.length);
  });

  async function manyWrites(): Promise<Buffer[]> {
    const socket = (session.client as unknown as { _sock: { write(data: Buffer): boolean } })._sock;
    const packets: Buffer[] = [];
    const socketWrite = socket.write;
    vi.spyOn(socket, 'write').mockImplementation(function (this: typeof socket, data: Buffer) {
      if (data.length > 4096) packets.push(data);
      return socketWrite.call(this, data);
    });
    const content = randomBytes(100 * 30_000); // 3 MB of writes in flight against a 2 MiB window
    await upload('/many.bin', (handle) =>
      Promise.all(Array.from({ length: 100 }, (_, i) => write(session.sftp, handle, content.subarray(i * 30_000, (i + 1) * 30_000), i * 30_000))),
    );
    expect(readFileSync(f.local('/many.bin')).equals(content)).toBe(true);
    return packets;
  }

  it('keeps each request whole when the channel window runs out mid-request', async () => {
    expect((await manyWrites()).length).toBeGreaterThan(90);
  });

  it.runIf(bindingAvailable)('sends those packets from one reused buffer (native AES-GCM)', async () => {
    const packets = await manyWrites();
    // A fresh buffer only after a packet the socket could not write at once (it keeps that one until it can).
    expect(new Set(packets.map((p) => p.buffer)).size).toBeLessThan(packets.length / 2);
  });
});
