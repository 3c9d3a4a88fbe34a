/** The Temporal CLI version Tugboat builds: the newest tag `go install` accepts (later ones carry a replace line). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
