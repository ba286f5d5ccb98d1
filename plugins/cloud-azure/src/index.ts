// @hyperexport/cloud-azure: Azure Blob Storage backend (block blobs, streamed).
export {};
