// The settings of one email destination, from the config (plugin options) or a `--notify` URL:
//   mailto://backup@smtp.example.com:587/?to=ops@example.com,oncall@example.com&from=backup@example.com
//   mailto://smtp.example.com/?to=ops@example.com&secure=none          (a relay without login)
// A user name in the URL logs in; its password comes from HYPEREXPORT_SMTP_PASSWORD, or
// password=env:NAME, password=file:PATH, passwordFile=PATH. `user:password@` is refused.
import { ConfigError, t } from '@hyperexport/core';
import { NotifyParams, commonOptionShape, decodeUrlPart, isSecretReference, parseSecretRef } from '@hyperexport/notify-kit';
import type { CommonSettings } from '@hyperexport/notify-kit';

export const EMAIL_SCHEMES = ['mailto'] as const;
export const SMTP_PASSWORD_ENV = 'HYPEREXPORT_SMTP_PASSWORD';
export const SECURITY_MODES = ['starttls', 'tls', 'none'] as const;
export type SecurityMode = (typeof SECURITY_MODES)[number];

export interface EmailSettings extends CommonSettings {
  /** SMTP server. */
  readonly host?: string | undefined;
  /** Default: 465 for tls, 587 for starttls, 25 for none. */
  readonly port?: number | undefined;
  /** `starttls` (default: upgrade, and refuse a server that cannot), `tls` (implicit TLS), `none`. */
  readonly secure?: SecurityMode | undefined;
  readonly user?: string | undefined;
  /** `env:NAME`, `file:PATH`, `@PATH` or (config file only) the password itself. */
  readonly password?: string | undefined;
  /** A file whose first line is the password. */
  readonly passwordFile?: string | undefined;
  /** Sender; default: the user when it is an address, else hyperexport@<host name>. */
  readonly from?: string | undefined;
  readonly to?: readonly string[] | undefined;
  readonly cc?: readonly string[] | undefined;
  /** Subject with {{placeholders}}, e.g. `[backup] {{vm}} {{status}}`. */
  readonly subjectTemplate?: string | undefined;
  /** PEM file of a CA to trust (a relay with a private CA or a self-signed certificate). */
  readonly caFile?: string | undefined;
}

const port = t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 65535)]);

export const emailOptionsSchema = t.isObject({
  host: t.isOptional(t.isString()),
  port: t.isOptional(port),
  secure: t.isOptional(t.isEnum(SECURITY_MODES)),
  user: t.isOptional(t.isString()),
  password: t.isOptional(t.isString()),
  passwordFile: t.isOptional(t.isString()),
  from: t.isOptional(t.isString()),
  to: t.isOptional(t.isArray(t.isString())),
  cc: t.isOptional(t.isArray(t.isString())),
  subjectTemplate: t.isOptional(t.isString()),
  caFile: t.isOptional(t.isString()),
  ...commonOptionShape(),
});

export function parseMailtoUrl(text: string): EmailSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('the mailto:// URL is not valid', {
      hint: 'write mailto://[user@]smtp.host[:port]/?to=a@example.com,b@example.com&from=me@example.com',
    });
  }
  if (url.password) {
    throw new ConfigError('the SMTP password must not be written into a mailto:// URL on the command line (anyone on this machine can read it there)', {
      hint: `write mailto://user@host/?to=… and set ${SMTP_PASSWORD_ENV}, or add password=env:NAME or passwordFile=/path/to/file`,
    });
  }
  if (url.hostname === '') throw new ConfigError('mailto:// needs the SMTP server', { hint: 'write mailto://[user@]smtp.host[:port]/?to=…' });
  const options = new NotifyParams(url.searchParams, 'mailto://');
  const secure = options.string('secure');
  if (secure !== undefined && !(SECURITY_MODES as readonly string[]).includes(secure)) {
    throw new ConfigError(`mailto://: secure=${secure} is not one of ${SECURITY_MODES.join(', ')}`);
  }
  const password = options.string('password');
  if (password !== undefined && !isSecretReference(password)) {
    throw new ConfigError('the SMTP password must not be written into a mailto:// URL on the command line', {
      hint: `set ${SMTP_PASSWORD_ENV}, or give password=env:NAME or password=file:/path/to/file (or passwordFile=/path/to/file)`,
    });
  }
  if (password !== undefined) parseSecretRef(password);
  // Recipients may also come from the plugin's options (notifyEmail({ to: [...] })); openEmail checks.
  const to = options.list('to');
  const settings: EmailSettings = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? undefined : Number(url.port),
    secure: secure as SecurityMode | undefined,
    user: url.username === '' ? undefined : decodeUrlPart(url.username),
    password,
    passwordFile: options.string('passwordFile'),
    from: options.string('from'),
    to,
    cc: options.list('cc'),
    subjectTemplate: options.string('subject'),
    caFile: options.string('caFile'),
    ...options.common(),
  };
  options.finish(['to', 'cc', 'from', 'secure', 'password', 'passwordFile', 'subject', 'caFile']);
  return settings;
}
