// ed25519 key pairs in OpenSSH format. ssh2's generator strips leading zero bytes from the public key, so about
// 1 key in 256 cannot be parsed back (mscdex/ssh2#1390, #1513): such a pair is drawn again.
import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key (PEM-like text). */
  private: string;
  /** authorized_keys line. */
  public: string;
}

export function generateEd25519(): SshKeyPair {
  for (let attempt = 0; attempt < 32; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
  throw new Error('could not generate a parseable ed25519 key pair');
}
