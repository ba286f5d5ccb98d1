// SOAP faults as typed errors. vSphere answers faults with HTTP 500 and a soapenv:Fault whose
// detail element carries the fault type (InvalidLogin, ManagedObjectNotFound, ...) in xsi:type.
import { brandError, ExportError } from '@hyperexport/core';
import type { XmlNode } from './xml.ts';

export class VimFault extends ExportError {
  static {
    brandError(this, 'hyperexport.source-vsphere.VimFault');
  }

  /** The vim25 fault type, e.g. `InvalidLogin`, `NotAuthenticated`, `InvalidState`. */
  readonly faultName: string;
  readonly method: string;

  constructor(method: string, faultName: string, message: string, hint?: string) {
    super(`${method} failed: ${faultName}${message ? `: ${message}` : ''}`, { code: `VIM_${faultName}`, ...(hint ? { hint } : {}) });
    this.name = 'VimFault';
    this.faultName = faultName;
    this.method = method;
  }
}

const HINTS: Record<string, string> = {
  InvalidLogin: 'check the user name and password (GOVC_USERNAME or user@ in the URL; GOVC_PASSWORD, GOVC_PASSWORD_FILE or --password-file)',
  NotAuthenticated: 'the session expired or was closed; run the command again',
  NoPermission: 'the user lacks a privilege on this object; ask for the VirtualMachine.Provisioning.Export privilege',
  ManagedObjectNotFound: 'the object no longer exists; check the inventory path',
  InvalidPowerState: 'power the VM off, or export from a snapshot (--snapshot-before)',
  TaskInProgress: 'another task is running on the VM; wait for it to finish',
};

/** Builds a VimFault from a soapenv:Fault element. */
export function faultFromXml(method: string, fault: XmlNode): VimFault {
  const message = fault.childText('faultstring')?.trim() ?? '';
  const detail = fault.child('detail')?.children()[0];
  // The detail element is named <TypeFault> and typed xsi:type="Type"; prefer the attribute.
  const name = detail?.xsiType ?? detail?.name.replace(/Fault$/, '') ?? 'ServerFault';
  return new VimFault(method, name, message, HINTS[name]);
}
