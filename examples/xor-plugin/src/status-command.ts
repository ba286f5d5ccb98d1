// `hyperexport xor status`: which key an export would use, without showing the key.
import { BaseCommand, Command, ExitCode, Option } from '@hyperexport/core';
import { keyCheckValue, readXorKey } from './xor-key.ts';
import { KEY_FILE_ENV, STAGE_NAME, SUFFIX } from './xor-stage.ts';

export class XorStatusCommand extends BaseCommand {
  static override paths = [['xor', 'status']];

  static override usage = Command.Usage({
    category: 'hyperexport-xor',
    description: 'show the XOR key an export would use',
    details: `Reads the key file (--xor-key-file, else ${KEY_FILE_ENV}) and prints its length and check value, never the key.`,
    examples: [['Check a key file', '$0 xor status --xor-key-file ./xor.key']],
  });

  xorKeyFile = Option.String('--xor-key-file', { description: 'The key file to check' });

  async run(): Promise<number> {
    const file = this.xorKeyFile ?? process.env[KEY_FILE_ENV];
    const stage = `stage "${STAGE_NAME}" (suffix ${SUFFIX})`;
    if (file === undefined || file === '') {
      this.context.stdout.write(`hyperexport-xor: ${stage}; no key file given (--xor-key-file FILE or ${KEY_FILE_ENV})\n`);
      return ExitCode.OK;
    }
    const key = await readXorKey(file);
    if (this.json) {
      this.context.stdout.write(
        `${JSON.stringify({ type: 'xor-status', stage: STAGE_NAME, keyFile: file, keyBytes: key.length, checkValue: keyCheckValue(key) })}\n`,
      );
    } else {
      this.context.stdout.write(`hyperexport-xor: ${stage}; key file ${file}: ${key.length} bytes, check value ${keyCheckValue(key)}\n`);
    }
    return ExitCode.OK;
  }
}
