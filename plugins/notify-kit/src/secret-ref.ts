// Where a secret comes from. Webhook URLs, routing keys, signing secrets and SMTP passwords are
// written as references — `env:NAME` (an environment variable) or `file:PATH` / `@PATH` (the first
// line of a file) — so they never have to be literal in a config file or on the command line,
// where every user of the machine can read them (`ps`, shell history).
import { ConfigError, readSecretFile } from '@hyperexport/core';

export type SecretRef =
  { readonly kind: 'env'; readonly name: string } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'literal'; readonly value: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `text` is written as a reference (env:, file:, @) rather than as the secret itself. */
export function isSecretReference(text: string): boolean {
  return text.startsWith('env:') || text.startsWith('file:') || text.startsWith('@');
}

/** Reads `env:NAME`, `file:PATH` and `@PATH`; anything else is a literal value. */
export function parseSecretRef(text: string): SecretRef {
  if (text.startsWith('env:')) {
    const name = text.slice(4);
    if (!ENV_NAME.test(name)) {
      throw new ConfigError(`"${text}" does not name an environment variable`, {
        hint: 'write env:NAME with NAME made of letters, digits and _, e.g. env:SLACK_WEBHOOK_URL',
      });
    }
    return { kind: 'env', name };
  }
  if (text.startsWith('file:') || text.startsWith('@')) {
    const path = text.startsWith('@') ? text.slice(1) : text.slice(5);
    if (path === '') throw new ConfigError(`"${text}" names no file`, { hint: 'write file:/path/to/secret or @/path/to/secret' });
    return { kind: 'file', path };
  }
  return { kind: 'literal', value: text };
}

/** How a reference may be shown in messages: the variable or the file, never the value. */
export function describeSecretRef(ref: SecretRef): string {
  switch (ref.kind) {
    case 'env':
      return `env:${ref.name}`;
    case 'file':
      return `file:${ref.path}`;
    case 'literal':
      return '(literal value)';
  }
}

/**
 * The secret's value. `what` names it in errors ("Slack webhook URL"). A missing or empty
 * variable or file is a ConfigError that says how to provide it.
 */
export async function resolveSecret(ref: SecretRef, what: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  switch (ref.kind) {
    case 'env': {
      const value = env[ref.name];
      if (value === undefined || value.trim() === '') {
        throw new ConfigError(`the environment variable ${ref.name} (the ${what}) is not set`, {
          hint: `export ${ref.name}=… before running, or read it from a file with file:/path/to/file`,
        });
      }
      return value.trim();
    }
    case 'file':
      return (await readSecretFile(ref.path, `file with the ${what}`)).trim();
    case 'literal':
      if (ref.value === '') throw new ConfigError(`the ${what} is empty`);
      return ref.value;
  }
}
