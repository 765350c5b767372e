// The AWS SDK's own log, kept from the user: every client gets this logger, so the SDK and its HTTP
// handler (which otherwise write to console.warn, e.g. "@smithy/node-http-handler - [WARN] a
// request has exceeded the configured 15000 ms requestTimeout") tell taskaccess instead. What
// matters becomes one sentence for the warn callback; everything else (the SDK's info log of each
// call, debug lines, errors that are thrown anyway) is dropped.

/** The services taskaccess calls, as its messages name them. */
export type SdkService = "STS" | "IAM" | "S3";

/** The shape of the SDK's `logger` client option (@smithy/types Logger). */
export interface SdkLogger {
  trace: (...content: unknown[]) => void;
  debug: (...content: unknown[]) => void;
  info: (...content: unknown[]) => void;
  warn: (...content: unknown[]) => void;
  error: (...content: unknown[]) => void;
}

// A client's logger: the SDK's warnings that matter, in taskaccess's words, each said once.
export function sdkLogger(service: SdkService, warn: ((message: string) => void) | undefined): SdkLogger {
  const said = new Set<string>();
  const drop = () => {};
  return {
    trace: drop,
    debug: drop,
    info: drop,
    error: drop,
    warn: (...content) => {
      const message = translateSdkWarning(service, content.map(String).join(""));
      if (message === undefined || said.has(message)) return;
      said.add(message);
      warn?.(message);
    },
  };
}

// The SDK warnings a user can act on, as taskaccess says them; undefined for the rest.
export function translateSdkWarning(service: SdkService, text: string): string | undefined {
  const timeout = /exceeded the configured (\d+) ms requestTimeout/.exec(text);
  if (timeout) {
    const seconds = Number(timeout[1]) / 1000;
    return `${service} has not answered within ${seconds} s; still waiting`;
  }
  if (text.includes("Multiple credential sources detected")) {
    return "a profile (--profile or AWS_PROFILE) and AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY are both set: the base identity is the profile's; unset one of them";
  }
  return undefined;
}
