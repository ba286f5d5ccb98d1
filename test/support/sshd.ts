// Debian's OpenSSH sshd on 127.0.0.1 and a random free port, for the SFTP tests: a temporary
// host key and user key (ed25519, made with ssh-keygen), the user key in an AuthorizedKeysFile in
// the temporary directory, sftp served by internal-sftp, and a known_hosts file that holds the
// host key for [127.0.0.1]:PORT. sshd refuses to run without its privilege separation directory
// (/run/sshd) and only root may create it, so the tests need root (CI runs as root).
//
// With `passwordUser`, a system user with a random name and password is made (useradd, chpasswd;
// root again) and may log in with that password only (a `Match User` block: password logins stay
// off for everyone else). stop() deletes the user and its home; a test run that dies before
// stop() still deletes it when the process exits.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface SshdOptions {
  /** Port to listen on (default: a free one); a restarted server keeps its port. */
  port?: number;
  /** Also make a system user that logs in with a password (see passwordUser below). */
  passwordUser?: boolean;
}

/** A system user made for the tests, whose only way in is its password. */
export interface PasswordUser {
  readonly name: string;
  readonly password: string;
  readonly uid: number;
  /** Its home directory (owned by it): where it may upload. */
  readonly home: string;
}

export interface RunningSshd {
  readonly port: number;
  /** The user the tests log in as (the one running them). */
  readonly user: string;
  readonly privateKeyPath: string;
  /** Another user key, not authorized: for the wrong-key test. */
  readonly otherPrivateKeyPath: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  readonly hostKeyFingerprint: string;
  /** A known_hosts file whose one line is `[127.0.0.1]:PORT ssh-ed25519 …`. */
  readonly knownHostsPath: string;
  /** The host key line's key part (`ssh-ed25519 AAAA…`). */
  readonly hostPublicKey: string;
  /** A directory the user may write to: the tests' upload root. */
  readonly root: string;
  /** The temporary directory holding keys, config and uploads. */
  readonly directory: string;
  /** The password-only user, when `passwordUser` was asked for. */
  readonly passwordUser: PasswordUser | undefined;
  /** Stops sshd and its sessions gracefully and removes the temporary directory. */
  stop(): Promise<void>;
  /** sshd dies at once (SIGKILL), its per-connection processes too; the files stay. */
  kill(): Promise<void>;
  /** Starts sshd again with the same keys, on the same port. */
  restart(): Promise<void>;
}

export async function startSshd(options: SshdOptions = {}): Promise<RunningSshd> {
  if (process.getuid?.() !== 0) {
    throw new Error('the SFTP tests start OpenSSH sshd, which needs root (to create /run/sshd and to switch users); run them as root, as CI does');
  }
  // The privilege separation directory sshd insists on.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const directory = await mkdtemp(join(tmpdir(), 'hyperexport-sshd-'));
  const hostKey = join(directory, 'ssh_host_ed25519_key');
  const userKey = join(directory, 'id_ed25519');
  const otherKey = join(directory, 'id_ed25519_other');
  await Promise.all([
    exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hyperexport-test-host', '-f', hostKey]),
    exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hyperexport-test-user', '-f', userKey]),
    exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hyperexport-test-other', '-f', otherKey]),
  ]);
  await writeFile(join(directory, 'authorized_keys'), await readFile(`${userKey}.pub`), { mode: 0o600 });
  const root = join(directory, 'uploads');
  await mkdir(root);
  const { stdout } = await exec('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]);
  const hostKeyFingerprint = /(SHA256:[A-Za-z0-9+/]+)/.exec(stdout)?.[1];
  if (!hostKeyFingerprint) throw new Error(`cannot read the host key fingerprint from: ${stdout}`);
  const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');

  const passwordUser = options.passwordUser ? await createPasswordUser() : undefined;
  const port = options.port ?? (await freePort());
  const config = join(directory, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(directory, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(directory, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      // Match blocks go last: everything after one belongs to it.
      ...(passwordUser ? [`Match User ${passwordUser.name}`, '  PasswordAuthentication yes'] : []),
      '',
    ].join('\n'),
  );
  const knownHostsPath = join(directory, 'known_hosts');
  await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);

  let child: ChildProcess | undefined;
  let log = '';
  const launch = async (): Promise<void> => {
    log = '';
    const started = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr!.setEncoding('utf8').on('data', (text: string) => (log += text));
    child = started;
    const exited = new Promise<never>((_, reject) =>
      started.once('exit', (code, signal) => reject(new Error(`sshd exited (${code ?? signal}) before listening:\n${log}`))),
    );
    await Promise.race([waitForPort(port), exited]);
    exited.catch(() => undefined);
  };
  await launch();

  const killTree = async (signal: NodeJS.Signals): Promise<void> => {
    const main = child;
    child = undefined;
    if (!main?.pid || main.exitCode !== null) return;
    // Each connection is served by a child sshd in its own session: kill those too.
    const pids = [...(await descendants(main.pid)), main.pid];
    const exited = new Promise<void>((resolve) => main.once('exit', () => resolve()));
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    await exited;
  };

  return {
    port,
    user: userInfo().username,
    privateKeyPath: userKey,
    otherPrivateKeyPath: otherKey,
    hostKeyFingerprint,
    knownHostsPath,
    hostPublicKey,
    root,
    directory,
    passwordUser,
    async stop() {
      await killTree('SIGTERM');
      await passwordUser?.remove();
      await rm(directory, { recursive: true, force: true });
    },
    async kill() {
      await killTree('SIGKILL');
    },
    async restart() {
      if (child) throw new Error('sshd is running');
      await launch();
    },
  };
}

/**
 * useradd + chpasswd: a user with a random name and password, a home of its own (in a folder
 * others may enter, so sshd can chdir there as the user) and no shell (internal-sftp needs none).
 */
async function createPasswordUser(): Promise<PasswordUser & { remove(): Promise<void> }> {
  const name = `hxpw${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const parent = await mkdtemp(join(tmpdir(), 'hyperexport-sshd-home-'));
  await chmod(parent, 0o755);
  const home = join(parent, name);
  let removed = false;
  const removeNow = (): void => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', removeNow);
    try {
      execFileSync('userdel', ['--remove', name], { stdio: 'ignore' });
    } catch {
      // Already gone, or never fully made.
    }
    execFileSync('rm', ['-rf', parent]);
  };
  // A run that dies before stop() must not leave a user that logs in with a password.
  process.once('exit', removeNow);
  try {
    await exec('useradd', ['--home-dir', home, '--create-home', '--shell', '/usr/sbin/nologin', '--user-group', name]);
    const chpasswd = spawn('chpasswd', [], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    chpasswd.stderr!.setEncoding('utf8').on('data', (text: string) => (errors += text));
    // On stdin, never in argv: the password is not visible in `ps`.
    chpasswd.stdin!.end(`${name}:${password}\n`);
    const code = await new Promise<number | null>((resolve, reject) => {
      chpasswd.once('error', reject);
      chpasswd.once('close', resolve);
    });
    if (code !== 0) throw new Error(`chpasswd exited ${code}: ${errors}`);
    const uid = Number((await exec('id', ['-u', name])).stdout.trim());
    return { name, password, uid, home, remove: () => Promise.resolve(removeNow()) };
  } catch (error) {
    removeNow();
    throw error;
  }
}

/** Every process below `pid` (from /proc), children first. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const visit = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      visit(child);
      out.push(child);
    }
  };
  visit(pid);
  return out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}`);
}
