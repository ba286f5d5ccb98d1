// Opens s3:// targets for the storage registry: parses the URL, merges the options (plugin, target,
// URL query), builds the client and checks the bucket is there and the credentials are accepted,
// so a wrong target fails before an export starts, not after it downloaded a disk.
import { ConfigError } from '@hyperexport/core';
import type { StorageBackend, StorageOpenContext, StorageService } from '@hyperexport/core';
import { connect, sendsChecksums } from './s3-client.ts';
import { optionsFromTarget, resolveSettings } from './s3-options.ts';
import type { S3Options } from './s3-options.ts';
import { S3StorageService } from './s3-storage-service.ts';
import { parseS3Url } from './s3-target-url.ts';

export class S3Backend implements StorageBackend {
  readonly name: string;
  readonly schemes = ['s3'] as const;
  readonly #pluginOptions: S3Options;

  constructor(name: string, pluginOptions: S3Options) {
    this.name = name;
    this.#pluginOptions = pluginOptions;
  }

  async open(url: URL, context: StorageOpenContext): Promise<StorageService> {
    const service = await this.connect(url, context);
    try {
      await service.checkAccess(context.signal);
    } catch (error) {
      await service.close();
      throw error;
    }
    return service;
  }

  /** The URL and options of a target, checked without connecting (the usage check). */
  check(url: URL, options: Readonly<Record<string, unknown>>): void {
    const target = parseS3Url(url);
    const shown = `s3://${target.bucket}/${target.prefix}`;
    resolveSettings([this.#pluginOptions, optionsFromTarget(options, shown), target.options], shown);
  }

  /** The service for a target, without checking the bucket (open() does). */
  async connect(url: URL, context: StorageOpenContext, tuning: { listPageSize?: number } = {}): Promise<S3StorageService> {
    const target = parseS3Url(url);
    const shown = `s3://${target.bucket}/${target.prefix}`;
    const settings = resolveSettings([this.#pluginOptions, optionsFromTarget(context.options, shown), target.options], shown);
    const { client, endpoint } = await connect(settings, context.env, shown);
    let region: string;
    try {
      region = await client.config.region();
    } catch {
      client.destroy();
      throw new ConfigError(`no AWS region is set for ${shown}`, {
        hint: 'give the region option, ?region=… in the URL, AWS_REGION, or a region in the AWS profile',
      });
    }
    return new S3StorageService({
      client,
      bucket: target.bucket,
      prefix: target.prefix,
      settings,
      endpointLabel: endpoint ?? `AWS S3 (${region})`,
      checksums: await sendsChecksums(client),
      ...tuning,
    });
  }
}
