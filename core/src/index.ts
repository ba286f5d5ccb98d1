// @hyperexport/core: the public API for configs and plugins.
export * from './model.ts';
export * from './errors.ts';
export { lazyPackage } from './lazy-package.ts';
export type { LazyPackage } from './lazy-package.ts';
export { EventBus } from './events.ts';
export type { ExportEvents, ExportEventName, ExportEventListener } from './events.ts';
export { Job, ValidationReport, StoreTargets } from './job.ts';
export { Exporter } from './exporter.ts';
export { SettingsCheck, checkSettings } from './settings-check.ts';
export type {
  ExporterHooks,
  HookName,
  RetentionContext,
  WrittenExport,
  PublishedExport,
  DownloadRequest,
  DiscoverRequest,
  DiscoveredVm,
  ValidateTapOptions,
} from './exporter.ts';
export { StorageRegistry, parseTargetUrl, redactUrl } from './storage/storage-registry.ts';
export type * from './storage/storage-service.ts';
export { definePlugin, flattenPlugins, isPluginInstance, isPluginFactory, resolvePlugins, PLUGIN_BRAND } from './plugin.ts';
export type { PluginDefinition, PluginInstance, PluginFactory, PluginEntry, OptionsSchema } from './plugin.ts';
export { setting, defineSettings, isParsedBy } from './settings/define-settings.ts';
export { checkSettingValue } from './settings/check-setting-value.ts';
export { flagOf } from './settings/setting-flag.ts';
export type { SettingDeclaration, SettingsDeclarations, SettingValue, SettingValues, SettingFlagKind } from './settings/setting-declaration.ts';
export type { SettingsReader } from './settings/settings-reader.ts';
export type { SettingOrigin, SettingChannel } from './settings/setting-origin.ts';
export { formatTypanionError } from './schema-errors.ts';
export type { SchemaErrorWording } from './schema-errors.ts';
export { defineConfig, loadConfig, buildJobSpec, CONFIG_SEARCH_PLACES } from './config.ts';
export type { HyperExportConfig, ExportDefaults, ConfigEnv, ConfigInput, LoadedConfig } from './config.ts';
export * from './profiles/index.ts';
export { runJob, checkJob, exportBaseName } from './run-job.ts';
export { SOURCE_RESTART } from './write-export.ts';
export type { RunOptions } from './run-job.ts';
export { fanOut } from './stream/fan-out.ts';
export { DigestMeter, digestStream } from './stream/digest-meter.ts';
export { runWithConcurrency } from './stream/concurrency.ts';
export { acquireFileLock, withFileLock, LockCompromisedError, LockTimeoutError } from './fs/file-lock.ts';
export type { LockOptions } from './fs/file-lock.ts';
export { writeFileAtomic, syncPath } from './fs/atomic-write.ts';
export { pseudoFileSystemOf, PSEUDO_FILE_SYSTEMS } from './fs/pseudo-filesystem.ts';
export type { PseudoFileSystem } from './fs/pseudo-filesystem.ts';
export { withTimeLimit, TimeLimitError } from './time-limit.ts';
export { createExclusiveWriteStream, recreateExclusively, temporaryPathBeside } from './fs/exclusive-file.ts';
export type { ExclusiveWriteOptions } from './fs/exclusive-file.ts';
export { DiskFullAwareWriteStream, diskFullError, isDiskFull } from './fs/disk-full.ts';
export type { DiskFullContext } from './fs/disk-full.ts';
export type { AtomicWriteOptions } from './fs/atomic-write.ts';
export * from './ovf/index.ts';
export { escapeXml, unescapeXml } from './xml-escape.ts';
export { RetryError, backoffDelay, describeNetworkError, parseRetryAfter, retryWithBackoff, sleep } from './retry.ts';
export type { AttemptOutcome, BackoffOptions, RetryHooks, RetryPolicy, RetryReport } from './retry.ts';
export { findOnPath, qemuImageOptions } from './disk/qemu-img.ts';
export type { ImageLocation } from './disk/qemu-img.ts';
// typanion, re-exported so plugins declare option schemas against the same copy core validates with.
export * as t from 'typanion';
// For plugins that add CLI commands: the same clipanion copy and the shared base classes.
export { Command, Option } from 'clipanion';
export { BaseCommand, JSON_OUTPUT, jsonOption } from './cli/base-command.ts';
export { withPlaceholder } from './cli/placeholders.ts';
export { addSettingOptions, settingFlagValues } from './cli/setting-options.ts';
export type { DeclaredSetting } from './settings/settings-registry.ts';
export { formatBytes, formatDuration } from './cli/format.ts';
export { promptSecret } from './secrets/prompt-secret.ts';
export { addTraceSecret, debugTrace, isDebugTracing } from './debug-trace.ts';
export { readPassphrase, readSecretFile, isReadableByOthers, passphraseFileOf, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV } from './secrets/passphrase.ts';
export type { PassphraseSources } from './secrets/passphrase.ts';
export { restoreExport, restoreFile } from './restore/restore-export.ts';
export type { RestoreOptions, RestoredExport } from './restore/restore-export.ts';
export type { StageDeclaringPlugin } from './restore/undone-stages.ts';
export { ExportBindings } from './restore/file-bindings.ts';
export type { ExportBindingsOptions } from './restore/file-bindings.ts';
export { listExportRecords, readExportRecord, deleteExport } from './storage/export-records.ts';
export type { FoundExport } from './storage/export-records.ts';
export { updatePublishedRecord } from './published-record.ts';
export { artifactsSeenIn, checkPlanForFormat, checkStageDeclaration, createTransformPlan, stageSees, STAGE_ARTIFACT_KINDS } from './stage-declarations.ts';
