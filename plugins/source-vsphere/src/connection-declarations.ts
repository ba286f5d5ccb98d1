// The connection settings of source-vsphere, declared once: the `export` flags, the flags of the
// plugin's own commands (vms, vm info) and the plugin's config options are the same six settings.
// No `env` is declared: the GOVC_* fallbacks and their precedence (a user in the URL, GOVC_URL
// holding a password) are resolved in connection-settings.ts, as govc does. The password is
// deliberately not among them: it comes from the environment, a file or a prompt.
import { defineSettings, setting } from '@hyperexport/core';

export const CONNECTION_SETTINGS = defineSettings({
  // `-u` is the URL, as in govc (`govc ls -u user@host`); the user name has no short flag there either.
  url: setting.string({
    description: 'vCenter/ESXi SDK URL, e.g. https://vc.example.com/sdk or user@host (default: GOVC_URL)',
    flagAliases: ['-u'],
    placeholder: 'URL',
  }),
  username: setting.string({ description: 'User name (default: the user in the URL, else GOVC_USERNAME)', placeholder: 'USER' }),
  passwordFile: setting.string({
    description: 'File whose first line is the password (default: GOVC_PASSWORD_FILE, GOVC_PASSWORD, else a prompt)',
    placeholder: 'FILE',
  }),
  insecure: setting.boolean({ description: 'Skip TLS certificate verification (default: GOVC_INSECURE)', flagAliases: ['-k'] }),
  thumbprint: setting.string({
    description: 'Accept only this certificate (SHA-1 or SHA-256 fingerprint; default: GOVC_TLS_THUMBPRINT)',
    placeholder: 'FINGERPRINT',
  }),
  datacenter: setting.string({ description: 'Datacenter for relative inventory paths (default: GOVC_DATACENTER)', placeholder: 'NAME' }),
});
