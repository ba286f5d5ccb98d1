// @hyperexport/core/testing: the kit plugin authors test with. A memory source and sink that
// implement the same interfaces as real plugins, and `runPluginJob`, which runs one job through
// the plugins under test with the real Exporter and run loop.
export { runPluginJob, undoStages } from './run-plugin-job.ts';
export type { MemoryVm, PluginJobEvent, PluginJobOptions, PluginJobRun } from './run-plugin-job.ts';
export { memorySink, memorySource } from './memory-plugins.ts';
export type { MemoryFile, MemorySinkState, MemorySourceState } from './memory-plugins.ts';
