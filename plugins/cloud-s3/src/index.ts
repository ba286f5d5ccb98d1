// @hyperexport/cloud-s3: Amazon S3 and S3-compatible storage backend (multipart uploads).
export {};
