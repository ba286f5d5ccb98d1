// The check behind RestoreBindings: encrypt-aes's header says under which name and by which export
// a file was written, authenticated with the key. The `.mf` beside an export is not (anyone may
// rewrite it), so without this check someone with write access to the backups could swap two
// encrypted disks, or put a disk of an older export in place of the current one, and the restore
// would succeed with the wrong data.
import { ExportError } from '../errors.ts';
import type { FileBinding, RestoreBindings } from '../model.ts';

export interface ExportBindingsOptions {
  /** The export's job id when the restore started from its record. */
  readonly exportId?: string | undefined;
  /**
   * A file written under another name: an error for a restore (the manifest names every file),
   * a warning for `hyperexport decrypt` of one file, which someone may have renamed on purpose.
   */
  readonly onRenamed?: ((message: string) => void) | undefined;
}

export class ExportBindings implements RestoreBindings {
  readonly #onRenamed: ((message: string) => void) | undefined;
  /** The export the files belong to, and the file that said so first (or the record). */
  #exportId: string | undefined;
  #exportIdFrom: string;
  /** A file without a binding (older format), and a file with one: they may not be mixed. */
  #unbound: string | undefined;
  #bound: string | undefined;

  constructor(options: ExportBindingsOptions = {}) {
    this.#exportId = options.exportId;
    this.#exportIdFrom = 'the export record';
    this.#onRenamed = options.onRenamed;
  }

  check(storedName: string, binding: FileBinding | undefined): void {
    if (!binding) {
      this.#unbound ??= storedName;
      if (this.#bound) throw mixed(this.#unbound, this.#bound);
      return;
    }
    this.#bound ??= storedName;
    if (this.#unbound) throw mixed(this.#unbound, this.#bound);
    if (binding.storedName !== storedName) {
      const message = `${storedName} was written as ${binding.storedName}`;
      if (this.#onRenamed) {
        this.#onRenamed(`${message}; it may have been renamed`);
      } else {
        throw new ExportError(`${message}: the files of this export were swapped or renamed`, {
          code: 'RESTORE_BINDING',
          hint: `restore another copy of the export; if you renamed the file yourself, give it back its name ${binding.storedName}`,
        });
      }
    }
    if (this.#exportId === undefined) {
      this.#exportId = binding.exportId;
      this.#exportIdFrom = storedName;
    } else if (binding.exportId !== this.#exportId) {
      throw new ExportError(
        `${storedName} was written by another export (job ${binding.exportId}) than ${this.#exportIdFrom} (job ${this.#exportId}): files of two exports were mixed`,
        {
          code: 'RESTORE_BINDING',
          hint: 'restore the files of one export together, as that export wrote them; restore another copy if this one was altered',
        },
      );
    }
  }
}

function mixed(unbound: string, bound: string): ExportError {
  return new ExportError(`${unbound} carries no binding to its export while ${bound} does: files written by different versions of the tool were mixed`, {
    code: 'RESTORE_BINDING',
    hint: 'restore the files of one export together, as that export wrote them; restore another copy if this one was altered',
  });
}
