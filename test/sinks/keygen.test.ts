import { describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../sandboxes/sftp-drop/keygen.js';

describe('ed25519 key generation', () => {
  it('never returns a pair ssh2 cannot parse back (ssh2 alone fails about 1 in 256)', () => {
    for (let i = 0; i < 2000; i++) {
      const pair = generateEd25519();
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
    }
  });
});
