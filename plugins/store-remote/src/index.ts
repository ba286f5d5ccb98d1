// @hyperexport/store-remote: Store exports at target URLs (s3://, azure://, gs://, sftp://, file://): streamed or uploaded after; `hyperexport remote`.
export {};
