// The run's progress, as steps: the core says which step it has reached; how (and whether) that is
// shown is the CLI's business (src/cli/run-progress.ts). No text is formatted here.

/** A step of a run, in the order a run reaches them; each ends when the next begins. */
export type RunStep =
  /** sts:GetCallerIdentity of the base credentials. */
  | { kind: "identify" }
  /** The check that an identity in the role's account can write its denies (IAM). */
  | { kind: "check-revocation"; role: string }
  /** sts:AssumeRole with the task's session policy. */
  | { kind: "assume-role"; role: string }
  /** The command starts now, with the terminal: nothing is drawn while it runs. */
  | { kind: "start-command"; command: string; interactive: boolean; sessionName: string }
  /** The denies go on, one per STS session of the run. */
  | { kind: "revoke"; sessions: number }
  /** Every deny was written (failed: 0), or some could not be. */
  | { kind: "revoked"; sessions: number; failed: number }
  /** The sessions' own credentials are tried until AWS refuses them (`run --confirm-within`). */
  | { kind: "confirm"; sessions: number }
  /** The last records go to a log elsewhere (S3) before the run ends. */
  | { kind: "write-log" };

// Told each step as the run reaches it; a step that waits is the one last told.
export interface RunProgress {
  step: (step: RunStep) => void;
}

// The default: a run reports to no one (tests, `--quiet`, stderr not a terminal).
export const silentProgress: RunProgress = { step: () => {} };
