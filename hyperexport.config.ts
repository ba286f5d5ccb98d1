// The example configuration, used by the demo (`bash scripts/demo.sh`). Every feature is a
// plugin: list the ones you want, with their options. Flags on the command line override the
// `export` section; the vSphere connection comes from GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD and
// GOVC_INSECURE (or the plugin's options, or --url/--username/--password-file/--insecure).
import { defineConfig } from '@hyperexport/core';
import sourceLocal from '@hyperexport/source-local';
import sourceVsphere from '@hyperexport/source-vsphere';
import storeLocal from '@hyperexport/store-local';

export default defineConfig({
  plugins: [sourceVsphere({ passwordEnv: 'GOVC_PASSWORD' }), sourceLocal(), storeLocal({ fsync: true, verify: true })],
  export: {
    format: 'ova',
    parallel: 4,
  },
});
