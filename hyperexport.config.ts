// The example configuration, used by the demo (`bash scripts/demo.sh`). Every feature is a
// plugin: list the ones you want, with their options. Flags on the command line override the
// `export` section.
import { defineConfig } from '@hyperexport/core';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';

export default defineConfig({
  plugins: [
    sourceLocal(),
    storeLocal({ fsync: true, verify: true }),
  ],
  export: {
    format: 'ova',
    parallel: 4,
  },
});
