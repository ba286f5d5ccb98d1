// OVF/OVA building blocks: tar headers, the OVA writer and reader, manifests, OVF descriptors,
// VMDK and VMX inspection, and the file-name check every name from outside goes through.
export { assertSafeFileName, unsafeFileNameReason } from './safe-name.ts';
export { BLOCK_SIZE, TarType, decodeTarHeader, encodeTarHeader, endOfArchive, padding, paddingSize, parseGnuLongName, parsePaxRecords } from './tar.ts';
export type { TarHeader, TarHeaderInput } from './tar.ts';
export { createOvaStream, ovaSize } from './ova-writer.ts';
export type { OvaMemberSource } from './ova-writer.ts';
export { indexOva, openOvaMember } from './ova-index.ts';
export type { OvaMember } from './ova-index.ts';
export { formatManifest, parseManifest } from './manifest.ts';
export type { ManifestAlgorithm, ManifestEntry } from './manifest.ts';
export { ManifestCheck, MANIFEST_HASHES } from './manifest-check.ts';
export { buildOvfDescriptor } from './descriptor.ts';
export type { DiskBus, VmDescription, VmDiskDescription, VmNetworkDescription } from './descriptor.ts';
export { parseOvf } from './ovf-parse.ts';
export type { OvfDisk, OvfFileRef, ParsedOvf } from './ovf-parse.ts';
export { inspectVmdk, VMDK_FORMAT_URL } from './vmdk.ts';
export type { VmdkInfo, VmdkKind } from './vmdk.ts';
export { describeVmx, parseVmx, vsphereGuestId } from './vmx.ts';
export type { VmxDescription, VmxDisk, VmxMap } from './vmx.ts';
export { CIM_NS, OVF2_NS, OVF_NS, RASD_NS, VMW_NS, VSSD_NS, XSI_NS } from './namespaces.ts';
export { rewriteFileReferences } from './file-references.ts';
export type { FileReferenceChange } from './file-references.ts';
