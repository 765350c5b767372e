// Constants the CLI needs before it loads the sandbox itself (which loads zod and the signer).

/** The port the sandbox listens on by default: LocalStack's, which AWS tools are often pointed at. */
export const DEFAULT_SANDBOX_PORT = 4566;
/** The header that carries the admin token of the sandbox's control endpoint. */
export const ADMIN_TOKEN_HEADER = "x-taskaccess-sandbox-token";
/** The longest propagation delay, and jitter, the sandbox accepts: ten minutes, in milliseconds. */
export const MAX_PROPAGATION_MS = 600_000;
