// `azure://account/container/prefix`: the storage account, the container and a folder-like prefix
// inside it. Credentials never go in the URL: a URL is printed, logged and typed on command lines,
// so a SAS token in its query string is refused with the way to pass it instead.
import { ConfigError } from '@hyperexport/core';

export interface AzureTarget {
  readonly account: string;
  readonly container: string;
  /** Blob-name prefix, empty or ending with `/`. */
  readonly prefix: string;
}

const ACCOUNT = /^[a-z0-9]{3,24}$/;
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;
const FORM = 'write it as azure://ACCOUNT/CONTAINER/PREFIX (the storage account name, not its host name)';

export function parseAzureUrl(url: URL): AzureTarget {
  const shown = `azure://${url.host}${url.pathname}`;
  if (url.protocol !== 'azure:') throw new ConfigError(`${shown} is not an azure:// URL`, { hint: FORM });
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError(`the Azure target ${shown} has a query string; a SAS token in a URL would end up in shell history, logs and results`, {
      hint: 'remove the ?… part and put the SAS token in AZURE_STORAGE_SAS_TOKEN (or a file named by the sasTokenFile option)',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`the Azure target azure://…@${url.host}${url.pathname} has credentials in it`, {
      hint: 'remove them; give an account key in AZURE_STORAGE_KEY, a SAS token in AZURE_STORAGE_SAS_TOKEN or a connection string in AZURE_STORAGE_CONNECTION_STRING',
    });
  }
  if (url.port !== '') throw new ConfigError(`the Azure target ${shown} has a port`, { hint: `${FORM}; for Azurite or another cloud set the endpoint option` });
  const account = url.hostname;
  if (!ACCOUNT.test(account)) {
    const [label = ''] = account.split('.');
    const hint =
      account.includes('.') && ACCOUNT.test(label)
        ? `write azure://${label}${url.pathname} (the account name only; for another cloud or an emulator set the endpoint option)`
        : FORM;
    throw new ConfigError(`"${account}" in ${shown} is not a storage account name (3 to 24 lower-case letters and digits)`, { hint });
  }
  const [container = '', ...rest] = url.pathname.replace(/^\/+/, '').split('/');
  if (!CONTAINER.test(container)) {
    throw new ConfigError(`"${container}" in ${shown} is not a container name (3 to 63 lower-case letters, digits and single hyphens)`, { hint: FORM });
  }
  const segments = rest.filter((segment) => segment !== '').map((segment) => decodeURIComponent(segment));
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new ConfigError(`the prefix of ${shown} has . or .. in it`, { hint: 'give the prefix as plain folder names' });
  }
  return { account, container, prefix: segments.length === 0 ? '' : `${segments.join('/')}/` };
}

/** The URL of a blob name (or of the target itself when `name` is its prefix), encoded by segment. */
export function formatAzureUrl(target: AzureTarget, name: string): string {
  const path = name
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return `azure://${target.account}/${target.container}/${path}`.replace(/\/+$/, '');
}
