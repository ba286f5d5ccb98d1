// @hyperexport/compress: Compress exports with zstd or gzip as a streaming transform.
export {};
