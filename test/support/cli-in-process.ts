// Runs `hyperexport ARGS` inside the test process (the CLI's main() with the built-in plugins),
// for tests of what the command line prints and returns that start no export: help, usage
// errors, completion scripts. Far quicker than a child process per case.
import { Writable } from 'node:stream';
import { DEFAULT_PLUGINS } from '@hyperexport/cli';
import { main } from '@hyperexport/core/cli';

export interface InProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function collector(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

export async function runInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<InProcessRun> {
  const stdout = collector();
  const stderr = collector();
  const code = await main([...args], {
    defaultPlugins: DEFAULT_PLUGINS,
    version: '0.0.0-test',
    context: { stdout, stderr, env: { PATH: process.env.PATH, ...env }, colorDepth: 1 },
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
