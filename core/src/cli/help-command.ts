// `hyperexport help [COMMAND...]`: the list of commands, a command's help page, or a group's
// commands; the same texts as `-h`, for people (and scripts) who ask git-style.
import { Command, Option } from 'clipanion';
import { ExitCode } from '../errors.ts';

export class HelpTopicCommand extends Command {
  static override paths = [['help']];

  static override usage = Command.Usage({
    description: 'show the help of a command, the commands of a group, or the list of commands',
    details: 'Prints what `-h` after the same words prints. An unknown command is an error (exit code 2) that names the closest one.',
    examples: [
      ['The list of commands', '$0 help'],
      ['The options of the export command', '$0 help export'],
      ['The commands of the remote group', '$0 help remote'],
    ],
  });

  topic = Option.Rest({ name: 'COMMAND' });

  async execute(): Promise<number> {
    if (this.topic.length === 0) {
      this.context.stdout.write(this.cli.usage(null));
      return ExitCode.OK;
    }
    // Parsed here first so that an unknown command is reported on stderr with exit code 2, then
    // run as `WORDS --help` (clipanion's help page, or a group's listing).
    try {
      this.cli.process([...this.topic, '--help']);
    } catch (error) {
      this.context.stderr.write(this.cli.error(error as Error));
      return ExitCode.USAGE;
    }
    return this.cli.run([...this.topic, '--help']);
  }
}
