// The settings of one Teams destination, from the config (plugin options) or a `--notify` URL:
//   teams://env:TEAMS_WEBHOOK_URL                       (the variable holds the whole Workflows URL)
//   teams+https://HOST/PATH?api-version=…&sp=…&sv=1.0&sig=env:TEAMS_SIG
// The `sig` query value of a Workflows URL is its credential: in the `+https` form it must be a
// reference (env:NAME, file:PATH), never the value.
import { ConfigError, t } from '@hyperexport/core';
import { NotifyParams, commonOptionShape, endpointReference, literalEndpoint, notifySchemeOf, splitNotifyUrl } from '@hyperexport/notify-kit';
import type { CommonSettings } from '@hyperexport/notify-kit';
import type { CardVersion } from './teams-card.ts';

export const TEAMS_SCHEMES = ['teams', 'teams+https'] as const;

export interface TeamsSettings extends CommonSettings {
  /**
   * `env:NAME`, `file:PATH`, `@PATH`, or the Workflows URL, whose `sig` may be a reference
   * (`…&sig=env:TEAMS_SIG`).
   */
  readonly webhookUrl?: string | undefined;
  readonly cardVersion?: CardVersion | undefined;
}

export const teamsOptionsSchema = t.isObject({
  webhookUrl: t.isOptional(t.isString()),
  cardVersion: t.isOptional(t.isEnum(['1.4', '1.5'] as const)),
  ...commonOptionShape(),
});

export function parseTeamsUrl(url: string): TeamsSettings {
  const scheme = notifySchemeOf(url);
  const { target, params } = splitNotifyUrl(url);
  const options = new NotifyParams(params, `${scheme}://`);
  const cardVersion = options.string('cardVersion');
  if (cardVersion !== undefined && cardVersion !== '1.4' && cardVersion !== '1.5')
    throw new ConfigError(`${scheme}://: cardVersion=${cardVersion} is not 1.4 or 1.5`);
  const common = options.common();
  let webhookUrl: string;
  if (scheme === 'teams') {
    webhookUrl = endpointReference(target, 'Teams webhook URL', 'teams', 'TEAMS_WEBHOOK_URL');
    options.finish(['cardVersion']);
  } else {
    // Every parameter the notifier does not know belongs to the Workflows URL (api-version, sp, sv, sig).
    webhookUrl = literalEndpoint(`https://${target}`, options.rest(), 'Teams webhook URL', 'teams', 'TEAMS_WEBHOOK_URL');
  }
  return { webhookUrl, cardVersion, ...common };
}
