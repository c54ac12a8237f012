import { describe } from 'vitest';
import { sshdAvailable } from '../../sandboxes/openssh/sshd.js';
import { sinkContract } from './sftp-sink.contract.js';
import { opensshServer } from './fixtures.js';

describe.skipIf(!sshdAvailable)('SFTP sink against OpenSSH sshd', () => sinkContract(() => opensshServer()));
