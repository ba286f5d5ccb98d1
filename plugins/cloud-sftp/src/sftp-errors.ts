// SFTP and SSH failures as errors that name the target and say what to do.
import { ExportError, HyperExportError, isAbortError } from '@hyperexport/core';

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
export const SFTP_STATUS = { NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4 } as const;

export function sftpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isNoSuchFile(error: unknown): boolean {
  return sftpStatusOf(error) === SFTP_STATUS.NO_SUCH_FILE;
}

const LOST =
  /No response from server|Channel (?:closed|not open)|Not connected|ECONNRESET|EPIPE|connection.*(?:lost|closed|reset)|socket hang up|read ECONNRESET|ended by other party|Connection lost before handshake/i;

/** An ExportError for a failed SFTP operation. `what` names it: "uploading vm1/disk.vmdk to sftp://…". */
export function sftpError(error: unknown, what: string, host: string): Error {
  if (error instanceof HyperExportError || isAbortError(error)) return error as Error;
  const message = error instanceof Error ? error.message : String(error);
  const status = sftpStatusOf(error);
  if (status === SFTP_STATUS.PERMISSION_DENIED) {
    return new ExportError(`${what}: permission denied (${message})`, {
      code: 'PERMISSION',
      hint: "the SSH user may not write there: check the directory's owner and mode on the server, or the path in the URL",
      cause: error,
    });
  }
  if (status === SFTP_STATUS.NO_SUCH_FILE) {
    return new ExportError(`${what}: no such file or directory (${message})`, { code: 'NOT_FOUND', hint: 'check the path in the URL', cause: error });
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (LOST.test(message) || code === 'ECONNRESET' || code === 'EPIPE') {
    return new ExportError(`${what}: the connection to ${host} was lost (${message})`, {
      code: 'UNREACHABLE',
      hint: 'check that the SSH server is up and the network, then run again; a partial upload is never left under the final name',
      cause: error,
    });
  }
  return new ExportError(`${what}: ${message}`, { code: 'EXPORT', hint: "see the cause; check the server's disk space and logs", cause: error });
}
