// The connection as govc users type it, against the simulator: `-u` is the URL (with the user in
// it, `user@host`), the password from GOVC_PASSWORD_FILE, and `--debug` tracing every SOAP call
// without ever showing the password or the session cookie.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSimulatorCli } from './support/simulator-cli.ts';

// A password of its own, so that any trace of it in the output is unmistakable.
const PASSWORD = 'Tr4ce-Me-Not!';
const harness = useSimulatorCli(['-disk-mb', '4,2', '-password', PASSWORD], 'hyperexport-govc-');

/** The simulator's address without the scheme, `127.0.0.1:PORT/sdk`, as govc users write `-u`. */
const hostPath = () => harness.sim.url.replace(/^https:\/\//, '');

/** Only what govc needs besides the URL: the password (and history/profiles kept in the work folder). */
const envWithout = (...names: string[]) => Object.fromEntries(Object.entries(harness.env).filter(([name]) => !names.includes(name)));

describe('-u is the URL, as in govc', () => {
  it('connects with -u user@host and no GOVC_URL or GOVC_USERNAME', async () => {
    const run = await harness.cli(['vms', '-u', `${harness.sim.username}@${hostPath()}`, '--json'], { env: envWithout('GOVC_URL', 'GOVC_USERNAME') });
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.filter((event) => event.type === 'vm').map((vm) => vm.path)).toContain(harness.offVm.path);
  });

  it('the user in -u wins over GOVC_USERNAME (given on the command line, it is the explicit choice)', async () => {
    const env = { ...envWithout('GOVC_URL'), GOVC_USERNAME: 'someone-else' };
    const run = await harness.cli(['vms', '-u', `${harness.sim.username}@${hostPath()}`, '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    // Without a user in the URL, GOVC_USERNAME applies, and the simulator refuses it.
    const refused = await harness.cli(['vms', '-u', hostPath()], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Login failed: InvalidLogin/);
  });

  it('refuses a password in -u, naming what to do instead and never repeating it', async () => {
    const run = await harness.cli(['vms', '-u', `${harness.sim.username}:${PASSWORD}@${hostPath()}`], { env: envWithout('GOVC_URL') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--url https://${harness.sim.username}:***@${hostPath()} has a password in it`);
    expect(run.stderr).toContain('keep the user name (user@host) and remove the password');
    expect(run.stderr).not.toContain(PASSWORD);
  });

  it('--username has lost -u, and still names the user', async () => {
    const run = await harness.cli(['vms', '--username', harness.sim.username, '--json'], { env: envWithout('GOVC_USERNAME') });
    expect(run.code, run.stderr).toBe(0);
  });
});

describe('GOVC_PASSWORD_FILE', () => {
  it('logs in with the first line of the file, and fails with a wrong one', async () => {
    const file = join(harness.work, 'vc-password');
    await writeFile(file, `${PASSWORD}\nsecond line ignored\n`, { mode: 0o600 });
    const run = await harness.cli(['vms', '--json'], { env: { ...envWithout('GOVC_PASSWORD'), GOVC_PASSWORD_FILE: file } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.some((event) => event.type === 'vm')).toBe(true);

    // The file wins over GOVC_PASSWORD, as RESTIC_PASSWORD_FILE does over RESTIC_PASSWORD.
    await writeFile(file, 'wrong-password\n');
    const wrong = await harness.cli(['vms'], { env: { ...harness.env, GOVC_PASSWORD_FILE: file } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Login failed: InvalidLogin/);
    expect(wrong.stderr).toContain(
      'hint: check the user name and password (GOVC_USERNAME or user@ in the URL; GOVC_PASSWORD, GOVC_PASSWORD_FILE or --password-file)',
    );

    const missing = await harness.cli(['vms'], { env: { ...envWithout('GOVC_PASSWORD'), GOVC_PASSWORD_FILE: join(harness.work, 'nope') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the password file named by GOVC_PASSWORD_FILE .*nope: ENOENT/);
  });
});

describe('--debug', () => {
  it('traces each SOAP call with its duration on stderr, never the password', async () => {
    const run = await harness.cli(['vms', '--json', '--debug']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^debug \d\d:\d\d:\d\d\.\d{3} soap: Login on SessionManager:\S+ -> ok in \d+ ms$/m);
    expect(run.stderr).toMatch(/soap: RetrievePropertiesEx on PropertyCollector:\S+ -> ok in \d+ ms/);
    expect(run.stderr).toMatch(/soap: Logout on SessionManager:\S+ -> ok/);
    expect(run.stderr).not.toContain(PASSWORD);
    // stdout stays machine-readable: the trace is on stderr only.
    expect(run.stdout).not.toMatch(/^debug /m);
    const plain = await harness.cli(['vms', '--json']);
    expect(plain.stderr).not.toMatch(/soap:/);
  });

  it('traces a fault with its name (HYPEREXPORT_DEBUG=1 as well), without the password that failed', async () => {
    const wrong = 'Wr0ng-Secret';
    const env = { ...harness.env, GOVC_PASSWORD: wrong, HYPEREXPORT_DEBUG: '1' };
    const run = await harness.cli(['vms'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/soap: Login on SessionManager:\S+ -> fault InvalidLogin in \d+ ms: Login failed: InvalidLogin/);
    expect(run.stderr).not.toContain(wrong);
  });

  it('--debug=FILE appends the trace of an export, disk GETs included, to an owner-only file and not to stderr', async () => {
    const trace = join(harness.work, 'trace.log');
    const run = await harness.cli(['export', '--vm', harness.offVm.path, '--format', 'ova', '--output', harness.outDir(), `--debug=${trace}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^debug /m);
    const text = await readFile(trace, 'utf8');
    expect(text).toMatch(/soap: ExportVm on VirtualMachine:\S+ -> ok/);
    expect(text).toMatch(/soap: HttpNfcLeaseProgress on HttpNfcLease:\S+ -> ok/);
    expect(text).toMatch(/http: GET https:\/\/\S+\.vmdk -> 200 OK in \d+ ms/);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toMatch(/vmware_soap_session=(?!\*\*\*)/);
    expect((await stat(trace)).mode & 0o777).toBe(0o600);
  });
});
