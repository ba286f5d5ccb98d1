// Refusing an output on a pseudo file system (/proc, /sys, /dev, cgroup, ...): nothing written
// there is a file, and Node's recursive mkdir under /proc loops at 100% CPU as root instead of
// failing. The file system of a path that may not exist yet is that of its nearest existing
// ancestor, read from /proc/self/mountinfo (type names, and the longest mount point that holds
// the path), or from statfs's magic number where mountinfo cannot be read.
import { readFile, realpath, stat, statfs } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';

/** Kernel file systems that hold no files of ours: an export there is lost or hangs. */
export const PSEUDO_FILE_SYSTEMS: ReadonlySet<string> = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'debugfs',
  'tracefs',
  'securityfs',
  'pstore',
  'bpf',
  'configfs',
  'efivarfs',
  'fusectl',
  'mqueue',
  'binfmt_misc',
  'nsfs',
  'autofs',
  'rpc_pipefs',
  'hugetlbfs',
]);

// statfs f_type of the same, for when mountinfo is not readable (linux/magic.h).
const PSEUDO_MAGIC: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0xde5e81e4, 'efivarfs'],
]);

export interface PseudoFileSystem {
  /** The file system's type, as mount(8) names it: "proc", "sysfs", ... */
  readonly type: string;
  /** Where it is mounted (undefined when only statfs could tell). */
  readonly mountPoint: string | undefined;
  /** The existing path that was asked (the path itself, or its nearest existing ancestor). */
  readonly existing: string;
}

/** The pseudo file system that `path` (or, when it does not exist yet, its nearest existing ancestor) is on; undefined for a real one. */
export async function pseudoFileSystemOf(path: string): Promise<PseudoFileSystem | undefined> {
  const existing = await nearestExistingPath(resolve(path));
  if (existing === undefined) return undefined;
  const real = await realpath(existing).catch(() => existing);
  const mounts = await readMounts();
  if (mounts) {
    const mount = mountHolding(real, mounts);
    return mount && PSEUDO_FILE_SYSTEMS.has(mount.type) ? { type: mount.type, mountPoint: mount.mountPoint, existing } : undefined;
  }
  const magic = await statfs(real).then(
    (stats) => Number(stats.type),
    () => undefined,
  );
  const type = magic === undefined ? undefined : PSEUDO_MAGIC.get(magic);
  return type === undefined ? undefined : { type, mountPoint: undefined, existing };
}

async function nearestExistingPath(target: string): Promise<string | undefined> {
  for (let current = target; ; current = dirname(current)) {
    try {
      await stat(current);
      return current;
    } catch {
      if (dirname(current) === current) return undefined;
    }
  }
}

interface Mount {
  readonly mountPoint: string;
  readonly type: string;
}

async function readMounts(): Promise<Mount[] | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    // id parent major:minor root MOUNT-POINT options [optional fields] - TYPE source super-options
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields[4] === undefined || fields[separator + 1] === undefined) continue;
    mounts.push({ mountPoint: unescapeMountField(fields[4]), type: fields[separator + 1]! });
  }
  return mounts;
}

/** mountinfo writes a space, tab, newline or backslash in a path as an octal escape (\040). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The mount that holds `path`: the longest mount point that is `path` or an ancestor (the last one mounted wins). */
function mountHolding(path: string, mounts: readonly Mount[]): Mount | undefined {
  let best: Mount | undefined;
  for (const mount of mounts) {
    const point = mount.mountPoint;
    const holds = point === '/' || path === point || path.startsWith(point.endsWith(sep) ? point : `${point}${sep}`);
    if (holds && (best === undefined || point.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}
