// Every issue this package reports carries the plugin's name, so a user reading
// `[validate] manifest: ...` knows which plugin found it and where its README is.
import type { ValidationIssue } from '@hyperexport/core';

export const PLUGIN_NAME = 'validate';

export function errorIssue(check: string, message: string): ValidationIssue {
  return { level: 'error', check, message, plugin: PLUGIN_NAME };
}

export function warningIssue(check: string, message: string): ValidationIssue {
  return { level: 'warning', check, message, plugin: PLUGIN_NAME };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
