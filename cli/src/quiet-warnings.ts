// A user's config folder often has no package.json saying "type": "module"; Node then warns
// (MODULE_TYPELESS_PACKAGE_JSON) when it loads hyperexport.config.ts. That warning is about the
// user's folder, not something they asked about, so it is dropped, as is the notice that type
// stripping is experimental (on the Node versions that still print it).
export function quietUserFolderWarnings(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    const code = typeof options === 'object' && options !== null ? (options as { code?: string }).code : rest[1];
    if (code === 'MODULE_TYPELESS_PACKAGE_JSON') return;
    if (typeof warning === 'string' && /Type Stripping is an experimental feature/.test(warning)) return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
