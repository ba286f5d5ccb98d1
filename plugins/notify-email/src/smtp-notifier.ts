// Sends each message as an email through nodemailer's SMTP transport: STARTTLS (required, not
// opportunistic) or implicit TLS, a login when a user is set, retries for what another attempt
// can fix (a connection problem, a 4xx answer) and none for what it cannot (a rejected login,
// a 5xx answer).
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ConfigError, lazyPackage, readSecretFile } from '@hyperexport/core';
import {
  Redactor,
  checkTemplate,
  maxSendMs,
  parseSecretRef,
  resolveSecret,
  retryPolicy,
  retryWithBackoff,
  selectEvents,
  describeSecretRef,
} from '@hyperexport/notify-kit';
import type { AttemptOutcome, Notifier, OpenContext } from '@hyperexport/notify-kit';
import { emailContent } from './email-content.ts';
import { SMTP_PASSWORD_ENV } from './email-settings.ts';
import type { EmailSettings } from './email-settings.ts';

const DEFAULT_PORTS = { tls: 465, starttls: 587, none: 25 } as const;

// Loaded when a mail is sent, not on every start of the CLI, which loads this plugin.
const loadNodemailer = lazyPackage({ name: 'nodemailer', plugin: '@hyperexport/notify-email', neededFor: 'to send email', load: () => import('nodemailer') });

// Errors another attempt will not fix: wrong login, refused addresses, bad TLS setup.
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'ECONFIG', 'ETLS', 'EREQUIRETLS']);

export async function openEmail(settings: EmailSettings, context: OpenContext): Promise<Notifier> {
  if (!settings.host) throw new ConfigError('no SMTP server', { hint: 'set host (config) or write mailto://smtp.host/?to=…' });
  if (!settings.to || settings.to.length === 0)
    throw new ConfigError('no recipients', { hint: "set to: ['ops@example.com'] (config) or add ?to=… to the mailto:// URL" });
  if (settings.subjectTemplate !== undefined) checkTemplate(settings.subjectTemplate, 'the email subject template');
  const redactor = new Redactor();
  const secure = settings.secure ?? 'starttls';
  const port = settings.port ?? DEFAULT_PORTS[secure];
  let password: string | undefined;
  let passwordFrom = '';
  if (settings.user !== undefined) {
    ({ password, passwordFrom } = await smtpPassword(settings, context.env));
    redactor.add(password);
  }
  let ca: string | undefined;
  if (settings.caFile !== undefined) {
    try {
      ca = await readFile(settings.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read the CA file ${settings.caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        hint: 'give a PEM file',
      });
    }
  }
  const from = settings.from ?? (settings.user?.includes('@') ? settings.user : `hyperexport@${hostname()}`);
  const policy = retryPolicy(settings);
  const transportOptions = {
    host: settings.host,
    port,
    secure: secure === 'tls',
    requireTLS: secure === 'starttls',
    ignoreTLS: secure === 'none',
    ...(settings.user !== undefined ? { auth: { user: settings.user, pass: password } } : {}),
    tls: { ...(ca !== undefined ? { ca } : {}), minVersion: 'TLSv1.2' as const },
    connectionTimeout: policy.timeoutMs,
    greetingTimeout: policy.timeoutMs,
    socketTimeout: policy.timeoutMs,
    // Messages carry no attachments: nothing may make nodemailer read files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  };

  return {
    label: `email (${settings.user ? `${settings.user}@` : ''}${settings.host}:${port}${passwordFrom ? `, password from ${passwordFrom}` : ''})`,
    events: selectEvents(settings.events),
    progress: settings.progress,
    maxSendMs: maxSendMs(policy),
    redactor,
    async send(message, signal) {
      const { default: nodemailer } = await loadNodemailer();
      const content = emailContent(message, settings.subjectTemplate);
      await retryWithBackoff(
        async (_attempt, attemptSignal): Promise<AttemptOutcome> => {
          const transport = nodemailer.createTransport(transportOptions);
          const aborted = new Promise<never>((_resolve, reject) => {
            const fail = () => reject(attemptSignal.reason instanceof Error ? attemptSignal.reason : new Error('aborted'));
            if (attemptSignal.aborted) fail();
            else attemptSignal.addEventListener('abort', fail, { once: true });
          });
          aborted.catch(() => undefined);
          try {
            await Promise.race([
              transport.sendMail({
                from,
                to: [...settings.to!],
                cc: settings.cc ? [...settings.cc] : undefined,
                subject: content.subject,
                text: content.text,
                html: content.html,
              }),
              aborted,
            ]);
            return { ok: true };
          } catch (error) {
            if (attemptSignal.aborted) throw error;
            return classifySmtpError(error);
          } finally {
            transport.close();
          }
        },
        policy,
        { signal },
      );
    },
  };
}

/** Whether an SMTP failure is worth another attempt (exported for the unit tests). */
export function classifySmtpError(error: unknown): AttemptOutcome {
  const { code, responseCode, message } = error as { code?: string; responseCode?: number; message?: string };
  const reason = `SMTP ${code ?? 'error'}: ${message ?? String(error)}`;
  if (typeof responseCode === 'number') return { ok: false, retryable: responseCode >= 400 && responseCode < 500, reason };
  return { ok: false, retryable: !(code !== undefined && PERMANENT_CODES.has(code)), reason };
}

async function smtpPassword(settings: EmailSettings, env: NodeJS.ProcessEnv): Promise<{ password: string; passwordFrom: string }> {
  if (settings.password !== undefined) {
    const ref = parseSecretRef(settings.password);
    return { password: await resolveSecret(ref, 'SMTP password', env), passwordFrom: ref.kind === 'literal' ? 'the config' : describeSecretRef(ref) };
  }
  if (settings.passwordFile !== undefined)
    return { password: await readSecretFile(settings.passwordFile, 'SMTP password file'), passwordFrom: `file:${settings.passwordFile}` };
  const fromEnv = env[SMTP_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, passwordFrom: `env:${SMTP_PASSWORD_ENV}` };
  throw new ConfigError(`no password for the SMTP user ${settings.user}`, {
    hint: `set ${SMTP_PASSWORD_ENV}, or give passwordFile, or password: 'env:NAME' (config) / password=env:NAME (mailto:// URL)`,
  });
}
