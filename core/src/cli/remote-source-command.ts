// Flags for connecting to a remote source (vCenter/ESXi), shared by every command that does.
// The password is deliberately not among them: it comes from the environment, a file or a prompt.
import { Option } from 'clipanion';
import { BaseCommand } from './base-command.ts';
import { withPlaceholder } from './placeholders.ts';

export abstract class RemoteSourceCommand extends BaseCommand {
  // `-u` is the URL, as in govc (`govc ls -u user@host`); the user name has no short flag there either.
  url = withPlaceholder(
    'URL',
    Option.String('--url,-u', { description: 'vCenter/ESXi SDK URL, e.g. https://vc.example.com/sdk or user@host (default: GOVC_URL)' }),
  );
  username = withPlaceholder('USER', Option.String('--username', { description: 'User name (default: the user in the URL, else GOVC_USERNAME)' }));
  passwordFile = withPlaceholder(
    'FILE',
    Option.String('--password-file', { description: 'File whose first line is the password (default: GOVC_PASSWORD_FILE, GOVC_PASSWORD, else a prompt)' }),
  );
  insecure = Option.Boolean('--insecure,-k', { description: 'Skip TLS certificate verification (default: GOVC_INSECURE)' });
  thumbprint = withPlaceholder(
    'FINGERPRINT',
    Option.String('--thumbprint', { description: 'Accept only this certificate (SHA-1 or SHA-256 fingerprint; default: GOVC_TLS_THUMBPRINT)' }),
  );
  datacenter = withPlaceholder('NAME', Option.String('--datacenter', { description: 'Datacenter for relative inventory paths (default: GOVC_DATACENTER)' }));

  /** The flags given, for `spec.extra.connection`; absent ones are left out so lower layers apply. */
  protected connectionFlags(): Record<string, string | boolean> {
    const flags: Record<string, string | boolean | undefined> = {
      url: this.url,
      username: this.username,
      passwordFile: this.passwordFile,
      insecure: this.insecure,
      thumbprint: this.thumbprint,
      datacenter: this.datacenter,
    };
    return Object.fromEntries(Object.entries(flags).filter((entry): entry is [string, string | boolean] => entry[1] !== undefined));
  }
}
