// OpenSSH known_hosts, as ssh(1) reads it: plain host patterns (with `*`, `?` and `!`
// negation), `[host]:port` entries for ports other than 22, hashed entries
// (`|1|base64(salt)|base64(HMAC-SHA1(salt, host))`), and the `@revoked` marker
// (`@cert-authority` lines are skipped: certificates are not supported).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostKey {
  /** `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ... */
  readonly type: string;
  /** The public key blob (SSH wire format). */
  readonly blob: Buffer;
  readonly revoked: boolean;
  /** 1-based line number, for messages. */
  readonly line: number;
}

/** `host` for port 22, `[host]:port` otherwise: how known_hosts names a server. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The keys known_hosts lists for host:port (revoked ones included, flagged). */
export function knownKeysFor(text: string, host: string, port: number): KnownHostKey[] {
  const name = hostEntryName(host, port);
  const keys: KnownHostKey[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@revoked') revoked = true;
      else return; // @cert-authority: host certificates are not supported
    }
    const [patterns, type, base64] = fields;
    if (!patterns || !type || !base64) return;
    if (!hostMatches(patterns, name)) return;
    const blob = Buffer.from(base64, 'base64');
    if (blob.length === 0) return;
    keys.push({ type, blob, revoked, line: index + 1 });
  });
  return keys;
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (globMatches(body, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function globMatches(pattern: string, name: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(name);
}

/** The key type named inside a public key blob (its first SSH string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('ascii');
}

/** `SHA256:…` as `ssh-keygen -l` prints it (unpadded base64 of the blob's SHA-256). */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The host key algorithms that can present a key of this type, preferred order. */
export function algorithmsForKeyType(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}
