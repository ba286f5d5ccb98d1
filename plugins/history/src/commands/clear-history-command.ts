// `hyperexport history clear`: empties the history, after a confirmation.
import { createInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import { Command, ConfigError, ExitCode, Option } from '@hyperexport/core';
import { HistoryStore } from '../history-store.ts';
import { HistoryFileCommand } from './history-file-command.ts';

export class ClearHistoryCommand extends HistoryFileCommand {
  static override paths = [['history', 'clear']];

  static override usage = Command.Usage({
    description: 'delete every entry of the export history',
    details: `
      Empties the history file (the exports themselves are not touched). On a terminal it asks for
      confirmation first; scripts pass \`--yes\`. Without a terminal and without \`--yes\` it refuses
      and exits with code 2.
    `,
    examples: [
      ['Clear it, with a confirmation prompt', '$0 history clear'],
      ['Clear it from a script', '$0 history clear --yes'],
    ],
  });

  yes = Option.Boolean('--yes,-y', false, { description: 'Do not ask for confirmation' });

  async run(): Promise<number> {
    const path = await this.historyPath('history');
    const read = await this.readWithWarnings(path);
    const count = read.entries.length + read.newer;
    if (!read.exists || (count === 0 && read.corrupt === 0)) {
      this.report({ path, removed: 0 }, `the history is already empty (${path})`);
      return ExitCode.OK;
    }
    if (!this.yes) {
      const stdin = this.context.stdin as Readable & { isTTY?: boolean };
      if (!stdin.isTTY) {
        throw new ConfigError(`refusing to clear ${path} without confirmation: stdin is not a terminal`, { hint: 'pass --yes to clear it from a script' });
      }
      if (!(await this.confirm(`Delete all ${count} entr${count === 1 ? 'y' : 'ies'} of ${path}? [y/N] `))) {
        this.report({ path, removed: 0 }, 'nothing deleted');
        return ExitCode.OK;
      }
    }
    const removed = await new HistoryStore(path).clear();
    this.report({ path, removed }, `deleted ${removed} entr${removed === 1 ? 'y' : 'ies'} from ${path}`);
    return ExitCode.OK;
  }

  /** The outcome: a sentence, or with --json the one result object its description promises. */
  private report(result: { path: string; removed: number }, sentence: string): void {
    this.context.stdout.write(this.json ? `${JSON.stringify({ type: 'history-cleared', ...result })}\n` : `${sentence}\n`);
  }

  private async confirm(question: string): Promise<boolean> {
    const prompt = createInterface({ input: this.context.stdin, output: this.context.stderr });
    try {
      const answer = await prompt.question(question);
      return /^\s*y(es)?\s*$/i.test(answer);
    } finally {
      prompt.close();
    }
  }
}
