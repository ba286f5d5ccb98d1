// The set-up of a test file that runs the built CLI against the vSphere simulator: one simulator
// for the file, a working folder of its own (history and profiles in it, never the user's), the
// faults reset after each test, and both removed afterwards. Call it at the top of the file: it
// registers the vitest hooks, and the fields are there once beforeAll has run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { runCli } from './cli.ts';
import type { CliOptions, CliRun } from './cli.ts';
import { startVcsim } from './vcsim.ts';
import type { Vcsim, VcsimVm } from './vcsim.ts';

export interface SimulatorCli {
  readonly sim: Vcsim;
  /** The file's working folder (the CLI's cwd). */
  readonly work: string;
  /** The simulator's first powered-off and powered-on VMs. */
  readonly offVm: VcsimVm;
  readonly onVm: VcsimVm;
  /** GOVC_* for the simulator, and HYPEREXPORT_HISTORY/HYPEREXPORT_PROFILES_DIR inside `work`. */
  readonly env: Record<string, string>;
  /** A new output folder name inside `work` (not created). */
  outDir(): string;
  /** Runs the CLI in `work` with `env`; `extra` adds to or overrides those options. */
  cli(args: readonly string[], extra?: Partial<CliOptions>): Promise<CliRun>;
  /** The paths of a VM's snapshots, as `vm info` lists them. */
  snapshotsOf(vm: VcsimVm): Promise<string[]>;
}

/** `simulatorArgs` go to the harness (e.g. `-disk-mb 8,4`); `workPrefix` names the working folder. */
export function useSimulatorCli(simulatorArgs: readonly string[], workPrefix: string): SimulatorCli {
  let state: { sim: Vcsim; work: string; offVm: VcsimVm; onVm: VcsimVm; env: Record<string, string> } | undefined;
  let simulator: Vcsim | undefined;
  let work: string | undefined;
  let counter = 0;
  const started = () => {
    if (!state) throw new Error('the simulator is not started yet: use the fields inside tests or hooks, not at the top of the file');
    return state;
  };

  beforeAll(async () => {
    simulator = await startVcsim(simulatorArgs);
    work = await mkdtemp(join(tmpdir(), workPrefix));
    const vmIn = (powerState: string) => {
      const vm = simulator!.vms.find((candidate) => candidate.powerState === powerState);
      if (!vm) throw new Error(`the simulator has no ${powerState} VM (harness arguments: ${simulatorArgs.join(' ')})`);
      return vm;
    };
    state = {
      sim: simulator,
      work,
      offVm: vmIn('poweredOff'),
      onVm: vmIn('poweredOn'),
      env: { ...simulator.env, HYPEREXPORT_HISTORY: join(work, 'history.jsonl'), HYPEREXPORT_PROFILES_DIR: join(work, 'profiles') },
    };
  });

  afterEach(async () => {
    await state?.sim.resetFaults();
  });

  afterAll(async () => {
    await simulator?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const harness: SimulatorCli = {
    get sim() {
      return started().sim;
    },
    get work() {
      return started().work;
    },
    get offVm() {
      return started().offVm;
    },
    get onVm() {
      return started().onVm;
    },
    get env() {
      return started().env;
    },
    outDir: () => join(started().work, `out-${++counter}`),
    cli: (args, extra = {}) => runCli(args, { cwd: started().work, env: started().env, ...extra }),
    async snapshotsOf(vm) {
      const info = await harness.cli(['vm', 'info', '--vm', vm.path, '--json']);
      expect(info.code, info.stderr).toBe(0);
      return (info.events[0]!.snapshots as Array<{ path: string }>).map((snapshot) => snapshot.path);
    },
  };
  return harness;
}
