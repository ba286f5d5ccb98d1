// The plugin every notifier is: it reads `--notify` URLs (job.spec.extra.notify) of its schemes,
// its options are one destination when they name one (the `destination` option: a webhook URL,
// an SMTP host, a routing key) and otherwise defaults for each of its `--notify` URLs
// (`notifySlack({ username: 'backup-bot' })`), and setup attaches it with attachNotifier.
import { definePlugin } from '@hyperexport/core';
import type { OptionsSchema, PluginFactory } from '@hyperexport/core';
import { overlay } from './common-options.ts';
import { attachNotifier } from './dispatcher.ts';
import type { Notifier, OpenContext } from './dispatcher.ts';
import { NOTIFY_SETTINGS } from './notify-settings.ts';

/**
 * A notifier plugin. `S` is its destination settings type (what parseUrl gives and open takes),
 * inferred from parseUrl: give a function with a typed parameter (`parseSlackUrl`, or
 * `(url: string) => …`). `O`, what its options schema gives, must be one of them.
 */
export interface NotifierDefinition<S extends object, O extends S> {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Capabilities, e.g. `notify:slack`. */
  readonly provides: readonly string[];
  /** `--notify` URL schemes it handles (lower case). */
  readonly schemes: readonly string[];
  readonly options: OptionsSchema<O>;
  /** The option without which the options are defaults for `--notify` URLs, not a destination. */
  readonly destination: keyof NoInfer<S>;
  /** Parses one `--notify` URL; throws a ConfigError (without secrets) when it is wrong. */
  parseUrl(url: string): S;
  /** Reads the secrets and returns a ready Notifier; throws a ConfigError when one is missing. */
  open(settings: S, context: OpenContext): Promise<Notifier>;
}

/** Declares a notifier plugin: definePlugin and attachNotifier with what every notifier shares. */
export function defineNotifier<S extends object, O extends S>(definition: NotifierDefinition<S, O>): PluginFactory<O, typeof NOTIFY_SETTINGS> {
  const { name, schemes, destination } = definition;
  return definePlugin<O, typeof NOTIFY_SETTINGS>({
    name,
    version: definition.version,
    description: definition.description,
    provides: definition.provides,
    settings: NOTIFY_SETTINGS,
    options: definition.options,
    setup(exporter, options, settings) {
      const defaults: Partial<S> = { ...options };
      delete defaults[destination];
      attachNotifier<S>(
        exporter,
        {
          plugin: name,
          schemes,
          configured: options[destination] === undefined ? undefined : options,
          parseUrl: (url) => overlay(defaults, definition.parseUrl(url)),
          open: (parsed, context) => definition.open(parsed, context),
        },
        { urlsOf: (spec) => settings.of(spec).notify ?? [] },
      );
    },
  });
}
