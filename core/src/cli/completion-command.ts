// `hyperexport completion bash|zsh|fish`: prints the completion script of the shell, generated
// from the registered commands (with the config found from here, its plugins' commands too).
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ExitCode } from '../errors.ts';
import { completionModel } from './completion-model.ts';
import { SHELLS, completionScript } from './completion-scripts.ts';
import type { Shell } from './completion-scripts.ts';
import { IntrospectingCommand } from './hyperexport-cli.ts';
import { withPlaceholder } from './placeholders.ts';

export class CompletionCommand extends IntrospectingCommand {
  static override paths = [['completion']];

  static override usage = Command.Usage({
    description: 'print the shell completion script for bash, zsh or fish',
    details: `
      Completes commands, subcommands and options, paths for options that take a file or a
      folder, and the values of options with a fixed set (\`--format ova|ovf\`). The script is
      static: regenerate it after installing a plugin that adds commands.
    `,
    examples: [
      ['Load it into the current bash', 'source <($0 completion bash)'],
      ['Install it for every bash', '$0 completion bash > ~/.local/share/bash-completion/completions/hyperexport'],
      ['Install it for zsh (a folder of $fpath)', '$0 completion zsh > "${fpath[1]}/_hyperexport"'],
      ['Install it for fish', '$0 completion fish > ~/.config/fish/completions/hyperexport.fish'],
    ],
  });

  shell = withPlaceholder('bash|zsh|fish', Option.String({ name: 'bash|zsh|fish', validator: t.isEnum(SHELLS) }));

  async execute(): Promise<number> {
    const model = completionModel(this.owner.commands());
    this.context.stdout.write(completionScript(this.shell as Shell, model, this.owner.binaryName, this.owner.topLevelFlags()));
    return ExitCode.OK;
  }
}
