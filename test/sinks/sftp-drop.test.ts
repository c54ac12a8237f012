// The embedded SFTP drop (the local drop of `npm start`) when a client vanishes: the files it had open, or was still
// opening, are closed by the drop, never left to the garbage collector (an uncaught error since Node.js 26, which
// ends the process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Client, type SFTPWrapper } from 'ssh2';
import { embeddedServer, memoryLogger } from './fixtures.js';
import { until } from '../e2e/world.js';

/** `until` on a synchronous condition, within 5 s. */
const when = (check: () => boolean, what: string) => until(async () => (check() ? true : undefined), what, 5_000);

type Fixture = Awaited<ReturnType<typeof embeddedServer>>;

/** How many of this process's descriptors point at `path`. */
function openDescriptors(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

function connect(f: Fixture): Promise<{ client: Client; sftp: SFTPWrapper }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('error', () => undefined); // the abrupt end below is the point
    client.once('ready', () => client.sftp((error, sftp) => (error ? reject(error) : resolve({ client, sftp }))));
    client.connect({ host: '127.0.0.1', port: f.drop.port, username: 'erp', privateKey: readFileSync(f.clientKey), hostVerifier: () => true });
  });
}

describe('the embedded SFTP drop', () => {
  const logged = memoryLogger();
  let f: Fixture;
  beforeAll(async () => {
    f = await embeddedServer({ log: logged.log });
  });
  afterAll(() => f.close());

  it('closes the files of a client that vanished mid-upload', async () => {
    const { client, sftp } = await connect(f);
    const remote = '/vanished.part';
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(remote, 'w', (e, h) => (e ? reject(e) : resolve(h))));
    await new Promise<void>((resolve, reject) => sftp.write(handle, Buffer.from('half a file'), 0, 11, 0, (e) => (e ? reject(e) : resolve())));
    expect(openDescriptors(f.local(remote))).toBe(1);
    client.destroy(); // no CLOSE: the socket just goes, as when the daemon is killed
    await when(() => openDescriptors(f.local(remote)) === 0, 'the drop closes the file');
  });

  it('closes a file whose opening finished after its client had gone', async () => {
    const remote = '/slow.part';
    const local = f.local(remote);
    execFileSync('mkfifo', [local]); // opening a FIFO for writing waits for a reader: the OPEN is held open
    let opening = false;
    f.drop.setFaults({ failPath: (_path, op) => void (opening ||= op === 'open-write') });
    const sessionsClosed = () => logged.lines().split('SFTP session closed').length - 1;
    const closedBefore = sessionsClosed();
    const { client, sftp } = await connect(f);
    sftp.open(remote, 'w', () => undefined);
    await when(() => opening, 'the drop starts opening the file');
    client.destroy();
    await when(() => sessionsClosed() > closedBefore, 'the drop sees the session end');
    const reader = openSync(local, constants.O_RDONLY | constants.O_NONBLOCK); // lets the held open finish
    try {
      await when(() => logged.lines().includes('SFTP file opened after its session ended: closed'), 'the drop closes the file it opened for nobody');
      expect(openDescriptors(local)).toBe(1); // the reader's own
    } finally {
      closeSync(reader);
    }
  });
});
