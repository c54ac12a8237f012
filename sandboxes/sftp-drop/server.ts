// An embedded SFTP server (ssh2) serving a local folder: the zero-configuration drop of `npm start`
// and the test double of a real server, with fault injection for the tests.
import { timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type FileHandle, link, lstat, mkdir, open, opendir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import ssh2, { type Attributes, type AuthContext, type Connection, type ParsedKey, type SFTPWrapper } from 'ssh2';
import { type Logger, log as rootLog } from '../../src/log.js';
import { loadOrCreateHostKey } from './host-key.js';
import { Jail, JailError } from './jail.js';

const { Server, utils } = ssh2; // CommonJS: no named exports under Node's ESM loader
const { STATUS_CODE, flagsToString } = utils.sftp;

export interface SftpDropUser {
  username: string;
  password?: string;
  /** Public keys in authorized_keys form ("ssh-ed25519 AAAA… comment"). */
  publicKeys?: string[];
}

export type SftpOp = 'open-write' | 'open-read' | 'mkdir' | 'rename' | 'remove';

/** Faults for tests; change them between attempts with setFaults(). */
export interface SftpDropFaults {
  /** Cut the connection once this many file bytes were written on it (without acknowledging the write). */
  dropAfterBytes?: number;
  /** Answer a path with PERMISSION_DENIED, or FAILURE "No space left on device" (the disk-full case). */
  failPath?: (sftpPath: string, op: SftpOp | 'write') => 'permission-denied' | 'no-space' | undefined;
}

export interface SftpDropOptions {
  root: string;
  port?: number;
  host?: string;
  /** Private host key file; generated (ed25519) and kept there when absent. */
  hostKeyPath: string;
  users: SftpDropUser[];
  /** Advertise posix-rename@openssh.com (true, like OpenSSH); false to test clients' fallback. */
  posixRename?: boolean;
  faults?: SftpDropFaults;
  log?: Logger;
}

export interface SftpDrop {
  port: number;
  hostKeySha256: string;
  /** A known_hosts line for this server ("[host]:port type key"). */
  knownHostsLine: string;
  setFaults(faults: SftpDropFaults): void;
  /** Connections as the server saw them: logins so far (one per SSH handshake), open now, most open at once. */
  connections(): { logins: number; open: number; peak: number };
  /** Ends every client connection (as a server's own idle limit would); the server keeps listening. */
  endConnections(): void;
  close(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function parsePublicKeys(user: SftpDropUser): ParsedKey[] {
  return (user.publicKeys ?? []).map((line) => {
    const key = utils.parseKey(line);
    if (key instanceof Error) throw new Error(`public key of ${user.username}: ${key.message}`);
    return key;
  });
}

function authenticate(ctx: AuthContext, users: Map<string, { user: SftpDropUser; keys: ParsedKey[] }>): void {
  const entry = users.get(ctx.username);
  if (entry && ctx.method === 'password' && entry.user.password !== undefined && sameSecret(ctx.password, entry.user.password)) return ctx.accept();
  if (entry && ctx.method === 'publickey') {
    const key = entry.keys.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
    // Without a signature the client only asks whether the key would do.
    if (key && (!ctx.signature || (ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true))) return ctx.accept();
  }
  const methods: Array<'password' | 'publickey'> = [];
  if (entry?.user.password !== undefined) methods.push('password');
  if (entry?.keys.length) methods.push('publickey');
  ctx.reject(methods.length ? methods : ['publickey']);
}

function statusFor(error: unknown): { code: number; message: string } {
  if (error instanceof JailError) return { code: STATUS_CODE.PERMISSION_DENIED, message: error.message };
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return { code: STATUS_CODE.NO_SUCH_FILE, message: 'No such file' };
    case 'EACCES':
    case 'EPERM':
      return { code: STATUS_CODE.PERMISSION_DENIED, message: 'Permission denied' };
    case 'ENOSPC':
    case 'EDQUOT':
      return { code: STATUS_CODE.FAILURE, message: 'No space left on device' };
    default:
      return { code: STATUS_CODE.FAILURE, message: e.message ?? 'Failure' };
  }
}

function attrsOf(st: Stats) {
  return { mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) };
}

// SFTP v3 VERSION packet advertising posix-rename@openssh.com, which ssh2's server does not let us add.
const VERSION_PLAIN = Buffer.from([0, 0, 0, 5, 2, 0, 0, 0, 3]);
function versionWithExtensions(names: string[]): Buffer {
  const body = [Buffer.from([2, 0, 0, 0, 3])];
  for (const name of names) {
    for (const s of [name, '1']) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(Buffer.byteLength(s));
      body.push(len, Buffer.from(s));
    }
  }
  const payload = Buffer.concat(body);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

/** Swaps ssh2's fixed VERSION reply for one listing extensions, once, on this SFTP channel (relies on ssh2 internals, covered by tests). */
function advertiseExtensions(sftp: SFTPWrapper, names: string[]): void {
  const internals = sftp as unknown as { _protocol: { channelData(id: number, data: Buffer): void }; outgoing: { id: number; window: number } };
  const protocol = internals._protocol;
  const version = versionWithExtensions(names);
  const original = protocol.channelData;
  protocol.channelData = function (id: number, data: Buffer) {
    if (id === internals.outgoing.id && data.equals(VERSION_PLAIN)) {
      protocol.channelData = original;
      internals.outgoing.window -= version.length - data.length;
      return original.call(this, id, version);
    }
    return original.call(this, id, data);
  };
}

interface DirHandle {
  kind: 'dir';
  path: string;
  done: boolean;
}
interface FileHandleEntry {
  kind: 'file';
  path: string;
  fh: FileHandle;
}

/**
 * Serves SFTP requests of one session inside the jail; returns what closes its open files. A client that vanishes
 * (a killed daemon) sends no CLOSE: its files are closed when the channel or the connection ends, never left to the
 * garbage collector (an uncaught error since Node.js 26, which would take the process down).
 */
function serveSftp(sftp: SFTPWrapper, jail: Jail, drop: { faults: SftpDropFaults; written: number; cut: () => void }, log: Logger): () => void {
  const handles = new Map<number, FileHandleEntry | DirHandle>();
  let closed = false;
  const closeAll = () => {
    if (closed) return;
    closed = true;
    for (const h of handles.values()) if (h.kind === 'file') h.fh.close().catch(() => undefined);
    handles.clear();
    log.debug('SFTP session closed');
  };
  let nextHandle = 0;
  const newHandle = (entry: FileHandleEntry | DirHandle): Buffer => {
    const id = nextHandle++;
    handles.set(id, entry);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  };
  const handleOf = (buf: Buffer) => (buf.length === 4 ? handles.get(buf.readUInt32BE()) : undefined);
  const fail = (reqid: number, error: unknown) => {
    const { code, message } = statusFor(error);
    sftp.status(reqid, code, message);
  };
  const injected = (reqid: number, path: string, op: SftpOp | 'write'): boolean => {
    const fault = drop.faults.failPath?.(jail.virtual(path), op);
    if (fault === 'permission-denied') sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
    if (fault === 'no-space') sftp.status(reqid, STATUS_CODE.FAILURE, 'No space left on device');
    return fault !== undefined;
  };
  const handle = <A extends unknown[]>(fn: (reqid: number, ...args: A) => Promise<void>) => (reqid: number, ...args: A) => {
    fn(reqid, ...args).catch((error: unknown) => fail(reqid, error));
  };
  const ok = (reqid: number) => sftp.status(reqid, STATUS_CODE.OK);
  const statReply = (reqid: number, st: Stats) => sftp.attrs(reqid, attrsOf(st));

  sftp.on('OPEN', handle(async (reqid, filename: string, flags: number, attrs: { mode?: number }) => {
    const writing = (flags & (utils.sftp.OPEN_MODE.WRITE | utils.sftp.OPEN_MODE.APPEND)) !== 0;
    if (injected(reqid, filename, writing ? 'open-write' : 'open-read')) return;
    const local = await jail.local(filename);
    const fh = await open(local, flagsToString(flags) ?? 'r', attrs.mode ?? 0o644);
    if (closed) {
      await fh.close(); // the session ended while the file was opening
      log.debug('SFTP file opened after its session ended: closed', { path: filename });
      return;
    }
    sftp.handle(reqid, newHandle({ kind: 'file', path: filename, fh }));
  }));
  sftp.on('WRITE', handle(async (reqid, hbuf: Buffer, offset: number, data: Buffer) => {
    const h = handleOf(hbuf);
    if (h?.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Bad handle');
    if (drop.faults.dropAfterBytes !== undefined && drop.written + data.length > drop.faults.dropAfterBytes) return drop.cut();
    if (injected(reqid, h.path, 'write')) return;
    await h.fh.write(data, 0, data.length, offset);
    drop.written += data.length;
    ok(reqid);
  }));
  sftp.on('READ', handle(async (reqid, hbuf: Buffer, offset: number, length: number) => {
    const h = handleOf(hbuf);
    if (h?.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Bad handle');
    const buf = Buffer.alloc(Math.min(length, 256 * 1024));
    const { bytesRead } = await h.fh.read(buf, 0, buf.length, offset);
    if (bytesRead === 0) return sftp.status(reqid, STATUS_CODE.EOF);
    sftp.data(reqid, buf.subarray(0, bytesRead));
  }));
  sftp.on('CLOSE', handle(async (reqid, hbuf: Buffer) => {
    const h = handleOf(hbuf);
    if (!h) return sftp.status(reqid, STATUS_CODE.FAILURE, 'Bad handle');
    handles.delete(hbuf.readUInt32BE());
    if (h.kind === 'file') await h.fh.close();
    ok(reqid);
  }));
  sftp.on('FSTAT', handle(async (reqid, hbuf: Buffer) => {
    const h = handleOf(hbuf);
    if (h?.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Bad handle');
    statReply(reqid, await h.fh.stat());
  }));
  sftp.on('FSETSTAT', handle(async (reqid, hbuf: Buffer, attrs: { mode?: number }) => {
    const h = handleOf(hbuf);
    if (h?.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Bad handle');
    if (attrs.mode !== undefined) await h.fh.chmod(attrs.mode & 0o777);
    ok(reqid);
  }));
  sftp.on('SETSTAT', handle(async (reqid) => ok(reqid))); // modes of paths are not ours to change
  sftp.on('STAT', handle(async (reqid, path: string) => statReply(reqid, await stat(await jail.local(path)))));
  sftp.on('LSTAT', handle(async (reqid, path: string) => statReply(reqid, await lstat(await jail.local(path)))));
  sftp.on('OPENDIR', handle(async (reqid, path: string) => {
    const local = await jail.local(path);
    if (!(await stat(local)).isDirectory()) return sftp.status(reqid, STATUS_CODE.FAILURE, 'Not a directory');
    sftp.handle(reqid, newHandle({ kind: 'dir', path: local, done: false }));
  }));
  sftp.on('READDIR', handle(async (reqid, hbuf: Buffer) => {
    const h = handleOf(hbuf);
    if (h?.kind !== 'dir') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Bad handle');
    if (h.done) return sftp.status(reqid, STATUS_CODE.EOF);
    h.done = true;
    const names = [];
    for await (const entry of await opendir(h.path)) {
      const st = await lstat(`${h.path}/${entry.name}`);
      names.push({ filename: entry.name, longname: `${st.isDirectory() ? 'd' : '-'}rw-r--r-- 1 0 0 ${st.size} ${entry.name}`, attrs: attrsOf(st) });
    }
    sftp.name(reqid, names);
  }));
  sftp.on('MKDIR', handle(async (reqid, path: string, attrs: { mode?: number }) => {
    if (injected(reqid, path, 'mkdir')) return;
    await mkdir(await jail.local(path), { mode: attrs.mode ?? 0o755 });
    ok(reqid);
  }));
  sftp.on('RMDIR', handle(async (reqid, path: string) => {
    if (injected(reqid, path, 'remove')) return;
    await rmdir(await jail.local(path));
    ok(reqid);
  }));
  sftp.on('REMOVE', handle(async (reqid, path: string) => {
    if (injected(reqid, path, 'remove')) return;
    await unlink(await jail.local(path));
    ok(reqid);
  }));
  sftp.on('RENAME', handle(async (reqid, from: string, to: string) => {
    if (injected(reqid, to, 'rename')) return;
    const [src, dst] = [await jail.local(from), await jail.local(to)];
    // Like OpenSSH: link + unlink, so an existing target is never replaced.
    await link(src, dst);
    await unlink(src);
    ok(reqid);
  }));
  sftp.on('REALPATH', handle(async (reqid, path: string) => {
    await jail.local(path);
    sftp.name(reqid, [{ filename: jail.virtual(path), longname: jail.virtual(path), attrs: {} as Attributes }]); // no attributes: ssh2 sends only the fields present
  }));
  sftp.on('EXTENDED', handle(async (reqid, name: string, data: Buffer | undefined) => {
    if (name !== 'posix-rename@openssh.com' || !data) return sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED);
    const fromLen = data.readUInt32BE(0);
    const from = data.subarray(4, 4 + fromLen).toString('utf8');
    const to = data.subarray(8 + fromLen, 8 + fromLen + data.readUInt32BE(4 + fromLen)).toString('utf8');
    if (injected(reqid, to, 'rename')) return;
    await rename(await jail.local(from), await jail.local(to));
    ok(reqid);
  }));
  sftp.on('close', closeAll);
  return closeAll;
}

export async function startSftpDrop(options: SftpDropOptions): Promise<SftpDrop> {
  const log = options.log ?? rootLog.child({ component: 'sftp-drop' });
  mkdirSync(options.root, { recursive: true });
  const jail = await Jail.open(options.root);
  const hostKey = loadOrCreateHostKey(options.hostKeyPath);
  const users = new Map(options.users.map((user) => [user.username, { user, keys: parsePublicKeys(user) }]));
  let faults = options.faults ?? {};
  const connections = new Set<Connection>();
  const counts = { logins: 0, peak: 0 };

  const server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => {
    connections.add(client);
    counts.peak = Math.max(counts.peak, connections.size);
    const state = { get faults() { return faults; }, written: 0, cut: () => client.end() };
    const sessions: Array<() => void> = [];
    client.on('authentication', (ctx) => authenticate(ctx, users));
    client.on('ready', () => {
      counts.logins++;
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          if (options.posixRename ?? true) advertiseExtensions(sftp, ['posix-rename@openssh.com']);
          sessions.push(serveSftp(sftp, jail, state, log));
        });
      });
    });
    client.on('error', (error) => log.debug('SFTP drop client error', { error: error.message }));
    client.on('close', () => {
      connections.delete(client);
      for (const closeAll of sessions) closeAll();
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const base64 = hostKey.publicBlob.toString('base64');
  log.info('SFTP drop listening', { host, port, root: options.root, hostKey: hostKey.sha256 });
  return {
    port,
    hostKeySha256: hostKey.sha256,
    knownHostsLine: `${port === 22 ? host : `[${host}]:${port}`} ${hostKey.keyType} ${base64}`,
    setFaults: (next) => (faults = next),
    connections: () => ({ ...counts, open: connections.size }),
    endConnections: () => {
      for (const c of connections) c.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.end();
        server.close(() => resolve());
      }),
  };
}
