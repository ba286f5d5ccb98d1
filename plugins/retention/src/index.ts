// @hyperexport/retention: Rotate old exports: keep last N, keep within, grandfather-father-son (restic forget semantics).
export {};
