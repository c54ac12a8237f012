import { describe } from 'vitest';
import { sinkContract } from './sftp-sink.contract.js';
import { embeddedServer } from './fixtures.js';

describe('SFTP sink against the embedded ssh2 server', () => sinkContract(() => embeddedServer()));
describe('SFTP sink against an embedded server without posix-rename', () => sinkContract(() => embeddedServer({ posixRename: false })));
describe('SFTP sink against the embedded ssh2 server, connections pooled', () => sinkContract(() => embeddedServer(), { pooled: true }));
