// Where a setting's value came from, so a message about a bad or unused value can say which
// flag, profile, config or variable to fix.
export type SettingChannel = 'flag' | 'profile' | 'config' | 'plugin option' | 'environment' | 'default' | 'job';

export interface SettingOrigin {
  readonly channel: SettingChannel;
  /** The flag, the profile and its file, the config file, the plugin, the variable. */
  readonly where: string;
}

export function describeOrigin(origin: SettingOrigin): string {
  switch (origin.channel) {
    case 'flag':
      return `${origin.where} on the command line`;
    case 'profile':
      return `--profile ${origin.where}`;
    case 'config':
      return `the export section of ${origin.where}`;
    case 'plugin option':
      return `the options of plugin ${origin.where}`;
    case 'environment':
      return `the environment variable ${origin.where}`;
    case 'default':
      return `the default of ${origin.where}`;
    case 'job':
      return `the job's settings (${origin.where})`;
  }
}
