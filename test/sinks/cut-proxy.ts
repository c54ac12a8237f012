// A loopback TCP proxy that can drop the connection after N bytes from the client: a cut mid-upload
// that works the same in front of any server.
import { createConnection, createServer, type Socket } from 'node:net';

export interface CutProxy {
  port: number;
  /** Drop every connection once it carried this many client bytes; undefined forwards everything. */
  cutAfterBytes: number | undefined;
  /** The connections open now carry nothing more, either way, and stay open (a NAT that forgot them); new ones work. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  const frozen = new WeakSet<Socket>();
  const proxy: CutProxy = { port: 0, cutAfterBytes: undefined, freeze: () => sockets.forEach((s) => frozen.add(s)), close: async () => undefined };
  const server = createServer((client) => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    let carried = 0;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      if (proxy.cutAfterBytes !== undefined && carried > proxy.cutAfterBytes) {
        client.destroy();
        upstream.destroy();
        return;
      }
      if (!frozen.has(client)) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!frozen.has(upstream)) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as { port: number }).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
