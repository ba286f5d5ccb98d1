// @hyperexport/cloud-gcs: Google Cloud Storage backend (resumable uploads).
export {};
