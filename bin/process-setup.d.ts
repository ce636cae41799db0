/** Call first, before loading dcs: may replace the process (same pid and stdio) to set glibc's malloc up. */
export declare function setUpProcess(argv: readonly string[]): void;
