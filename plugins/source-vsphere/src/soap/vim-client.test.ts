// The SOAP layer against a small fake of the vim25 wire protocol over loopback HTTP: the
// simulator (test/vcsim) covers the real flows, but it neither pages RetrievePropertiesEx nor
// writes faults with vCenter's namespace prefixes, so those two behaviours are checked here.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrieveContainerContents } from './property-collector.ts';
import { VimClient } from './vim-client.ts';
import { VimFault } from './faults.ts';

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

const SERVICE_CONTENT = `<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>
<rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>
<viewManager type="ViewManager">ViewManager</viewManager><searchIndex type="SearchIndex">SearchIndex</searchIndex>
<sessionManager type="SessionManager">SessionManager</sessionManager><ovfManager type="OvfManager">OvfManager</ovfManager>
<about><fullName>Fake vCenter</fullName><apiVersion>8.0.2.0</apiVersion><apiType>VirtualCenter</apiType></about></returnval></RetrieveServiceContentResponse>`;

const vmObject = (index: number) =>
  `<objects><obj type="VirtualMachine">vm-${index}</obj><propSet><name>name</name><val xsi:type="xsd:string">vm${index}</val></propSet></objects>`;

let server: Server;
let url: URL;
const requests: Array<{ method: string; soapAction: string | undefined; cookie: string | undefined; body: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end('<namespaces version="1.0"><namespace><name>urn:vim25</name><version>8.0.2.0</version></namespace></namespaces>');
        return;
      }
      const method = /<soapenv:Body><(\w+)/.exec(body)?.[1] ?? '';
      requests.push({ method, soapAction: request.headers.soapaction as string | undefined, cookie: request.headers.cookie, body });
      const reply = (status: number, xml: string, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'text/xml', ...headers });
        response.end(envelope(xml));
      };
      switch (method) {
        case 'RetrieveServiceContent':
          return reply(200, SERVICE_CONTENT);
        case 'Login':
          if (body.includes('<password>wrong</password>')) {
            // vCenter's own prefixes: the detail type is `vim25:InvalidLogin` with xmlns:vim25.
            return reply(
              500,
              '<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect user name or password.</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xmlns:vim25="urn:vim25" xsi:type="vim25:InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault>',
            );
          }
          return reply(200, '<LoginResponse xmlns="urn:vim25"><returnval><key>s1</key></returnval></LoginResponse>', {
            'set-cookie': 'vmware_soap_session="abc123"; Path=/; HttpOnly; Secure',
          });
        case 'CreateContainerView':
          return reply(
            200,
            '<CreateContainerViewResponse xmlns="urn:vim25"><returnval type="ContainerView">session[1]view</returnval></CreateContainerViewResponse>',
          );
        case 'RetrievePropertiesEx':
          // Pages of two objects, whatever maxObjects says, as vCenter may return fewer.
          return reply(
            200,
            `<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>page-2</token>${vmObject(1)}${vmObject(2)}</returnval></RetrievePropertiesExResponse>`,
          );
        case 'ContinueRetrievePropertiesEx':
          if (body.includes('<token>page-2</token>'))
            return reply(
              200,
              `<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>page-3</token>${vmObject(3)}${vmObject(4)}</returnval></ContinueRetrievePropertiesExResponse>`,
            );
          return reply(
            200,
            `<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval>${vmObject(5)}</returnval></ContinueRetrievePropertiesExResponse>`,
          );
        case 'DestroyView':
        case 'Logout':
          return reply(200, `<${method}Response xmlns="urn:vim25"></${method}Response>`);
        default:
          return reply(500, `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>unexpected ${method}</faultstring></soapenv:Fault>`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sdk`);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('VimClient', () => {
  it('uses the published API version, keeps the session cookie, and follows every page of RetrievePropertiesEx', async () => {
    requests.length = 0;
    const client = await VimClient.connect({ url, username: 'u', password: 'p', insecure: false });
    expect(client.version).toBe('8.0.2.0');
    expect(client.serviceContent.about.fullName).toBe('Fake vCenter');
    const vms = await retrieveContainerContents(client, client.serviceContent.rootFolder, 'VirtualMachine', ['name'], undefined, 2);
    expect(vms.map((vm) => vm.props.get('name')?.text)).toEqual(['vm1', 'vm2', 'vm3', 'vm4', 'vm5']);
    await client.close();
    expect(requests.map((r) => r.method)).toEqual([
      'RetrieveServiceContent',
      'Login',
      'CreateContainerView',
      'RetrievePropertiesEx',
      'ContinueRetrievePropertiesEx',
      'ContinueRetrievePropertiesEx',
      'DestroyView',
      'Logout',
    ]);
    expect(requests.every((r) => r.soapAction === 'urn:vim25/8.0.2.0')).toBe(true);
    expect(requests.slice(2).every((r) => r.cookie === 'vmware_soap_session="abc123"')).toBe(true);
    expect(requests.find((r) => r.method === 'RetrievePropertiesEx')!.body).toContain('<maxObjects>2</maxObjects>');
  });

  it('turns a fault into a VimFault, reading xsi:type by namespace URI whatever the prefix', async () => {
    const error = await VimClient.connect({ url, username: 'u', password: 'wrong', insecure: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VimFault);
    expect((error as VimFault).faultName).toBe('InvalidLogin');
    expect((error as VimFault).message).toBe('Login failed: InvalidLogin: Cannot complete login due to an incorrect user name or password.');
    expect((error as VimFault).hint).toContain('user name and password');
  });
});
