// The email for one message: a subject, a plain-text part and an HTML part that say the same
// thing. Every value in the HTML is escaped: a VM name or an error text is data, never markup.
import { STATUS_ICON, clip, fillTemplate, messageFacts, messageSummary, messageText, messageTitle } from '@hyperexport/notify-kit';
import type { NotifyMessage } from '@hyperexport/notify-kit';

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const COLORS: Record<NotifyMessage['status'], string> = {
  started: '#1d6fa5',
  running: '#1d6fa5',
  succeeded: '#1e7e34',
  failed: '#b02a37',
  cancelled: '#9a6700',
};

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** `[HyperExport] Export of web01 FAILED: no space left on device`, or the user's template. */
export function emailSubject(message: NotifyMessage, template?: string): string {
  const subject =
    template !== undefined ? fillTemplate(template, message) : `[HyperExport] ${messageTitle(message)}${message.error ? `: ${message.error.message}` : ''}`;
  // A header is one line; a value with a newline must not start a new header.
  return clip(subject.replace(/[\r\n]+/g, ' ').trim(), 200);
}

export function emailContent(message: NotifyMessage, subjectTemplate?: string): EmailContent {
  const rows = messageFacts(message)
    .map(
      (fact) =>
        `<tr><th style="text-align:left;vertical-align:top;padding:4px 12px 4px 0;white-space:nowrap">${escapeHtml(fact.label)}</th>` +
        `<td style="padding:4px 0;${fact.label === 'Error' ? `color:${COLORS.failed};` : ''}">${escapeHtml(fact.value).replace(/\n/g, '<br>')}</td></tr>`,
    )
    .join('\n');
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(messageTitle(message))}</title></head>
<body style="font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328">
<h2 style="color:${COLORS[message.status]};margin:0 0 8px">${STATUS_ICON[message.status]} ${escapeHtml(messageTitle(message))}</h2>
<p style="margin:0 0 12px">${escapeHtml(messageSummary(message))}</p>
<table style="border-collapse:collapse">
${rows}
</table>
<p style="color:#656d76;font-size:12px;margin-top:16px">Sent by HyperExport on ${escapeHtml(message.host)}.</p>
</body></html>
`;
  return { subject: emailSubject(message, subjectTemplate), text: messageText(message), html };
}
