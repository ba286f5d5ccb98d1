// XML namespaces of an OVF 1.x envelope, as vSphere writes them. Readers match elements and
// attributes by these URIs, never by prefix: producers choose their own prefixes.

export const OVF_NS = 'http://schemas.dmtf.org/ovf/envelope/1';
/** OVF 2.x envelopes use a different URI; the parser accepts them too. */
export const OVF2_NS = 'http://schemas.dmtf.org/ovf/envelope/2';
export const RASD_NS = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData';
export const VSSD_NS = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData';
export const CIM_NS = 'http://schemas.dmtf.org/wbem/wscim/1/common';
export const VMW_NS = 'http://www.vmware.com/schema/ovf';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
