// File names that come from outside (OVF hrefs, OVA members, .vmx disk names) end up as names of
// files we write. A name that is a path (`../x`, `/etc/passwd`, `a\b`) or carries control
// characters would let an input write outside the export folder or garble a manifest line, so
// every such name must be a plain file name before it is used.

/** Longest file name most filesystems accept (ext4, XFS, NTFS count 255 bytes or units). */
const MAX_NAME_BYTES = 255;

/** Why a name is not a plain file name, or undefined when it is one. */
export function unsafeFileNameReason(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.includes('/')) return 'it contains "/" (a path, not a plain file name)';
  if (name.includes('\\')) return 'it contains "\\" (a path, not a plain file name)';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  // `.` and `..` name directories; names made only of dots are refused along with them.
  if (/^\.+$/.test(name)) return 'it is made only of dots (a directory reference)';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `it is ${bytes} bytes long (at most ${MAX_NAME_BYTES})`;
  return undefined;
}

/**
 * Throws unless `name` is a plain file name. `context` says where the name came from, e.g.
 * `OVA member in /backups/vm.ova`, so that the message points at the offending input.
 */
export function assertSafeFileName(name: string, context: string): void {
  const reason = unsafeFileNameReason(name);
  if (reason !== undefined) {
    throw new Error(`${context}: unsafe file name ${JSON.stringify(name)}: ${reason}; only plain file names are accepted`);
  }
}
