// @hyperexport/encrypt-pgp: Encrypt exports with OpenPGP to recipients' public keys or a passphrase (gpg-compatible).
export {};
