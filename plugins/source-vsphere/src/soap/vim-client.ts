// A vim25 SOAP client on undici: discovers the API version, logs in (session cookie), invokes
// methods, turns faults into VimFault errors, and logs out. Every request honours an AbortSignal.
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { addTraceSecret, debugTrace, ExportError, isDebugTracing } from '@hyperexport/core';
import { faultFromXml, VimFault } from './faults.ts';
import { createDispatcher } from './tls.ts';
import { untrustedCertificateCode, untrustedCertificateError } from './untrusted-certificate.ts';
import type { TlsSettings } from './tls.ts';
import { el, moRef, parseXml, text, SOAP_ENV_NS, XSD_NS, XSI_NS } from './xml.ts';
import type { ManagedObjectRef, XmlNode } from './xml.ts';

export interface ConnectSettings extends TlsSettings {
  /** The SDK endpoint, e.g. https://vcenter.example.com/sdk. */
  url: URL;
  username: string;
  password: string;
}

export interface ServiceContent {
  readonly rootFolder: ManagedObjectRef;
  readonly propertyCollector: ManagedObjectRef;
  readonly viewManager: ManagedObjectRef;
  readonly searchIndex: ManagedObjectRef;
  readonly sessionManager: ManagedObjectRef;
  readonly ovfManager: ManagedObjectRef;
  readonly about: { readonly fullName: string; readonly apiVersion: string; readonly apiType: string };
}

const SERVICE_INSTANCE: ManagedObjectRef = { type: 'ServiceInstance', value: 'ServiceInstance' };
// Used when the server does not publish vimServiceVersions.xml.
const FALLBACK_VERSION = '6.7';

export class VimClient {
  readonly url: URL;
  readonly dispatcher: Dispatcher;
  readonly version: string;
  #cookie: string | undefined;
  #content: ServiceContent | undefined;

  private constructor(url: URL, dispatcher: Dispatcher, version: string) {
    this.url = url;
    this.dispatcher = dispatcher;
    this.version = version;
  }

  /** Connects and logs in. The caller must `close()` the client (which also logs out). */
  static async connect(settings: ConnectSettings, signal?: AbortSignal): Promise<VimClient> {
    const dispatcher = createDispatcher(settings);
    // Registered before anything is sent: no --debug line can show it, whatever quotes it.
    addTraceSecret(settings.password);
    try {
      const version = await discoverVersion(settings.url, dispatcher, signal);
      const client = new VimClient(settings.url, dispatcher, version);
      client.#content = await client.#retrieveServiceContent(signal);
      await client.invoke(
        'Login',
        [moRef('_this', client.serviceContent.sessionManager), text('userName', settings.username), text('password', settings.password)],
        signal,
      );
      return client;
    } catch (error) {
      await dispatcher.close().catch(() => undefined);
      throw error;
    }
  }

  get serviceContent(): ServiceContent {
    if (!this.#content) throw new Error('VimClient used before connect()');
    return this.#content;
  }

  /** The session cookie, for NFC disk requests that must carry the same session. */
  get cookie(): string | undefined {
    return this.#cookie;
  }

  /**
   * Invokes a vim25 method. `args` are the request's child elements in WSDL order, `_this`
   * first. Returns the `<MethodResponse>` element.
   */
  async invoke(method: string, args: readonly string[], signal?: AbortSignal): Promise<XmlNode> {
    if (!isDebugTracing()) return this.#invoke(method, args, signal);
    // --debug: one line per call, as govc -debug records them: the method, the object it was
    // called on, how long it took, and the fault (or HTTP error) it ended with.
    const started = performance.now();
    const target = /<_this type="([^"]+)">([^<]*)</.exec(args[0] ?? '');
    const call = `${method}${target ? ` on ${target[1]}:${target[2]}` : ''}`;
    try {
      const response = await this.#invoke(method, args, signal);
      debugTrace('soap', `${call} -> ok in ${Math.round(performance.now() - started)} ms`);
      return response;
    } catch (error) {
      const reason = error instanceof VimFault ? `fault ${error.faultName}` : 'failed';
      debugTrace('soap', `${call} -> ${reason} in ${Math.round(performance.now() - started)} ms: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  async #invoke(method: string, args: readonly string[], signal?: AbortSignal): Promise<XmlNode> {
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>` +
      `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV_NS}" xmlns:xsd="${XSD_NS}" xmlns:xsi="${XSI_NS}">` +
      `<soapenv:Body>${el(method, args.join(''), { xmlns: 'urn:vim25' })}</soapenv:Body></soapenv:Envelope>`;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.url, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: `urn:vim25/${this.version}`,
          ...(this.#cookie ? { cookie: this.#cookie } : {}),
        },
        body,
        signal,
      });
    } catch (error) {
      throw await connectionError(this.url, error);
    }
    const setCookie = response.headers['set-cookie'];
    const session = (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).find((c) => c.startsWith('vmware_soap_session='));
    if (session) this.#cookie = session.split(';')[0];
    const xml = await response.body.text();
    if (response.statusCode !== 200 && response.statusCode !== 500) {
      throw new ExportError(`${method}: ${this.url.origin} answered HTTP ${response.statusCode}`, {
        code: 'VIM_HTTP',
        hint: 'check that the URL points at a vCenter or ESXi SDK endpoint (https://HOST/sdk)',
      });
    }
    const envelope = parseXml(xml, `the answer to ${method}`);
    const payload = envelope.child('Body')?.children()[0];
    if (!payload) throw new ExportError(`${method}: the answer has no SOAP body`, { code: 'VIM_PROTOCOL' });
    if (payload.name === 'Fault') throw faultFromXml(method, payload);
    return payload;
  }

  /** Logs out (best effort) and closes every connection. */
  async close(): Promise<void> {
    if (this.#cookie && this.#content) {
      await this.invoke('Logout', [moRef('_this', this.#content.sessionManager)], AbortSignal.timeout(10_000)).catch(() => undefined);
    }
    this.#cookie = undefined;
    await this.dispatcher.close().catch(() => undefined);
  }

  async #retrieveServiceContent(signal?: AbortSignal): Promise<ServiceContent> {
    const response = await this.invoke('RetrieveServiceContent', [moRef('_this', SERVICE_INSTANCE)], signal);
    const content = response.child('returnval');
    const ref = (name: string): ManagedObjectRef => {
      const found = content?.childRef(name);
      if (!found) throw new ExportError(`the server's ServiceContent has no ${name}`, { code: 'VIM_PROTOCOL' });
      return found;
    };
    const about = content?.child('about');
    return {
      rootFolder: ref('rootFolder'),
      propertyCollector: ref('propertyCollector'),
      viewManager: ref('viewManager'),
      searchIndex: ref('searchIndex'),
      sessionManager: ref('sessionManager'),
      ovfManager: ref('ovfManager'),
      about: {
        fullName: about?.childText('fullName') ?? '',
        apiVersion: about?.childText('apiVersion') ?? this.version,
        apiType: about?.childText('apiType') ?? '',
      },
    };
  }
}

async function discoverVersion(url: URL, dispatcher: Dispatcher, signal?: AbortSignal): Promise<string> {
  const versionsUrl = new URL('vimServiceVersions.xml', url.href.endsWith('/') ? url : new URL(`${url.href}/`));
  let response: Dispatcher.ResponseData;
  const started = performance.now();
  try {
    response = await request(versionsUrl, { dispatcher, signal });
  } catch (error) {
    debugTrace(
      'http',
      `GET ${versionsUrl.href} failed in ${Math.round(performance.now() - started)} ms: ${error instanceof Error ? error.message : String(error)}`,
    );
    throw await connectionError(url, error);
  }
  const body = await response.body.text();
  debugTrace('http', `GET ${versionsUrl.href} -> ${response.statusCode} in ${Math.round(performance.now() - started)} ms`);
  if (response.statusCode !== 200) return FALLBACK_VERSION;
  try {
    const root = parseXml(body, 'vimServiceVersions.xml');
    const vim25 = root.children('namespace').find((ns) => ns.childText('name') === 'urn:vim25');
    return vim25?.childText('version')?.trim() || FALLBACK_VERSION;
  } catch {
    return FALLBACK_VERSION;
  }
}

async function connectionError(url: URL, error: unknown): Promise<Error> {
  if (error instanceof ExportError || (error as Error).name === 'AbortError') return error as Error;
  const untrusted = untrustedCertificateCode(error);
  if (untrusted) return untrustedCertificateError(url, error, untrusted);
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const reason = error instanceof Error ? error.message : String(error);
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'EAI_AGAIN'
  ) {
    return new ExportError(`cannot reach ${url.host} (${code})`, {
      code: 'UNREACHABLE',
      hint: 'check GOVC_URL / --url and that the host is up and reachable',
      cause: error,
    });
  }
  return new ExportError(`request to ${url.host} failed: ${reason}`, { code: 'NETWORK', cause: error });
}
