// A flag clipanion does not know may be a plugin's whose plugin is not loaded: say so, and when
// the config could not be loaded (so no plugin's flag exists), say why.
import { formatError } from './base-command.ts';
import type { CliSurface } from './cli-surface.ts';

/** Lines to print after clipanion's own message, or '' when the error is not an unknown flag. */
export function unknownFlagHint(error: unknown, surface: CliSurface): string {
  const match = /unsupported option name \("([^"]+)"\)/i.exec(error instanceof Error ? error.message : '');
  if (!match) return '';
  const flag = match[1]!;
  if (surface.configError !== undefined) {
    return `${formatError(surface.configError)}\nhint: the config could not be loaded, so only the core's flags exist; ${flag} may be a plugin's: fix the config\n`;
  }
  const where = surface.loaded?.filepath ?? 'no config file (the built-in plugins only)';
  return `hint: no command flag and no setting of a loaded plugin is ${flag} (config: ${where}); a plugin's flags exist only when it is configured: see \`hyperexport plugins list\`\n`;
}
