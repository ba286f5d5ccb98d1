// @hyperexport/encrypt-aes: Encrypt exports with streaming AES-256-GCM in a documented, versioned format.
export {};
