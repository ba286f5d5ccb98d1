// Requests over an SFTP channel that cannot hang. ssh2 drops a request sent on a channel that
// has closed (it is neither sent nor ever answered), so every request first checks the channel;
// requests already waiting when it closes are failed by ssh2 itself ("No response from server").
import type { SFTPWrapper } from 'ssh2';

export function channelOpen(sftp: SFTPWrapper): boolean {
  // When the connection dies, ssh2 marks the channel's incoming side closed and leaves the
  // outgoing side as it was; when we close it, the outgoing side moves on.
  const channel = sftp as unknown as { outgoing?: { state?: string }; incoming?: { state?: string } };
  return (channel.outgoing?.state ?? 'open') === 'open' && channel.incoming?.state !== 'closed';
}

export function connectionLost(): Error {
  return new Error('Not connected: the SSH connection was closed');
}

/** Calls an ssh2 SFTP method (callback style) as a promise; fails at once on a closed channel. */
export function request<T>(sftp: SFTPWrapper, run: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  if (!channelOpen(sftp)) return Promise.reject(connectionLost());
  return new Promise<T>((resolve, reject) => {
    try {
      run((error, value) => (error ? reject(error) : resolve(value as T)));
    } catch (error) {
      reject(error);
    }
  });
}
