// notify-email: sends job events as emails (plain text and HTML) through an SMTP server.
// Config: notifyEmail({ host: 'smtp.example.com', user: 'backup', password: 'env:SMTP_PASSWORD', to: ['ops@example.com'] });
// CLI:    --notify 'mailto://backup@smtp.example.com:587/?to=ops@example.com'  (password from HYPEREXPORT_SMTP_PASSWORD)
import { defineNotifier } from '@hyperexport/notify-kit';
import { EMAIL_SCHEMES, emailOptionsSchema, parseMailtoUrl } from './email-settings.ts';
import { openEmail } from './smtp-notifier.ts';

const PLUGIN_NAME = 'notify-email';

export { emailContent, emailSubject, escapeHtml } from './email-content.ts';
export type { EmailContent } from './email-content.ts';
export { parseMailtoUrl, EMAIL_SCHEMES, SMTP_PASSWORD_ENV } from './email-settings.ts';
export type { EmailSettings, SecurityMode } from './email-settings.ts';
export { openEmail, classifySmtpError } from './smtp-notifier.ts';

export default defineNotifier({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'email notifications over SMTP (STARTTLS or TLS), plain text and HTML',
  provides: ['notify:email'],
  schemes: EMAIL_SCHEMES,
  options: emailOptionsSchema,
  destination: 'host',
  parseUrl: parseMailtoUrl,
  open: openEmail,
});
