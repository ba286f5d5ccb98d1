// The setting every notifier declares: `--notify URL` (repeatable), a profile's `notify`. Each
// notifier handles the URLs of its schemes; a URL no loaded notifier handles is a usage error.
import { defineSettings, setting } from '@hyperexport/core';

export const NOTIFY_SETTINGS = defineSettings({
  notify: setting.list({
    description:
      'Send a notification: slack://, discord://, teams+https://, pagerduty://, mailto://, webhook+https:// (repeat; secrets from env:NAME or @FILE)',
    placeholder: 'URL',
    profile: true,
  }),
});
